/** One JSON line per entry, so CloudWatch Logs Insights can query any field. */
type Level = 'debug' | 'info' | 'warn' | 'error';

const quiet = process.env.LOG_LEVEL === 'silent';

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (quiet) return;
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields }, (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
}

/** An error as a log field: name, message and stack, never the request that caused it. */
export const errorFields = (error: unknown) =>
  error instanceof Error ? { error: error.name, message: error.message, stack: error.stack } : { error: String(error) };
