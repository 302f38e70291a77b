import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { METHODS, type MethodName, methodDef } from '#shared/api/registry.ts';
import type { ReplyValue } from '#shared/api/reply.ts';
import type { Params } from '#shared/api/schema.ts';
import { validate } from '#shared/api/validate.ts';
import { type Db, defaultDb } from '#shared/db/client.ts';
import { collectParams } from '#shared/http/collect.ts';
import { envelope, successReply } from '#shared/http/envelope.ts';
import { idempotencyKeyOf, once, paramsHash } from '#shared/http/idempotency.ts';
import { lookupCaller, sessionKeyFor } from '#shared/http/session.ts';
import { withInvocation } from '#shared/log.ts';

type Methods = typeof METHODS;
type CallerOf<M extends MethodName> = Methods[M]['session'] extends 'required'
  ? number
  : Methods[M]['session'] extends 'optional'
    ? number | undefined
    : undefined;

/** What a method's core receives: validated parameters, the caller and the table. */
export interface MethodInput<M extends MethodName> {
  readonly params: Params<Methods[M]['params']>;
  readonly caller: CallerOf<M>;
  readonly db: Db;
  readonly requestId: string;
}

/** A method's reply `data`, as its registry entry declares it. */
export type ReplyOf<M extends MethodName> = ReplyValue<Methods[M]['reply']>;

export type MethodCore<M extends MethodName> = (input: MethodInput<M>) => Promise<ReplyOf<M>>;

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Wraps a method's core in the shared HTTP chain: headers normalised, the reply envelope and the
 * one error policy, parameters collected and validated, the session resolved and, for a write sent
 * with an Idempotency-Key, the key's first reply given again instead of a second run. A handler
 * module is then one line: `export const handler = method('group_info', core)`.
 */
export function method<M extends MethodName>(name: M, core: MethodCore<M>, db: Db = defaultDb()): HttpHandler {
  const def = METHODS[name];
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(envelope(name))
    .handler(async (event, context) => {
      // Refusal order (README, "Order of refusals"): the request, the session, the parameters; the
      // core goes on with the group, the caller's right, the target and the state.
      const raw = collectParams(event);
      const caller = (await lookupCaller(db, sessionKeyFor(def.session, raw.session_key))) as CallerOf<M>;
      const params = validate(def.params, raw, methodDef(name).atLeastOne) as MethodInput<M>['params'];
      const key = def.readOnly ? undefined : idempotencyKeyOf(event, raw);
      const run = async () => successReply(await core({ params, caller, db, requestId: context.awsRequestId }));
      if (key === undefined) return run();
      return once(db, { method: name, caller, key, paramsHash: paramsHash(def.params, params), context }, run);
    });
  const run = handler as unknown as HttpHandler;
  return (event, context) => withInvocation(context.awsRequestId, { method: name }, () => run(event, context));
}
