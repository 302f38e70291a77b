import { App } from 'aws-cdk-lib';
import { defineDeployment } from '#infra/deployment.ts';

defineDeployment(new App());
