import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/** A minimal API Gateway HTTP API (payload v2) event, as the gateway sends it. */
export function httpEvent(
  method: string,
  input: { body?: string; contentType?: string; query?: string; verb?: 'GET' | 'POST'; base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const verb = input.verb ?? 'POST';
  const body = input.body === undefined ? undefined : input.base64 ? Buffer.from(input.body).toString('base64') : input.body;
  return {
    version: '2.0',
    routeKey: `${verb} /im/${method}`,
    rawPath: `/im/${method}`,
    rawQueryString: input.query ?? '',
    headers: input.contentType ? { 'content-type': input.contentType } : {},
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: verb, path: `/im/${method}`, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: `${verb} /im/${method}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: input.base64 ?? false,
  };
}

export const lambdaContext = { awsRequestId: 'req-1', functionName: 'test' } as Context;

export const jsonEvent = (method: string, params: Record<string, unknown>) =>
  httpEvent(method, { body: JSON.stringify(params), contentType: 'application/json' });

const MULTIPART_BOUNDARY = 'test-boundary-4f1c9a';

/** A `multipart/form-data` body of text fields, as browsers and `curl -F` write one. */
export function multipartForm(fields: Iterable<readonly [string, string]>): { body: string; contentType: string } {
  const parts = [...fields].map(
    ([name, value]) => `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    body: `${parts.join('')}--${MULTIPART_BOUNDARY}--\r\n`,
    contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}`,
  };
}
