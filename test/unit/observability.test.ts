import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { METHODS } from '#shared/api/registry.ts';
import { STATUS } from '#shared/errors.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { captureLogLines, liveSession } from '../support/log-lines.ts';

/**
 * What an operator reads in CloudWatch: every log line carries the invocation's fields, and
 * refusals, payments and deliveries arrive as embedded-metric lines CloudWatch turns into metrics.
 */

const ddb = mockClient(DynamoDBDocumentClient);
let lines: string[] = [];
let mod: {
  method: typeof import('#shared/http/method.ts').method;
  createDb: typeof import('#shared/db/client.ts').createDb;
  fail: typeof import('#shared/errors.ts').fail;
  log: typeof import('#shared/log.ts').log;
  levelFrom: typeof import('#shared/log.ts').levelFrom;
  metrics: typeof import('#shared/metrics.ts');
};

beforeAll(async () => {
  vi.stubEnv('LOG_LEVEL', 'info');
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'im-group_join');
  vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
  vi.resetModules();
  const [{ method }, { createDb }, { fail }, { log, levelFrom }, metrics] = await Promise.all([
    import('#shared/http/method.ts'),
    import('#shared/db/client.ts'),
    import('#shared/errors.ts'),
    import('#shared/log.ts'),
    import('#shared/metrics.ts'),
  ]);
  mod = { method, createDb, fail, log, levelFrom, metrics };
  lines = captureLogLines();
  ddb.on(GetCommand).resolves(liveSession(7));
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});
beforeEach(() => {
  lines.length = 0;
  mod.metrics.resetMetricTotals();
});

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
const call = (core: Parameters<typeof mod.method<typeof METHODS.group_quit>>[1], requestId: string) =>
  mod.method(
    METHODS.group_quit,
    core,
    mod.createDb({ table: 'unit' }),
  )(httpEvent('group_quit', { body: JSON.stringify({ session_key: 'k', group_id: 5 }), contentType: 'application/json' }), {
    ...lambdaContext,
    awsRequestId: requestId,
  });

describe('log lines', () => {
  it('carry level, timestamp, request id, function, cold start, trace id and method, also from domain code', async () => {
    await call(async () => {
      mod.log('warn', 'inside the core', { detail: 1 });
      return { result: 'quit', group_id: 5 } as never;
    }, 'req-first');
    await call(async () => ({ result: 'quit', group_id: 5 }) as never, 'req-second');
    const entries = parsed().filter((entry) => !('_aws' in entry));
    expect(entries.map((entry) => [entry.message, entry.requestId, entry.cold_start])).toEqual([
      ['inside the core', 'req-first', true],
      ['request', 'req-first', true],
      ['request', 'req-second', false],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ function_name: 'im-group_join', method: 'group_quit' });
      expect(entry.xray_trace_id).toMatch(/^Root=1-/);
      expect(['info', 'warn']).toContain(entry.level);
      expect(Number.isNaN(Date.parse(String(entry.timestamp)))).toBe(false);
    }
  });

  it('read the usual level names from LOG_LEVEL', () => {
    expect(
      ['TRACE', 'debug', 'Info', 'WARN', 'warning', 'error', 'FATAL', 'silent', 'nonsense', undefined].map(mod.levelFrom),
    ).toEqual(['debug', 'debug', 'info', 'warn', 'warn', 'error', 'error', 'silent', 'info', 'info']);
  });

  it('stay apart between invocations that overlap in one process, as under the local runtime', async () => {
    const slow = call(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      mod.log('info', 'slow core');
      return { result: 'quit', group_id: 5 } as never;
    }, 'req-slow');
    await call(async () => {
      mod.log('info', 'fast core');
      return { result: 'quit', group_id: 5 } as never;
    }, 'req-fast');
    await slow;
    const byMessage = Object.fromEntries(parsed().map((entry) => [entry.message, entry.requestId]));
    expect(byMessage).toMatchObject({ 'slow core': 'req-slow', 'fast core': 'req-fast' });
  });
});

describe('metrics', () => {
  it('count refusals by status as embedded metric format lines with the request id', async () => {
    await call(async () => mod.fail(STATUS.NOT_MEMBER), 'req-refused');
    await call(async () => {
      throw new Error('the table went away');
    }, 'req-crash');
    const emf = parsed().filter((entry) => '_aws' in entry);
    expect(emf).toHaveLength(2);
    expect(emf[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: mod.metrics.METRICS_NAMESPACE,
            Dimensions: [['Service'], ['Service', 'Status']],
            Metrics: [{ Name: 'Refusals', Unit: 'Count' }],
          },
        ],
      },
      Service: 'im-group',
      Status: '58',
      Refusals: 1,
      requestId: 'req-refused',
      method: 'group_quit',
    });
    expect(emf[1]).toMatchObject({ Status: '5', requestId: 'req-crash' });
    expect(mod.metrics.metricTotals().map((t) => [t.name, t.dimensions.Status, t.count])).toEqual([
      ['Refusals', '58', 1],
      ['Refusals', '5', 1],
    ]);
  });

  it('carry a payment amount exactly as a decimal string beside the chart value', () => {
    mod.metrics.paymentMetrics(2, '12345678901234567.000000000000000001', 'join');
    const [count, amount] = parsed();
    expect(count).toMatchObject({ Payments: 1, Coin: '2', amount: '12345678901234567.000000000000000001', kind: 'join' });
    expect(amount).toMatchObject({ amount: '12345678901234567.000000000000000001', Coin: '2' });
    expect(typeof amount?.PaymentAmount).toBe('number');
  });
});
