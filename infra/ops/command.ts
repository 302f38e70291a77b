import type { Target } from '#infra/ops/target.ts';
import type { Db } from '#shared/db/client.ts';

/**
 * An operator command. Each names its positional arguments and options; `cli.ts` parses them,
 * resolves the target table and calls `run`. Output for people goes through `say`; `print` is the
 * one line a script may capture (a session key, a transaction id).
 */
export interface CommandContext {
  readonly db: Db;
  readonly target: Target;
  readonly args: readonly string[];
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
  say(line: string): void;
  print(line: string): void;
}

type OptionSpec = { readonly type: 'string' | 'boolean' };

export interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** How many positional arguments it takes: [min, max]. */
  readonly arity: readonly [number, number];
  run(context: CommandContext): Promise<void>;
}
