import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from '../../infra/local/dynamodb-local.ts';

/** One in-memory DynamoDB Local on a free port for the whole run; each test file makes its own table. */
export default async function setup(project: TestProject) {
  const local = await startDynamoLocal();
  project.provide('dynamoEndpoint', local.endpoint);
  return () => local.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
