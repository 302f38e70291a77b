/**
 * `npm run soak`: mixed traffic from many simulated users against the local runtime while
 * RongCloud fails in bursts and the poller and the runtime are killed, then every check. Prints
 * the report, writes test/soak/REPORT.md, and exits 1 on any broken invariant.
 *
 *   SOAK_SECONDS  traffic and faults, default 300
 *   SOAK_USERS    simulated users, default 40
 *   SOAK_IN_FLIGHT  calls on their way at once, across all users, default 6
 *   SOAK_SEED     replays a run's plan (actions and faults)
 *   SOAK_KEEP=1   keeps the data directory and process logs (kept anyway on failure)
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeReport } from './report.ts';
import { runSoak, type SoakSettings } from './soak.ts';

function positive(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^\d+$/.test(text) || Number(text) <= 0) throw new Error(`${name} must be a positive whole number, not "${text}"`);
  return Number(text);
}

const settings: SoakSettings = {
  seconds: positive('SOAK_SECONDS', 300),
  users: positive('SOAK_USERS', 40),
  maxInFlight: positive('SOAK_IN_FLIGHT', 6),
  seed: positive('SOAK_SEED', Math.floor(Math.random() * 1_000_000) + 1),
  drainSeconds: 120,
  keep: process.env.SOAK_KEEP === '1',
};

const began = Date.now();
const log = (line: string) => console.error(`[soak ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const loadAtStart = loadavg();
const result = await runSoak(settings, log);
const file = fileURLToPath(new URL('REPORT.md', import.meta.url));
await writeReport(file, result, loadAtStart);
console.log(await readFile(file, 'utf8'));
log(`wrote ${file}${result.kept ? `; data and logs kept in ${result.workDir}` : ''}`);
process.exit(result.findings.length === 0 ? 0 : 1);
