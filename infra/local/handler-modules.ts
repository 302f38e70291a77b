import type { Context } from 'aws-lambda';
import { moduleUrl } from '#infra/local/project-root.ts';

export type LambdaHandler<E = unknown, R = unknown> = (event: E, context: Context) => Promise<R>;

const loaded = new Map<string, Promise<LambdaHandler>>();

/**
 * A handler module's `handler` export, imported on first use and then kept, as a warm Lambda
 * container keeps it; the first call pays the import like a cold start does. A failed import is
 * forgotten so that the next call reports the error again instead of a stale one.
 */
export function loadHandler<E, R>(entry: string): Promise<LambdaHandler<E, R>> {
  let pending = loaded.get(entry);
  if (!pending) {
    pending = import(moduleUrl(entry)).then((module: Record<string, unknown>) => {
      const handler = module.handler;
      if (typeof handler !== 'function') throw new Error(`${entry} does not export a handler function`);
      return handler as LambdaHandler;
    });
    loaded.set(entry, pending);
    pending.catch(() => loaded.delete(entry));
  }
  return pending as Promise<LambdaHandler<E, R>>;
}
