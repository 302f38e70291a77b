import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** `biome check .` formats Markdown too, so a written report is left as the repository's formatter writes it. */
export function formatMarkdown(file: string): void {
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  const run = spawnSync(process.execPath, [biome, 'format', '--write', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`biome could not format ${file}: ${run.stderr || run.stdout}`);
}
