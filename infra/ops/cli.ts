import { parseArgs } from 'node:util';
import type { Command } from '#infra/ops/command.ts';
import { COMMANDS } from '#infra/ops/commands.ts';
import { Refused, resolveTarget, TARGET_OPTIONS, type TargetOptions, UsageError } from '#infra/ops/target.ts';
import { AppError } from '#shared/errors.ts';

/**
 * `npm run ops -- <command> [arguments] [target]`. Exit codes: 0 done, 1 refused or failed, 2 bad
 * usage.
 */

const TARGET_HELP = `Target (default: the local runtime's table, found through <data dir>/runtime.json):
  --local                 the local runtime (default)
  --data-dir DIR          its data directory (default IM_DATA_DIR or .im-data)
  --local-url URL         the runtime serving URL, in memory too: its table and its dead letters
  --endpoint URL          any DynamoDB Local, with --table (default im-local)
  --table NAME --region R a deployed table, with the default AWS credentials`;

function help(): string {
  const width = Math.max(...Object.values(COMMANDS).map((command) => command.usage.length));
  const lines = Object.values(COMMANDS).map((command) => `  ${command.usage.padEnd(width)}  ${command.summary}`);
  return `Usage: npm run ops -- <command> [arguments] [target]\n\nCommands:\n${lines.join('\n')}\n\n${TARGET_HELP}\n`;
}

const say = (line: string) => console.error(line);
const print = (line: string) => console.log(line);

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    print(help());
    return name ? 0 : 2;
  }
  const command: Command | undefined = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${name}; npm run ops -- help lists them`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { ...TARGET_OPTIONS, ...command.options },
    allowPositionals: true,
    strict: true,
  });
  const [min, max] = command.arity;
  if (positionals.length < min || positionals.length > max) throw new UsageError(`usage: npm run ops -- ${command.usage}`);

  const target = await resolveTarget(values as TargetOptions, say);
  try {
    say(`on ${target.description}`);
    await command.run({ db: target.db, target, args: positionals, options: values, say, print });
  } finally {
    await target.release();
  }
  return 0;
}

function exitCodeFor(error: unknown): number {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS')) {
    say(`ops: ${(error as Error).message}`);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') say("ops: an argument that begins with '-' goes after '--'");
    return 2;
  }
  if (error instanceof AppError) {
    say(`ops: refused: ${error.message} (status ${error.status})`);
    return 1;
  }
  if (error instanceof Refused) {
    say(`ops: refused: ${error.message}`);
    return 1;
  }
  say(`ops: failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  if (process.env.DEBUG) console.error(error);
  return 1;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(exitCodeFor(error)),
);
