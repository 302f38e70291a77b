import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { MethodDef, NamedMethodDef } from '#shared/api/method-def.ts';
import type { METHODS, MethodName } from '#shared/api/registry.ts';
import type { ReplyValue } from '#shared/api/reply.ts';
import type { Params } from '#shared/api/schema.ts';
import { validate } from '#shared/api/validate.ts';
import { type Db, defaultDb } from '#shared/db/client.ts';
import { eventualFirst } from '#shared/db/consistency.ts';
import { CallerSession } from '#shared/entities/session.ts';
import { AppError, THROTTLED } from '#shared/errors.ts';
import { collectParams } from '#shared/http/collect.ts';
import { envelope, successReply } from '#shared/http/envelope.ts';
import { idempotencyKeyOf, once, paramsHash } from '#shared/http/idempotency.ts';
import { lookupCaller, sessionKeyFor } from '#shared/http/session.ts';
import { withInvocation } from '#shared/log.ts';

type Methods = typeof METHODS;
type CallerFor<D extends MethodDef> = D['session'] extends 'required'
  ? number
  : D['session'] extends 'optional'
    ? number | undefined
    : undefined;

/** What a method's core receives: validated parameters, the caller and the table. */
export interface CoreInput<D extends MethodDef> {
  readonly params: Params<D['params']>;
  readonly caller: CallerFor<D>;
  readonly db: Db;
  readonly requestId: string;
}

export type Core<D extends MethodDef> = (input: CoreInput<D>) => Promise<ReplyValue<D['reply']>>;

/** A core that reads the session itself, with its first read (`readWithSession`). */
export interface SessionCoreInput<D extends MethodDef> extends Omit<CoreInput<D>, 'caller'> {
  readonly caller: D['session'] extends 'required' ? CallerSession : CallerSession | undefined;
}

export type SessionCore<D extends MethodDef> = (input: SessionCoreInput<D>) => Promise<ReplyValue<D['reply']>>;

/** The same, by the method's registry name. */
export type MethodInput<M extends MethodName> = CoreInput<Methods[M]>;

/** A method's reply `data`, as its registry entry declares it. */
export type ReplyOf<M extends MethodName> = ReplyValue<Methods[M]['reply']>;

export type MethodCore<M extends MethodName> = Core<Methods[M]>;

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Wraps a method's core in the shared HTTP chain: headers normalised, the reply envelope and the
 * one error policy, parameters collected and validated, the session resolved and, for a write sent
 * with an Idempotency-Key, the key's first reply given again instead of a second run. A handler
 * module is then one line: `export const handler = method(group_info, core)`, given the method's
 * own definition rather than the registry, so that the bundle carries no other method's.
 */
export function method<D extends NamedMethodDef>(def: D, core: Core<D>, db: Db = defaultDb()): HttpHandler {
  return chain(def, async ({ raw, event, context }) => {
    const caller = (await lookupCaller(db, sessionKeyFor(def.session, raw.session_key))) as CallerFor<D>;
    const params = validate(def.params, raw, def.atLeastOne) as CoreInput<D>['params'];
    const key = def.readOnly ? undefined : idempotencyKeyOf(event, raw);
    const run = async () => successReply(await change(def, () => core({ params, caller, db, requestId: context.awsRequestId })));
    if (key === undefined) return run();
    return once(
      db,
      { method: def.name, caller: caller as number, key, paramsHash: paramsHash(def.params, params), context },
      run,
    );
  });
}

/**
 * The same chain for a method that needs a session and reads it together with its own first read:
 * the core gets the session still unread, and the session costs no round trip of its own. The
 * refusal order holds: a missing key (2) before anything; an unknown session (3) before a
 * parameter's refusal, reading it first only when the parameters are refused. An Idempotency-Key
 * needs the caller before the core runs, so then the session is read up front.
 */
export function methodWithSession<D extends NamedMethodDef & { session: 'required' | 'optional' }>(
  def: D,
  core: SessionCore<D>,
  db: Db = defaultDb(),
): HttpHandler {
  return chain(def, async ({ raw, event, context }) => {
    const rawKey = sessionKeyFor(def.session, raw.session_key);
    const session = rawKey === undefined ? undefined : new CallerSession(db, rawKey);
    const caller = session as SessionCoreInput<D>['caller'];
    let params: CoreInput<D>['params'];
    let key: string | undefined;
    try {
      params = validate(def.params, raw, def.atLeastOne) as CoreInput<D>['params'];
      key = def.readOnly ? undefined : idempotencyKeyOf(event, raw);
    } catch (error) {
      await session?.caller();
      throw error;
    }
    const run = async () => successReply(await change(def, () => core({ params, caller, db, requestId: context.awsRequestId })));
    if (key === undefined) return run();
    const known = await session?.caller();
    return once(db, { method: def.name, caller: known, key, paramsHash: paramsHash(def.params, params), context }, run);
  });
}

/** A refusal worth confirming with strong reads: any but "too busy", which a second run would only prolong. */
const isRefusal = (error: unknown) => error instanceof AppError && error.status !== THROTTLED.code;

/**
 * A changing method's core reads eventually where its conditions allow (`consistency.ts`); a
 * read-only method reads strongly, so a caller reads back its own change.
 */
const change = <T>(def: NamedMethodDef, run: () => Promise<T>): Promise<T> =>
  def.readOnly ? run() : eventualFirst(run, isRefusal);

/** The HTTP API sends header names in lower case; the local runtime and other callers may not. */
const lowerCaseHeaders: middy.MiddlewareObj<APIGatewayProxyEventV2> = {
  before: ({ event }) => {
    if (event.headers) event.headers = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k.toLowerCase(), v]));
  },
};

type Body = (input: {
  raw: Record<string, unknown>;
  event: APIGatewayProxyEventV2;
  context: Context;
}) => Promise<APIGatewayProxyStructuredResultV2>;

function chain(def: NamedMethodDef, body: Body): HttpHandler {
  const { name } = def;
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(lowerCaseHeaders)
    .use(envelope(name))
    // Refusal order (README, "Order of refusals"): the request, the session, the parameters; the
    // core goes on with the group, the caller's right, the target and the state.
    .handler((event, context) => body({ raw: collectParams(event), event, context }));
  const run = handler as unknown as HttpHandler;
  return (event, context) => withInvocation(context.awsRequestId, { method: name }, () => run(event, context));
}
