import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * One JSON line per entry, written straight to stdout so that Lambda's JSON log format passes it
 * through as it is (console.* would wrap it in a second envelope) and filters it by its `level`,
 * as the stack's application log level asks. CloudWatch Logs Insights can query any field.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

const RANK = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
const ALIASES: Record<string, keyof typeof RANK> = {
  trace: 'debug',
  warning: 'warn',
  fatal: 'error',
  critical: 'error',
  off: 'silent',
};

/** `LOG_LEVEL` (trace, debug, info, warn, error, fatal, silent), else the level Lambda's log settings give. */
export function levelFrom(value: string | undefined): keyof typeof RANK {
  const name = (value ?? '').trim().toLowerCase();
  if (name in RANK) return name as keyof typeof RANK;
  return ALIASES[name] ?? 'info';
}

const threshold = RANK[levelFrom(process.env.LOG_LEVEL || process.env.AWS_LAMBDA_LOG_LEVEL)];

/** The fields of the invocation under way, added to every line it writes (one store per request, also locally). */
const invocation = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

let coldStart = true;

/**
 * Runs `fn` with the invocation's fields on every line it logs: the request id, the function, whether
 * this is the container's first invocation, the X-Ray trace id, and whatever `fields` add (the method).
 */
export function withInvocation<T>(requestId: string, fields: Record<string, unknown>, fn: () => T): T {
  const context = {
    requestId,
    function_name: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
    cold_start: coldStart,
    ...(process.env._X_AMZN_TRACE_ID ? { xray_trace_id: process.env._X_AMZN_TRACE_ID } : {}),
    ...fields,
  };
  coldStart = false;
  return invocation.run(context, fn);
}

/** The fields of the invocation under way, for writers of other lines (metrics). */
export const invocationFields = (): Readonly<Record<string, unknown>> => invocation.getStore() ?? {};

const toJson = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/** Writes one line, whatever the level; for lines that are not log entries (embedded metrics). */
export function writeLine(entry: Record<string, unknown>): void {
  if (threshold === RANK.silent) return;
  process.stdout.write(`${toJson(entry)}\n`);
}

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (RANK[level] < threshold) return;
  writeLine({ level, timestamp: new Date().toISOString(), message, ...invocationFields(), ...fields });
}

/** An error as a log field: name, message and stack, never the request that caused it. */
export const errorFields = (error: unknown) => ({
  error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { message: String(error) },
});
