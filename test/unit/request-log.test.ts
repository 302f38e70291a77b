import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { METHODS } from '#shared/api/registry.ts';
import { WALLET_PWD_WRONG } from '#shared/errors.ts';
import type { MethodCore } from '#shared/http/method.ts';
import { httpEvent, lambdaContext } from '../support/events.ts';
import { captureLogLines, liveSession } from '../support/log-lines.ts';

/**
 * The request log as Lambda writes it to CloudWatch: one JSON line per request, with its request id,
 * and never the session key or the wallet password the request carried, whatever the outcome.
 */

const SESSION = 'secret-session-key-4f1c9b';
const PASSWORD = 'hunter2-wallet-pwd';

const ddb = mockClient(DynamoDBDocumentClient);
let lines: string[] = [];
let method: typeof import('#shared/http/method.ts').method;
let createDb: typeof import('#shared/db/client.ts').createDb;
let fail: typeof import('#shared/errors.ts').fail;

beforeAll(async () => {
  // The logger reads LOG_LEVEL once, at import: load it afresh with logging on.
  vi.stubEnv('LOG_LEVEL', 'info');
  vi.resetModules();
  ({ method } = await import('#shared/http/method.ts'));
  ({ createDb } = await import('#shared/db/client.ts'));
  ({ fail } = await import('#shared/errors.ts'));
  lines = captureLogLines();
  ddb.on(GetCommand).resolves(liveSession(7));
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const outcomes: Record<string, MethodCore<'group_join'>> = {
  success: async () => ({ result: 'joined', group_id: 1 }),
  refusal: async () => fail(WALLET_PWD_WRONG),
  crash: async () => {
    throw new Error('the table went away');
  },
};

describe('the request log', () => {
  it.each(Object.keys(outcomes))('writes one JSON line with the request id and no secret on %s', async (outcome) => {
    const handler = method(METHODS.group_join, outcomes[outcome]!, createDb({ table: 'unit' }));
    const bodies = [
      { body: JSON.stringify({ session_key: SESSION, group_id: 5, wallet_pwd: PASSWORD }), contentType: 'application/json' },
      { body: `session_key=${SESSION}&group_id=5&wallet_pwd=${PASSWORD}`, contentType: 'application/x-www-form-urlencoded' },
    ];
    for (const input of bodies) {
      lines.length = 0;
      const reply = await handler(httpEvent('group_join', input), { ...lambdaContext, awsRequestId: `req-${outcome}` });
      expect(reply.statusCode).toBe({ success: 200, refusal: 422, crash: 500 }[outcome]);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => !('_aws' in entry));
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        message: 'request',
        method: 'group_join',
        requestId: `req-${outcome}`,
        http: reply.statusCode,
      });
      for (const line of lines) {
        expect(line).not.toContain(SESSION);
        expect(line).not.toContain(PASSWORD);
      }
      expect(String(reply.body)).not.toContain(PASSWORD);
    }
  });
});
