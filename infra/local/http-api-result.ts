import type { ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

const isStructured = (result: unknown): result is APIGatewayProxyStructuredResultV2 =>
  typeof result === 'object' && result !== null && 'statusCode' in result;

/**
 * What API Gateway makes of a handler's return value under payload format 2.0: a result with a
 * `statusCode` is used as it is; anything else is taken as a JSON body with status 200.
 */
export function normalizeResult(result: unknown): APIGatewayProxyStructuredResultV2 {
  if (isStructured(result)) return result;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: typeof result === 'string' ? result : JSON.stringify(result ?? null),
  };
}

export function writeResult(res: ServerResponse, result: unknown): void {
  const reply = normalizeResult(result);
  const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.from(reply.body, reply.isBase64Encoded ? 'base64' : 'utf8');
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, String(value));
  if (reply.cookies && reply.cookies.length > 0) res.setHeader('set-cookie', reply.cookies);
  res.setHeader('content-length', body.length);
  res.statusCode = reply.statusCode ?? 200;
  res.end(body);
}
