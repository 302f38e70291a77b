import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Aspects, type IAspect } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '#infra/constructs/im-function.ts';
import { ImGroupStack, type ImGroupStackProps } from '#infra/stack.ts';

/** The same feature flags and settings `cdk synth` uses, so the template under test is the deployed one. */
export const cdkContext = (
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

export interface SynthOptions {
  /**
   * Bundle every function with esbuild (about 25 s for all of them). Without it the functions get a
   * placeholder asset; everything else in the template is the same, which is all that rule checks need.
   */
  readonly bundling?: boolean;
  /** Aspects applied before synthesis, such as a cdk-nag rule pack. */
  readonly aspects?: readonly IAspect[];
  readonly stackProps?: ImGroupStackProps;
  /**
   * The asset and path metadata the CDK CLI asks for on every `cdk synth`; tools such as `sam local`
   * find each function's bundle through it.
   */
  readonly cliMetadata?: boolean;
}

const CLI_METADATA = { 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:enable-path-metadata': true };

export interface SynthesizedStack {
  readonly app: App;
  readonly stack: ImGroupStack;
  readonly template: Template;
  readonly seconds: number;
}

/** Synthesizes the service stack once per call; call it in a `beforeAll` and share the result within a file. */
export function synthStack(options: SynthOptions = {}): SynthesizedStack {
  const started = performance.now();
  const context = options.bundling === false ? { ...cdkContext, 'aws:cdk:bundling-stacks': [] } : cdkContext;
  const app = new App({ context: options.cliMetadata ? { ...context, ...CLI_METADATA } : context });
  const stack = new ImGroupStack(app, 'ImGroupStack', options.stackProps);
  for (const aspect of options.aspects ?? []) Aspects.of(app).add(aspect);
  const template = Template.fromStack(stack);
  return { app, stack, template, seconds: (performance.now() - started) / 1000 };
}

/** Synthesis with bundling is slow enough to need more than the default hook timeout. */
export const SYNTH_TIMEOUT_MS = 300_000;
