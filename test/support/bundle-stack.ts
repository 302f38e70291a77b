import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_REPORT, type BundledReport, synthStack } from './synth.ts';

/**
 * Synthesizes the stack with every function bundled into the directory given, as `cdk synth`
 * would, then writes `bundled.json` there. The infra tests' global setup runs it in a process of
 * its own, so the synthesis runs beside the other tests instead of holding up the run.
 */
const dir = process.argv[2];
if (!dir) throw new Error('usage: bundle-stack.ts <assembly directory>');

let report: BundledReport;
try {
  const { app, seconds } = synthStack({ cliMetadata: true, outdir: dir });
  app.synth();
  report = { ok: true, seconds };
} catch (error) {
  report = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
// Written whole under another name first: a reader must never see half a report.
const partial = path.join(dir, `${BUNDLED_REPORT}.part`);
writeFileSync(partial, JSON.stringify(report));
renameSync(partial, path.join(dir, BUNDLED_REPORT));
