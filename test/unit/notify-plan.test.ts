import { describe, expect, it } from 'vitest';
import { planNotifications } from '#shared/notify/plan.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';

const event = (op: StoredEvent['op'], data: Record<string, unknown>, actor = 1): StoredEvent => ({
  groupId: 42,
  eventId: 'E#1',
  op,
  actor,
  data,
  time: 1_700_000_000,
});

const kinds = (e: StoredEvent) => planNotifications(e).map((a) => `${a.kind}${'operation' in a ? `:${a.operation}` : ''}`);

describe('planning notifications', () => {
  it('creates the RongCloud group before announcing it', () => {
    expect(kinds(event('Create', { name: 'g', member_ids: [1, 2] }))).toEqual(['groupCreate', 'groupNotice:Create']);
  });

  it('announces Kicked, Quit and Dismiss before RongCloud drops the members', () => {
    expect(kinds(event('Kicked', { user_ids: [5] }))).toEqual(['groupNotice:Kicked', 'groupQuit']);
    expect(kinds(event('Quit', {}, 7))).toEqual(['groupNotice:Quit', 'groupQuit']);
    expect(kinds(event('Dismiss', { name: 'g' }))).toEqual(['groupNotice:Dismiss', 'groupDismiss']);
  });

  it('tells a refunded user what came back, and a removed one before RongCloud drops them', () => {
    const refund = { coin_id: 1, amount: '2.5', from_user: 1, to_user: 5 };
    const plain = planNotifications(event('Refund', { user_ids: [5], owner_id: 1, refund }));
    expect(plain).toEqual([
      {
        id: 'refund',
        kind: 'userNotice',
        toUserIds: [5],
        objectName: 'MSG:group_refund',
        content: { group_id: 42, from_user: 1, coin_id: 1, amount: '2.5' },
      },
    ]);
    const removed = planNotifications(event('Kicked', { user_ids: [5], owner_id: 1, refund }));
    expect(removed.map((a) => a.kind)).toEqual(['groupNotice', 'userNotice', 'groupQuit']);
    expect(removed[1]).toMatchObject({ objectName: 'MSG:group_refund', toUserIds: [5] });
  });

  it('joins added members first, then tells the group, the applicant and the paid owner', () => {
    const plan = planNotifications(
      event('Add', { user_ids: [9], via: 'approve', owner_id: 1, payment: { coin_id: 1, amount: '2.5' } }, 3),
    );
    expect(plan.map((a) => a.kind)).toEqual(['groupJoin', 'groupNotice', 'userNotice', 'userNotice']);
    expect(plan[2]).toMatchObject({ objectName: 'MSG:join_group_result', toUserIds: [9], content: { group_id: 42, action: 1 } });
    expect(plan[3]).toMatchObject({
      objectName: 'MSG:group_pay',
      toUserIds: [1],
      content: { group_id: 42, from_user: 9, coin_id: 1, amount: '2.5', kind: 'join' },
    });
  });

  it('sends a join request to the owner and admins, and a rejection to the applicant', () => {
    expect(planNotifications(event('JoinRequest', { user_id: 9, name: 'g', notify_ids: [1, 2] }, 9))).toEqual([
      expect.objectContaining({
        toUserIds: [1, 2],
        objectName: 'MSG:join_group',
        content: { group_id: 42, user_id: 9, group_name: 'g' },
      }),
    ]);
    expect(planNotifications(event('JoinRejected', { user_id: 9 }))).toEqual([
      expect.objectContaining({ toUserIds: [9], objectName: 'MSG:join_group_result', content: { group_id: 42, action: 2 } }),
    ]);
    expect(planNotifications(event('JoinRejected', { user_id: 9, reason: 'terms_changed' }))).toEqual([
      expect.objectContaining({
        toUserIds: [9],
        objectName: 'MSG:join_group_result',
        content: { group_id: 42, action: 2, reason: 'terms_changed' },
      }),
    ]);
  });

  it('tells removed members they were kicked, then the group of the ban, before RongCloud drops them', () => {
    const ban = event('Ban', { user_ids: [5, 6], removed: [5], minutes: 60, until: 1_700_003_600, reason: 'spam' });
    expect(kinds(ban)).toEqual(['groupNotice:Kicked', 'groupNotice:Ban', 'groupQuit']);
    const [kicked, announced, quit] = planNotifications(ban);
    expect(kicked).toMatchObject({ data: { targetUserIds: [5] } });
    expect(announced).toMatchObject({ data: { targetUserIds: [5, 6], until: 1_700_003_600, minutes: 60 } });
    expect(JSON.stringify(announced)).not.toContain('spam');
    expect(quit).toMatchObject({ userIds: [5] });
  });

  it('announces a ban of outsiders and an unban to the group only', () => {
    expect(kinds(event('Ban', { user_ids: [7], removed: [], minutes: 0, until: 0 }))).toEqual(['groupNotice:Ban']);
    expect(planNotifications(event('Unban', { user_ids: [7, 8] }))).toEqual([
      expect.objectContaining({
        kind: 'groupNotice',
        operation: 'Unban',
        data: expect.objectContaining({ targetUserIds: [7, 8] }),
      }),
    ]);
  });

  it('announces a join through an invite link as a join, and a link made or revoked to nobody', () => {
    const plan = planNotifications(event('Add', { user_ids: [9], via: 'link', link_id: 'ab12', name: 'g' }, 9));
    expect(plan.map((a) => a.kind)).toEqual(['groupJoin', 'groupNotice']);
    expect(plan[1]).toMatchObject({ operation: 'Add', data: { targetUserIds: [9], via: 'link' } });
    expect(planNotifications(event('CreateInviteLink', { link_id: 'ab12', max_uses: 3 }))).toEqual([]);
    expect(planNotifications(event('RevokeInviteLink', { link_id: 'ab12' }))).toEqual([]);
  });

  it('gags before announcing a mute, and ungags before announcing its lifting', () => {
    const mute = event('Mute', { user_ids: [5, 6], minutes: 30, until: 1_700_001_800 });
    expect(planNotifications(mute)).toEqual([
      { id: 'gag', kind: 'groupGag', userIds: [5, 6], until: 1_700_001_800 },
      expect.objectContaining({
        kind: 'groupNotice',
        operation: 'Mute',
        data: expect.objectContaining({ targetUserIds: [5, 6], until: 1_700_001_800, minutes: 30 }),
      }),
    ]);
    expect(kinds(event('Unmute', { user_ids: [5] }))).toEqual(['groupUngag', 'groupNotice:Unmute']);
    expect(planNotifications(event('Unmute', { user_ids: [5] }))[0]).toMatchObject({ userIds: [5] });
  });

  it('lets the owner and admins speak before muting the whole group, and ends the ban before emptying that list', () => {
    const speakers = { speakers: [1, 2, 3], mute_all: 1 };
    expect(planNotifications(event('MuteAll', speakers))).toEqual([
      { id: 'whitelist', kind: 'groupBanWhitelist', userIds: [1, 2, 3], allowed: true },
      { id: 'ban', kind: 'groupBan', muted: true },
      expect.objectContaining({ kind: 'groupNotice', operation: 'MuteAll' }),
    ]);
    expect(planNotifications(event('UnmuteAll', { ...speakers, mute_all: 0 }))).toEqual([
      { id: 'ban', kind: 'groupBan', muted: false },
      { id: 'whitelist', kind: 'groupBanWhitelist', userIds: [1, 2, 3], allowed: false },
      expect.objectContaining({ kind: 'groupNotice', operation: 'UnmuteAll' }),
    ]);
  });

  it('takes departing admins off the whitelist while the whole group is muted, so they cannot come back able to speak', () => {
    const left = { speakers_left: [4], mute_all: 1 };
    expect(kinds(event('Quit', { user_ids: [4], ...left }, 4))).toEqual(['groupNotice:Quit', 'groupQuit', 'groupBanWhitelist']);
    expect(kinds(event('Kicked', { user_ids: [4], ...left }))).toEqual(['groupNotice:Kicked', 'groupQuit', 'groupBanWhitelist']);
    expect(kinds(event('Ban', { user_ids: [4], removed: [4], ...left })).at(-1)).toBe('groupBanWhitelist');
    expect(planNotifications(event('Quit', { user_ids: [4], ...left }, 4)).at(-1)).toMatchObject({
      userIds: [4],
      allowed: false,
    });
    expect(kinds(event('Quit', { user_ids: [4] }, 4))).toEqual(['groupNotice:Quit', 'groupQuit']);
  });

  it('follows admin changes on the whitelist only while the whole group is muted', () => {
    expect(kinds(event('SetAdmin', { user_ids: [4], mute_all: 1 }))).toEqual(['groupBanWhitelist', 'groupNotice:SetAdmin']);
    expect(planNotifications(event('RemoveAdmin', { user_ids: [4], mute_all: 1 }))[0]).toMatchObject({
      userIds: [4],
      allowed: false,
    });
    expect(planNotifications(event('Transfer', { new_owner: 5, old_owner: 1, mute_all: 1 }))[0]).toMatchObject({
      userIds: [5],
      allowed: true,
    });
    expect(kinds(event('SetAdmin', { user_ids: [4] }))).toEqual(['groupNotice:SetAdmin']);
    expect(kinds(event('Transfer', { new_owner: 5, old_owner: 1 }))).toEqual(['groupNotice:Transfer']);
  });

  it('gags returning members whose mute lasts right after RongCloud has them back, one call per end', () => {
    const add = event('Add', {
      user_ids: [4, 5, 6, 7],
      muted: [
        { user_id: 4, until: 1_700_000_600 },
        { user_id: 6, until: 1_700_000_900 },
        { user_id: 7, until: 1_700_000_600 },
      ],
    });
    expect(kinds(add)).toEqual(['groupJoin', 'groupGag', 'groupGag', 'groupNotice:Add']);
    expect(planNotifications(add).slice(1, 3)).toEqual([
      { id: 'gag@1700000600', kind: 'groupGag', userIds: [4, 7], until: 1_700_000_600 },
      { id: 'gag@1700000900', kind: 'groupGag', userIds: [6], until: 1_700_000_900 },
    ]);
    expect(kinds(event('Add', { user_ids: [4] }))).toEqual(['groupJoin', 'groupNotice:Add']);
  });

  it('gives every action of one event a distinct, stable id', () => {
    for (const op of ['Create', 'Add', 'Kicked', 'Rename', 'Dismiss', 'Ban', 'Mute', 'Unmute', 'MuteAll', 'UnmuteAll'] as const) {
      const data = {
        speakers: [1, 2],
        muted: [
          { user_id: 2, until: 1_700_000_600 },
          { user_id: 3, until: 1_700_000_900 },
        ],
        user_ids: [2],
        removed: [2],
        member_ids: [1, 2],
        via: 'approve',
        owner_id: 1,
        payment: { coin_id: 1, amount: '1' },
      };
      const ids = planNotifications(event(op, data)).map((a) => a.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(planNotifications(event(op, data)).map((a) => a.id)).toEqual(ids);
    }
  });

  it('never hands RongCloud an empty group name', () => {
    expect(planNotifications(event('Create', { name: '', member_ids: [1] }))[0]).toMatchObject({ groupName: 'group 42' });
  });

  it('splits a notice to more users than one system message takes into calls with ids of their own', () => {
    const admins = Array.from({ length: 230 }, (_, i) => i + 1);
    const plan = planNotifications(event('JoinRequest', { user_id: 999, name: 'g', notify_ids: admins }));

    expect(plan.map((action) => action.id)).toEqual(['request', 'request#2', 'request#3']);
    expect(plan.map((action) => (action.kind === 'userNotice' ? action.toUserIds.length : 0))).toEqual([100, 100, 30]);
    expect(plan.flatMap((action) => (action.kind === 'userNotice' ? action.toUserIds : []))).toEqual(admins);
  });
});
