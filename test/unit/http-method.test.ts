import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MethodDef } from '#shared/api/method-def.ts';
import { METHODS } from '#shared/api/registry.ts';
import { createDb } from '#shared/db/client.ts';
import { sessionKey } from '#shared/entities/session.ts';
import { fail, GROUP_NOT_FOUND } from '#shared/errors.ts';
import { type Core, type CoreInput, method } from '#shared/http/method.ts';
import { httpEvent, jsonEvent, lambdaContext } from '../support/events.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const db = createDb({ table: 'unit' });

/** A core that answers what it received, not a method's reply: the chain around it is under test. */
const probe = <D extends MethodDef>(core: (input: CoreInput<D>) => Promise<unknown>) => core as Core<D>;

const echo = method(
  METHODS.group_user_list,
  probe(async ({ params }) => ({ params })),
  db,
);
const whoAmI = method(
  METHODS.group_info,
  probe(async ({ params, caller }) => ({ caller, group: params.group_id })),
  db,
);

const call = async (handler: typeof echo, event: ReturnType<typeof httpEvent>) => {
  const reply = await handler(event, lambdaContext);
  return { http: reply.statusCode, body: JSON.parse(String(reply.body)), headers: reply.headers };
};

beforeEach(() => {
  ddb.reset();
});

describe('the HTTP method chain', () => {
  it('wraps a result in the success envelope', async () => {
    const reply = await call(echo, jsonEvent('group_user_list', { group_id: 5 }));
    expect(reply).toMatchObject({ http: 200, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(reply.body).toEqual({ success: true, status: 1, msg: '成功', data: { params: { group_id: 5, limit: 50 } } });
  });

  it('reads parameters from a form body, a query string and a base64 body alike', async () => {
    const form = await call(
      echo,
      httpEvent('group_user_list', { body: 'group_id=7&limit=3', contentType: 'application/x-www-form-urlencoded' }),
    );
    const query = await call(echo, httpEvent('group_user_list', { verb: 'GET', query: 'group_id=7&limit=3' }));
    const encoded = await call(echo, httpEvent('group_user_list', { body: '{"group_id":"7","limit":3}', base64: true }));
    for (const reply of [form, query, encoded]) expect(reply.body.data.params).toEqual({ group_id: 7, limit: 3 });
  });

  it('refuses malformed JSON with 400 status 164 in the envelope', async () => {
    const reply = await call(echo, httpEvent('group_user_list', { body: '{"group_id": 5', contentType: 'application/json' }));
    expect(reply).toMatchObject({ http: 400, body: { success: false, status: 164, data: null } });
    const array = await call(echo, httpEvent('group_user_list', { body: '[1,2]', contentType: 'application/json' }));
    expect(array.body.status).toBe(164);
  });

  it('refuses a call without session_key with 401 status 2 before reading anything', async () => {
    const reply = await call(whoAmI, jsonEvent('group_info', { group_id: 5 }));
    expect(reply).toMatchObject({ http: 401, body: { success: false, status: 2 } });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('refuses an unknown or expired session with 401 status 3', async () => {
    ddb.on(GetCommand).resolves({});
    expect((await call(whoAmI, jsonEvent('group_info', { group_id: 5, session_key: 'nope' }))).body.status).toBe(3);
    ddb.on(GetCommand).resolves({ Item: { user_id: 9, ttl: Math.floor(Date.now() / 1000) - 1 } });
    expect((await call(whoAmI, jsonEvent('group_info', { group_id: 5, session_key: 'old' }))).body.status).toBe(3);
    expect((await call(whoAmI, jsonEvent('group_info', { group_id: 5, session_key: 'k'.repeat(56) }))).body.status).toBe(3);
  });

  it('looks a session up by the SHA-256 of its key, never the key itself', async () => {
    ddb.on(GetCommand, { Key: sessionKey('secret-key') }).resolves({ Item: { user_id: 9 } });
    const reply = await call(whoAmI, jsonEvent('group_info', { group_id: 5, session_key: 'secret-key' }));
    expect(reply.body.data).toEqual({ caller: 9, group: 5 });
    const asked = ddb.commandCalls(GetCommand)[0]?.args[0].input;
    expect(JSON.stringify(asked)).not.toContain('secret-key');
  });

  it('shows a domain refusal as it is', async () => {
    const refusing = method(METHODS.group_user_list, async () => fail(GROUP_NOT_FOUND), db);
    const reply = await call(refusing, jsonEvent('group_user_list', { group_id: 5 }));
    expect(reply).toMatchObject({ http: 404, body: { success: false, status: 52, msg: 'group does not exist', data: null } });
  });

  it('answers anything unexpected as a generic 500 without its message or stack', async () => {
    const crashing = method(
      METHODS.group_user_list,
      async () => {
        throw new Error('ProvisionedThroughputExceeded at arn:aws:dynamodb:secret');
      },
      db,
    );
    const reply = await call(crashing, jsonEvent('group_user_list', { group_id: 5 }));
    expect(reply).toMatchObject({ http: 500, body: { success: false, status: 5, msg: 'internal error', data: null } });
    expect(JSON.stringify(reply.body)).not.toContain('arn:aws');
  });

  it('keeps JSON numbers as their exact source text', async () => {
    const exact = method(
      METHODS.group_create,
      probe(async ({ params }) => ({ value: params.consensus_value })),
      db,
    );
    ddb.on(GetCommand).resolves({ Item: { user_id: 1 } });
    const event = httpEvent('group_create', {
      body: '{"session_key":"k","user_list":[2],"consensus_value":0.1000000000000000055511151231257827}',
      contentType: 'application/json',
    });
    const reply = await call(exact, event);
    expect(reply.body.data.value).toBe('0.1000000000000000055511151231257827');
  });
});
