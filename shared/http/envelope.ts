import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { REPLAYED_HEADER } from '#shared/api/idempotency-key.ts';
import { AppError, INTERNAL, OK } from '#shared/errors.ts';
import { errorFields, log } from '#shared/log.ts';
import { metric } from '#shared/metrics.ts';

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

const toJson = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

export function successReply(data: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    headers: JSON_HEADERS,
    body: toJson({ success: true, status: OK.code, msg: OK.msg, data: data ?? {} }),
  };
}

export function errorReply(error: AppError): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: error.http,
    headers: error.retryAfter === undefined ? JSON_HEADERS : { ...JSON_HEADERS, 'retry-after': String(error.retryAfter) },
    body: toJson({ success: false, status: error.status, msg: error.message, data: null }),
  };
}

export function replayedReply(stored: { http: number; body: string }): APIGatewayProxyStructuredResultV2 {
  return { statusCode: stored.http, headers: { ...JSON_HEADERS, [REPLAYED_HEADER]: 'true' }, body: stored.body };
}

/**
 * The one error policy: an `AppError` is shown as it is; anything else is logged with its stack
 * and answered as a generic internal error, so no trace or SDK message ever reaches a client.
 */
export function replyForError(error: unknown): { reply: APIGatewayProxyStructuredResultV2; exposed: boolean } {
  if (error instanceof AppError) return { reply: errorReply(error), exposed: true };
  return { reply: errorReply(new AppError(INTERNAL)), exposed: false };
}

/** Shapes every reply into the envelope and logs one line per request, without parameters. */
export function envelope(method: string): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  const started = new WeakMap<object, number>();
  const done = (request: Request, reply: APIGatewayProxyStructuredResultV2, extra: Record<string, unknown> = {}) => {
    request.response = reply;
    const begin = started.get(request) ?? Date.now();
    log(reply.statusCode === 200 ? 'info' : reply.statusCode && reply.statusCode >= 500 ? 'error' : 'warn', 'request', {
      method,
      requestId: request.context.awsRequestId,
      http: reply.statusCode,
      ms: Date.now() - begin,
      ...(reply.headers?.[REPLAYED_HEADER] ? { replayed: true } : {}),
      ...extra,
    });
  };
  return {
    before: (request) => {
      started.set(request, Date.now());
    },
    after: (request) => {
      done(request, request.response ?? successReply(undefined));
    },
    onError: (request) => {
      const { reply, exposed } = replyForError(request.error);
      metric('Refusals', 1, {
        dimensions: { Status: String(exposed ? (request.error as AppError).status : INTERNAL.code) },
      });
      done(request, reply, exposed ? { status: (request.error as AppError).status } : errorFields(request.error));
    },
  };
}
