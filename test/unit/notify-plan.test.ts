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

  it('gives every action of one event a distinct, stable id', () => {
    for (const op of ['Create', 'Add', 'Kicked', 'Rename', 'Dismiss'] as const) {
      const data = { user_ids: [2], member_ids: [1, 2], via: 'approve', owner_id: 1, payment: { coin_id: 1, amount: '1' } };
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
