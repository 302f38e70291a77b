import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsError, awsJson, MAX_ATTEMPTS } from '#shared/aws/request.ts';
import { deadLetterMessage, sqsDeadLetter } from '#shared/outbox/dead-letter.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';
import { awsErrorReply, recordingFetch, signatureHolds, TEST_CREDENTIALS } from '../support/aws-fetch.ts';

const credentials = async () => TEST_CREDENTIALS;
const noWait = async () => {};
const options = (fetch: typeof globalThis.fetch) => ({ region: 'eu-west-1', credentials, fetch, sleep: noWait });

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('signed AWS requests', () => {
  it('sends a JSON-protocol operation to the regional endpoint, signed for the service and region', async () => {
    const aws = recordingFetch(() => ({ Parameter: { Value: 'v' } }));

    const reply = await awsJson('ssm', 'GetParameter', { Name: '/p', WithDecryption: true }, options(aws.fetch));

    expect(reply).toEqual({ Parameter: { Value: 'v' } });
    expect(aws.sent).toHaveLength(1);
    const [sent] = aws.sent;
    expect(sent?.method).toBe('POST');
    expect(sent?.url.href).toBe('https://ssm.eu-west-1.amazonaws.com/');
    expect(sent?.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
    expect(sent?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(sent?.headers['x-amz-security-token']).toBe('test-token');
    expect(sent?.headers.authorization).toContain('Credential=AKIDTEST/');
    expect(sent?.headers.authorization).toMatch(/\/eu-west-1\/ssm\/aws4_request, SignedHeaders=[^,]*host;[^,]*x-amz-target/);
    expect(JSON.parse(sent?.body.toString() ?? '')).toEqual({ Name: '/p', WithDecryption: true });
    expect(signatureHolds(sent!, TEST_CREDENTIALS.secretAccessKey)).toBe(true);
    // The check can fail: another secret, or a body changed after signing, does not verify.
    expect(signatureHolds(sent!, 'another-secret')).toBe(false);
    expect(signatureHolds({ ...sent!, body: Buffer.from('{}') }, TEST_CREDENTIALS.secretAccessKey)).toBe(false);
  });

  it('follows the SDK endpoint settings and the China partition', async () => {
    const aws = recordingFetch();
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', 'http://127.0.0.1:4566/');
    await awsJson('sqs', 'SendMessage', {}, options(aws.fetch));
    vi.stubEnv('AWS_ENDPOINT_URL_SQS', '');
    await awsJson('sqs', 'SendMessage', {}, { ...options(aws.fetch), region: 'cn-north-1' });

    expect(aws.sent.map((request) => request.url.href)).toEqual([
      'http://127.0.0.1:4566/',
      'https://sqs.cn-north-1.amazonaws.com.cn/',
    ]);
    expect(aws.sent.every((request) => signatureHolds(request, TEST_CREDENTIALS.secretAccessKey))).toBe(true);
  });

  it('tries again after throttling, a 5xx or a lost connection, signing each try afresh', async () => {
    const answers = [
      () => awsErrorReply(400, 'ThrottlingException', 'Rate exceeded'),
      () => awsErrorReply(503, 'ServiceUnavailable'),
      () => ({ ok: true }),
    ];
    const aws = recordingFetch((_request, index) => answers[index]?.());
    await expect(awsJson('ssm', 'GetParameter', {}, options(aws.fetch))).resolves.toEqual({ ok: true });
    expect(aws.sent).toHaveLength(3);
    expect(aws.sent.every((request) => signatureHolds(request, TEST_CREDENTIALS.secretAccessKey))).toBe(true);

    const lost = recordingFetch(() => {
      throw new TypeError('fetch failed');
    });
    await expect(awsJson('ssm', 'GetParameter', {}, options(lost.fetch))).rejects.toThrow('fetch failed');
    expect(lost.sent).toHaveLength(MAX_ATTEMPTS);
  });

  it('gives up at once on a refusal, naming it as the SDK would', async () => {
    const aws = recordingFetch(() => awsErrorReply(400, 'ParameterNotFound', 'no such parameter'));

    const error = await awsJson('ssm', 'GetParameter', {}, options(aws.fetch)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AwsError);
    expect(error).toMatchObject({ name: 'ParameterNotFound', status: 400, message: 'ssm: no such parameter' });
    expect(aws.sent).toHaveLength(1);
  });

  it('reads S3 error codes from XML', async () => {
    const aws = recordingFetch(
      () => new Response('<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>', { status: 403 }),
    );
    const { awsRequest } = await import('#shared/aws/request.ts');

    const error = await awsRequest(
      's3',
      { method: 'PUT', url: 'https://b.s3.eu-west-1.amazonaws.com/k', headers: {}, body: 'x' },
      options(aws.fetch),
    ).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'AccessDenied', status: 403, message: 's3: Access Denied' });
  });
});

describe('the dead-letter queue', () => {
  const event: StoredEvent = { groupId: 5, eventId: 'E#0001', op: 'Rename', actor: 1, data: { amount: 10n }, time: 1 };

  it('sends the event with its key and reason as one SendMessage to the queue', async () => {
    const aws = recordingFetch(() => ({ MessageId: 'm-1' }));
    const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/FanoutDlq';

    await sqsDeadLetter(queueUrl, options(aws.fetch)).send(event, 'RongCloudError: down');

    expect(aws.sent).toHaveLength(1);
    const [sent] = aws.sent;
    expect(sent?.url.href).toBe('https://sqs.eu-west-1.amazonaws.com/');
    expect(sent?.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
    expect(sent?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(signatureHolds(sent!, TEST_CREDENTIALS.secretAccessKey)).toBe(true);
    const input = JSON.parse(sent?.body.toString() ?? '') as { QueueUrl: string; MessageBody: string };
    expect(input.QueueUrl).toBe(queueUrl);
    const { failedAt: _at, ...expected } = deadLetterMessage(event, 'RongCloudError: down');
    expect(JSON.parse(input.MessageBody)).toMatchObject({
      ...expected,
      event: { ...event, data: { amount: '10' } },
      failedAt: expect.any(String),
    });
  });
});
