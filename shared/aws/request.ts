import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { optionalEnv } from '#shared/config.ts';

/**
 * Calls to AWS services other than DynamoDB, signed (SigV4) and sent with `fetch`. The signer and
 * the credential chain are the ones the DynamoDB client already bundles, so a call costs a function
 * a few hundred bytes where the service's SDK client costs tens of KB and their evaluation at every
 * cold start.
 */
export type AwsService = 'ssm' | 'sqs' | 's3';

export interface AwsOptions {
  /** Defaults to AWS_REGION (always set in Lambda), then AWS_DEFAULT_REGION. */
  readonly region?: string;
  /** Defaults to the SDK's chain: the environment in Lambda, profiles and SSO for an operator. */
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly fetch?: typeof fetch;
  /** Waits between tries; tests pass one that returns at once. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AwsRequest {
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array;
}

/** An error answer from an AWS service, named by its error code as the SDK names its errors. */
export class AwsError extends Error {
  constructor(
    readonly service: AwsService,
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(`${service}: ${message || `HTTP ${status}`}`);
    this.name = code;
  }
}

/** As many tries as the SDK's standard retry mode makes. */
export const MAX_ATTEMPTS = 3;
const ATTEMPT_TIMEOUT_MS = 5_000;
const RETRYABLE_CODES = /Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|InternalError|ServiceUnavailable/;

let chain: AwsCredentialIdentityProvider | undefined;
/** One chain per container, made on first use: it caches what it resolved until it expires. */
const defaultCredentials: AwsCredentialIdentityProvider = (props) => {
  chain ??= defaultProvider();
  return chain(props);
};

export function awsRegion(options: AwsOptions = {}): string {
  const region = options.region ?? optionalEnv('AWS_REGION') ?? optionalEnv('AWS_DEFAULT_REGION');
  if (!region) throw new Error('AWS_REGION is not set');
  return region;
}

/**
 * The service's regional endpoint, unless AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL names
 * another (the SDK's own settings, which the benchmark's stand-ins use).
 */
export function awsEndpoint(service: AwsService, region: string): { url: string; configured: boolean } {
  const configured = optionalEnv(`AWS_ENDPOINT_URL_${service.toUpperCase()}`) ?? optionalEnv('AWS_ENDPOINT_URL');
  if (configured) return { url: configured.replace(/\/+$/, ''), configured: true };
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return { url: `https://${service}.${region}.${domain}`, configured: false };
}

/** The service's error code and message, from a JSON protocol's `__type` or S3's XML. */
async function errorFrom(service: AwsService, response: Response): Promise<AwsError> {
  const text = await response.text().catch(() => '');
  let code = response.headers.get('x-amzn-errortype')?.split(':')[0] ?? '';
  let message = '';
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    code =
      String(body.__type ?? body.code ?? code)
        .split('#')
        .pop() ?? code;
    message = String(body.message ?? body.Message ?? '');
  } catch {
    code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? code;
    message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
  }
  return new AwsError(service, code || `Http${response.status}`, response.status, message);
}

const retryable = (error: AwsError) => error.status >= 500 || error.status === 429 || RETRYABLE_CODES.test(error.code);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Signs and sends one request, trying again after throttling, a 5xx or a lost connection. */
export async function awsRequest(service: AwsService, request: AwsRequest, options: AwsOptions = {}): Promise<Response> {
  const region = awsRegion(options);
  const signer = new SignatureV4({
    service,
    region,
    credentials: options.credentials ?? defaultCredentials,
    sha256: Sha256,
    // S3 signs the path as sent and wants the payload's hash in a header; the rest escape it twice.
    uriEscapePath: service !== 's3',
    applyChecksum: service === 's3',
  });
  const url = new URL(request.url);
  for (let attempt = 1; ; attempt++) {
    const signed = await signer.sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: { ...request.headers, host: url.host },
      body: request.body,
    });
    // fetch sets Host from the URL: the same value that was signed.
    const { host: _host, ...headers } = signed.headers;
    let failure: unknown;
    try {
      const response = await (options.fetch ?? fetch)(url, {
        method: request.method,
        headers,
        body: request.body,
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      if (response.ok) return response;
      failure = await errorFrom(service, response);
    } catch (error) {
      // No answer: the connection failed or the attempt timed out.
      failure = error;
    }
    if (failure instanceof AwsError && !retryable(failure)) throw failure;
    if (attempt >= MAX_ATTEMPTS) throw failure;
    // Full jitter, as the SDK's standard mode: up to 100 ms, then 200 ms.
    await (options.sleep ?? sleep)(Math.random() * 100 * 2 ** (attempt - 1));
  }
}

/** The JSON protocol of each service called that way: its target prefix and version. */
const JSON_PROTOCOL = {
  ssm: { target: 'AmazonSSM', version: '1.1' },
  sqs: { target: 'AmazonSQS', version: '1.0' },
} as const;

/** One operation of a JSON-protocol service (SSM, SQS): its input as the API names it, its output parsed. */
export async function awsJson<T>(
  service: keyof typeof JSON_PROTOCOL,
  operation: string,
  input: unknown,
  options: AwsOptions = {},
): Promise<T> {
  const { target, version } = JSON_PROTOCOL[service];
  const response = await awsRequest(
    service,
    {
      method: 'POST',
      url: `${awsEndpoint(service, awsRegion(options)).url}/`,
      headers: { 'content-type': `application/x-amz-json-${version}`, 'x-amz-target': `${target}.${operation}` },
      body: JSON.stringify(input),
    },
    options,
  );
  return (await response.json()) as T;
}
