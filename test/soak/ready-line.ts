/**
 * How a soak child process says it is up: one line on stdout, the marker and a JSON object, so
 * the soak can read it out of the child's log.
 */
export const READY_MARK = 'SOAK-READY';

export const readyLine = (details: Record<string, unknown>) => `${READY_MARK} ${JSON.stringify(details)}`;

export function parseReadyLine(output: string): Record<string, unknown> | undefined {
  const line = output.split('\n').find((text) => text.startsWith(`${READY_MARK} `));
  return line === undefined ? undefined : (JSON.parse(line.slice(READY_MARK.length + 1)) as Record<string, unknown>);
}

/** A setting the soak hands a child in its environment. */
export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this process is started by the soak (test/soak/run.ts)`);
  return value;
}
