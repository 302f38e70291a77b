/**
 * The local runtime's own messages (startup, poller warnings, failures outside handlers), kept
 * apart from the handlers' JSON request logs and short enough to read in a terminal.
 */
export interface LocalLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const format = (message: string, fields?: Record<string, unknown>) =>
  fields && Object.keys(fields).length > 0 ? `[local] ${message} ${JSON.stringify(fields)}` : `[local] ${message}`;

export function createLocalLog(options: { quiet?: boolean } = {}): LocalLog {
  const quiet = options.quiet === true;
  return {
    info: (message, fields) => {
      if (!quiet) console.log(format(message, fields));
    },
    warn: (message, fields) => {
      if (!quiet) console.error(format(message, fields));
    },
    error: (message, fields) => {
      if (!quiet) console.error(format(message, fields));
    },
  };
}

export const silentLog: LocalLog = createLocalLog({ quiet: true });
