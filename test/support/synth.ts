import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { App, Aspects, type IAspect } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
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
  /** Where the cloud assembly is written; a new temporary directory by default. */
  readonly outdir?: string;
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
  const app = new App({
    context: options.cliMetadata ? { ...context, ...CLI_METADATA } : context,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stack = new ImGroupStack(app, 'ImGroupStack', options.stackProps);
  for (const aspect of options.aspects ?? []) Aspects.of(app).add(aspect);
  const template = Template.fromStack(stack);
  return { app, stack, template, seconds: (performance.now() - started) / 1000 };
}

/** Synthesis with bundling is slow enough to need more than the default hook timeout. */
export const SYNTH_TIMEOUT_MS = 300_000;

/** What `bundle-stack.ts` leaves beside the assembly once it is done. */
export const BUNDLED_REPORT = 'bundled.json';

export type BundledReport = { ok: true; seconds: number } | { ok: false; error: string };

export interface BundledAssembly {
  /** The cloud assembly directory, as `cdk synth` writes it to cdk.out: the template and one folder per bundled asset. */
  readonly dir: string;
  /** The stack's template as written there, with the CLI's asset and path metadata. */
  readonly template: Template;
  /** How long the synthesis took, bundling included. */
  readonly seconds: number;
}

/**
 * The stack synthesized with every function bundled, once per run for all infra test files (see
 * `infra-setup.ts`): bundling takes most of a synthesis, and every file would otherwise pay it.
 * Waits for it if it is still being made.
 */
export async function bundledAssembly(): Promise<BundledAssembly> {
  const dir = inject('bundledAssembly');
  const reportFile = path.join(dir, BUNDLED_REPORT);
  const deadline = Date.now() + SYNTH_TIMEOUT_MS;
  while (!existsSync(reportFile)) {
    if (Date.now() > deadline) throw new Error(`the bundled stack did not appear in ${dir} within ${SYNTH_TIMEOUT_MS} ms`);
    await sleep(100);
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as BundledReport;
  if (!report.ok) throw new Error(`synthesizing the bundled stack failed:\n${report.error}`);
  const template = Template.fromJSON(JSON.parse(readFileSync(path.join(dir, 'ImGroupStack.template.json'), 'utf8')));
  return { dir, template, seconds: report.seconds };
}

declare module 'vitest' {
  export interface ProvidedContext {
    bundledAssembly: string;
  }
}
