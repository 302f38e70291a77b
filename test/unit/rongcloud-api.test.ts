import { describe, expect, it } from 'vitest';
import { createRongCloudApi } from '#shared/rongcloud/api.ts';
import { createRongCloud } from '#shared/rongcloud/client.ts';
import { RongCloudError } from '#shared/rongcloud/errors.ts';
import { GROUP_NOTIFICATION_OBJECT, groupNotification } from '#shared/rongcloud/notification.ts';
import { TestClock } from '../support/clock.ts';

interface SentCall {
  resource: string;
  form: URLSearchParams;
}

/** A RongCloud that answers `{"code":200}` unless `refuse` says otherwise, and keeps every form it got. */
function apiWith(refuse: (call: SentCall, index: number) => { status: number; body: unknown } | undefined = () => undefined) {
  const sent: SentCall[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const call = { resource: new URL(String(input)).pathname, form: new URLSearchParams(String(init.body)) };
    sent.push(call);
    const answer = refuse(call, sent.length - 1) ?? { status: 200, body: { code: 200 } };
    return new Response(JSON.stringify(answer.body), { status: answer.status });
  };
  const client = createRongCloud({
    appKey: 'k',
    appSecret: 's',
    hosts: ['https://rc.example'],
    fetch: fetch as typeof globalThis.fetch,
    clock: new TestClock(),
  });
  return { api: createRongCloudApi(client), sent };
}

const ids = (count: number, from = 1) => Array.from({ length: count }, (_, index) => String(from + index));

describe('RongCloud group membership calls', () => {
  it('creates a group of 2500 users as one create call and two join calls, each at most 1000 ids', async () => {
    const { api, sent } = apiWith();

    await api.groupCreate(ids(2500), 'g1', 'Friends');

    expect(sent.map((call) => call.resource)).toEqual(['/group/create.json', '/group/join.json', '/group/join.json']);
    expect(sent.map((call) => call.form.getAll('userId').length)).toEqual([1000, 1000, 500]);
    expect(sent.flatMap((call) => call.form.getAll('userId'))).toEqual(ids(2500));
    for (const call of sent) {
      expect(call.form.get('groupId')).toBe('g1');
      expect(call.form.get('groupName')).toBe('Friends');
    }
  });

  it('joins and quits in chunks of 1000 and sends each id once', async () => {
    const { api, sent } = apiWith();

    await api.groupJoin([...ids(2001), '1', 1], 'g1');
    await api.groupQuit(ids(1000), 'g1');

    expect(sent.map((call) => [call.resource, call.form.getAll('userId').length])).toEqual([
      ['/group/join.json', 1000],
      ['/group/join.json', 1000],
      ['/group/join.json', 1],
      ['/group/quit.json', 1000],
    ]);
    expect(sent[0]!.form.has('groupName')).toBe(false);
  });

  it('dismisses with the operator as userId, renames with groupName, and never calls group/sync', async () => {
    const { api, sent } = apiWith();

    await api.groupDismiss(7, 'g1');
    await api.groupRefresh('g1', 'New name');

    expect(sent.map((call) => [call.resource, Object.fromEntries(call.form)])).toEqual([
      ['/group/dismiss.json', { userId: '7', groupId: 'g1' }],
      ['/group/refresh.json', { groupId: 'g1', groupName: 'New name' }],
    ]);
    expect(sent.some((call) => call.resource.includes('sync'))).toBe(false);
  });

  it("sets a member's do-not-disturb as a group conversation notification setting", async () => {
    const { api, sent } = apiWith();

    await api.setGroupDoNotDisturb(7, 'g1', true);
    await api.setGroupDoNotDisturb(7, 'g1', false);

    expect(sent.map((call) => [call.resource, Object.fromEntries(call.form)])).toEqual([
      [
        '/conversation/notification/set.json',
        { conversationType: '3', requestId: '7', targetId: 'g1', isMuted: '1', unpushLevel: '5' },
      ],
      [
        '/conversation/notification/set.json',
        { conversationType: '3', requestId: '7', targetId: 'g1', isMuted: '0', unpushLevel: '-1' },
      ],
    ]);
  });

  it('gags members twenty a call with the minutes given, and ungags them the same way', async () => {
    const { api, sent } = apiWith();

    await api.groupGag(ids(45), 'g1', 90);
    await api.groupUngag(ids(3), 'g1');

    expect(sent.map((call) => call.resource)).toEqual([
      '/group/user/gag/add.json',
      '/group/user/gag/add.json',
      '/group/user/gag/add.json',
      '/group/user/gag/rollback.json',
    ]);
    expect(sent.map((call) => call.form.getAll('userId').length)).toEqual([20, 20, 5, 3]);
    expect(sent.slice(0, 3).flatMap((call) => call.form.getAll('userId'))).toEqual(ids(45));
    expect(sent.slice(0, 3).map((call) => [call.form.get('groupId'), call.form.get('minute')])).toEqual([
      ['g1', '90'],
      ['g1', '90'],
      ['g1', '90'],
    ]);
    expect(sent[3]!.form.has('minute')).toBe(false);
  });

  it('never sends a gag of 0 minutes (RongCloud’s for ever) or over 30 days', async () => {
    const { api, sent } = apiWith();
    for (const minutes of [0, 43_201, 1.5]) {
      await expect(api.groupGag(['1'], 'g1', minutes)).rejects.toMatchObject({ kind: 'local', code: 1002 });
    }
    expect(sent).toEqual([]);
    await api.groupGag(['1'], 'g1', 43_200);
    expect(sent[0]!.form.get('minute')).toBe('43200');
  });

  it('mutes and unmutes the whole group by groupId, and keeps its whitelist twenty users a call', async () => {
    const { api, sent } = apiWith();

    await api.groupBanWhitelist(ids(21), 'g1', true);
    await api.groupBan('g1', true);
    await api.groupBan('g1', false);
    await api.groupBanWhitelist(ids(2), 'g1', false);

    expect(sent.map((call) => `${call.resource} ${call.form.toString()}`)).toEqual([
      `/group/user/ban/whitelist/add.json ${ids(20)
        .map((id) => `userId=${id}`)
        .join('&')}&groupId=g1`,
      '/group/user/ban/whitelist/add.json userId=21&groupId=g1',
      '/group/ban/add.json groupId=g1',
      '/group/ban/rollback.json groupId=g1',
      '/group/user/ban/whitelist/rollback.json userId=1&userId=2&groupId=g1',
    ]);
  });

  it("reads RongCloud's member list of a group", async () => {
    const { api } = apiWith(() => ({ status: 200, body: { code: 200, id: 'g1', users: [{ id: '1' }, { id: 2 }] } }));

    await expect(api.groupMembers('g1')).resolves.toEqual(['1', '2']);
  });

  it('refuses an empty user list or an over-long group id without calling RongCloud', async () => {
    const { api, sent } = apiWith();

    await expect(api.groupJoin([], 'g1')).rejects.toMatchObject({ kind: 'local', code: 1002, retryable: false });
    await expect(api.groupCreate(['1'], 'x'.repeat(65), 'n')).rejects.toMatchObject({ kind: 'local', code: 1002 });

    expect(sent).toHaveLength(0);
  });

  it('tells which ids were already accepted when a later chunk fails', async () => {
    const { api } = apiWith((_call, index) =>
      index === 1 ? { status: 400, body: { code: 1002, errorMessage: 'bad' } } : undefined,
    );

    const error = await api.groupJoin(ids(1500), 'g1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RongCloudError);
    expect((error as RongCloudError).completed).toEqual(ids(1000));
    expect((error as RongCloudError).code).toBe(1002);
  });
});

describe('RongCloud messages', () => {
  it('publishes a group notification whose content is a JSON string with data itself a JSON string', async () => {
    const { api, sent } = apiWith();
    const data = { targetUserIds: ['8', '9'], targetUserDisplayNames: ['Ann', 'Bo'], timestamp: 1_700_000_000_000 };

    await api.publishGroupMessage({
      fromUserId: 7,
      toGroupIds: ['g1'],
      objectName: GROUP_NOTIFICATION_OBJECT,
      content: groupNotification({ operatorUserId: 7, operation: 'Add', data, message: 'Ann and Bo joined' }),
      isIncludeSender: true,
      isPersisted: false,
    });

    expect(sent).toHaveLength(1);
    const form = sent[0]!.form;
    expect(sent[0]!.resource).toBe('/message/group/publish.json');
    expect(form.get('fromUserId')).toBe('7');
    expect(form.getAll('toGroupId')).toEqual(['g1']);
    expect(form.get('objectName')).toBe('RC:GrpNtf');
    expect(form.get('isIncludeSender')).toBe('1');
    expect(form.get('isPersisted')).toBe('0');
    expect(form.has('pushContent')).toBe(false);
    const content = JSON.parse(form.get('content')!);
    expect(content).toEqual({
      operatorUserId: '7',
      operation: 'Add',
      data: expect.any(String),
      message: 'Ann and Bo joined',
      extra: '',
    });
    expect(JSON.parse(content.data)).toEqual(data);
  });

  it('publishes to seven groups in calls of at most three', async () => {
    const { api, sent } = apiWith();

    await api.publishGroupMessage({ fromUserId: 1, toGroupIds: ids(7), objectName: 'MSG:test', content: { a: 1 } });

    expect(sent.map((call) => call.form.getAll('toGroupId'))).toEqual([['1', '2', '3'], ['4', '5', '6'], ['7']]);
  });

  it('publishes a system message to 250 users in calls of at most 100', async () => {
    const { api, sent } = apiWith();

    await api.publishSystemMessage({
      fromUserId: 'system',
      toUserIds: ids(250),
      objectName: 'MSG:join_group',
      content: { group_id: 'g1', user_id: '9', group_name: 'Friends' },
    });

    expect(sent.map((call) => [call.resource, call.form.getAll('toUserId').length])).toEqual([
      ['/message/system/publish.json', 100],
      ['/message/system/publish.json', 100],
      ['/message/system/publish.json', 50],
    ]);
    expect(JSON.parse(sent[0]!.form.get('content')!)).toEqual({ group_id: 'g1', user_id: '9', group_name: 'Friends' });
  });

  it('refuses content over 128 KB and an objectName over 32 chars without calling RongCloud', async () => {
    const { api, sent } = apiWith();

    const big = { text: 'x'.repeat(128 * 1024) };
    await expect(
      api.publishGroupMessage({ fromUserId: 1, toGroupIds: ['g1'], objectName: 'MSG:big', content: big }),
    ).rejects.toMatchObject({
      kind: 'local',
      code: 1005,
      retryable: false,
    });
    await expect(
      api.publishSystemMessage({ fromUserId: 1, toUserIds: ['2'], objectName: `MSG:${'n'.repeat(29)}`, content: {} }),
    ).rejects.toMatchObject({ code: 1002 });

    expect(sent).toHaveLength(0);
  });
});

describe('RC:GrpNtf content', () => {
  it('encodes data and an object extra as JSON strings and defaults message and extra to empty strings', () => {
    expect(groupNotification({ operatorUserId: 1, operation: 'Rename', data: { targetGroupName: 'New' } })).toEqual({
      operatorUserId: '1',
      operation: 'Rename',
      data: '{"targetGroupName":"New"}',
      message: '',
      extra: '',
    });
    expect(groupNotification({ operatorUserId: '1', operation: 'Dismiss', data: {}, extra: { reason: 'x' } }).extra).toBe(
      '{"reason":"x"}',
    );
  });
});
