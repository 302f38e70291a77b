import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as dismiss } from '#functions/im/group_dismiss.ts';
import { handler as invite } from '#functions/im/group_invite_user.ts';
import { handler as quit } from '#functions/im/group_quit.ts';
import { handler as search } from '#functions/im/group_search.ts';
import { handler as hot } from '#functions/im/hot_groups.ts';
import { managementMethods } from '#shared/api/methods/management.ts';
import { validate } from '#shared/api/validate.ts';
import { GROUP_SK, groupPk } from '#shared/entities/group.ts';
import { memberItem } from '#shared/entities/member.ts';
import { sessionKey } from '#shared/entities/session.ts';
import { httpEvent, jsonEvent, lambdaContext } from '../support/events.ts';
import { refusal } from '../support/refusal.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const GID = 20_000_000;
const meta = {
  pk: groupPk(GID),
  sk: GROUP_SK,
  kind: 'group',
  group_id: GID,
  owner_id: 1,
  member_count: 2,
  max_members: 3000,
  status: 'active',
};

/** The caller's session, read in the same BatchGet as the group. */
const session = { ...sessionKey('k'), kind: 'session', user_id: 1 };

const call = async (handler: typeof quit, event: ReturnType<typeof httpEvent>) => {
  const reply = await handler(event, lambdaContext);
  return { http: reply.statusCode, body: JSON.parse(String(reply.body)) };
};

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).resolves({ Item: { user_id: 1 } });
  ddb.on(QueryCommand).resolves({ Items: [] });
});

describe('management parameters', () => {
  it('takes at most 98 ids per role change and 32 per invitation (one transaction), refusing more with 165', async () => {
    const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1).join(',');
    for (const name of ['group_set_admin', 'group_delete_admin'] as const) {
      expect(validate(managementMethods[name].params, { group_id: 1, pre_admin: ids(98) }).pre_admin).toHaveLength(98);
      expect(await refusal(() => validate(managementMethods[name].params, { group_id: 1, pre_admin: ids(99) }))).toEqual({
        status: 165,
        http: 400,
      });
    }
    const params = managementMethods.group_invite_user.params;
    expect(validate(params, { group_id: 1, pre_invite: ids(32) }).pre_invite).toHaveLength(32);
    expect(await refusal(() => validate(params, { group_id: 1, pre_invite: ids(33) }))).toEqual({ status: 165, http: 400 });
  });

  it('pages search 20 at a time by default and at most 100, and checks memo, name and dnd', async () => {
    const s = managementMethods.group_search.params;
    expect(validate(s, { search_words: '币' })).toEqual({ search_words: '币', page: 1, each_page_count: 20 });
    expect(await refusal(() => validate(s, { search_words: 'x', each_page_count: 101 }))).toEqual({ status: 166, http: 400 });
    const memo = managementMethods.group_set_memo.params;
    expect(await refusal(() => validate(memo, { group_id: 1, memo: '长'.repeat(256) }))).toEqual({ status: 57, http: 400 });
    const name = managementMethods.group_set_name.params;
    expect(await refusal(() => validate(name, { group_id: 1, group_name: '  ' }))).toEqual({ status: 51, http: 400 });
    const dnd = managementMethods.group_set_dnd.params;
    expect(await refusal(() => validate(dnd, { group_id: 1, dnd: 2 }))).toEqual({ status: 166, http: 400 });
  });
});

describe('management handlers', () => {
  it('answer refusals in the envelope: the owner quitting is 409 status 161', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { 'unit-test-table': [session, meta, memberItem(GID, 1, 'owner', 1)] } });
    const reply = await call(quit, jsonEvent('group_quit', { session_key: 'k', group_id: GID }));
    expect(reply).toEqual({ http: 409, body: { success: false, status: 161, msg: 'the owner cannot quit', data: null } });
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('read form-encoded id lists and answer a result per id', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { 'unit-test-table': [session, meta, memberItem(GID, 1, 'owner', 1), { kind: 'user', user_id: 7 }] },
    });
    ddb.on(TransactWriteCommand).resolves({});
    const event = httpEvent('group_invite_user', {
      body: `session_key=k&group_id=${GID}&pre_invite=7&pre_invite=8`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(await call(invite, event)).toEqual({
      http: 200,
      body: { success: true, status: 1, msg: '成功', data: { results: { 7: 'added', 8: 'not_found' } } },
    });
  });

  it('serve hot_groups without a session, reading one page per shard', async () => {
    const reply = await call(hot, httpEvent('hot_groups', { verb: 'GET' }));
    expect(reply).toMatchObject({ http: 200, body: { data: { hot_groups: [] } } });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(QueryCommand).filter((c) => c.args[0].input.IndexName === 'hot')).toHaveLength(4);
  });

  it('need a session for search and dismiss', async () => {
    expect((await call(search, jsonEvent('group_search', { search_words: 'x' }))).body.status).toBe(2);
    expect((await call(dismiss, jsonEvent('group_dismiss', { group_id: GID }))).body.status).toBe(2);
  });
});
