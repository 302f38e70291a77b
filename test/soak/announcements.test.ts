import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '#shared/outbox/event.ts';
import type { AcceptedCall, RejectedCall } from '../../infra/local/rongcloud-standin.ts';
import { type Call, checkAnnouncements, plannedCalls, promisedCalls } from './announcements.ts';

/**
 * The soak's announcement check on calls made up for it: it passes exactly the sequence the
 * events plan, excepts only the documented repeats, and names everything else.
 */

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const call = (name: string, group = 'g1'): Call => ({ path: `/group/${name}.json`, form: { groupId: group, groupName: name } });
const accepted = (c: Call, ms: number, requestId?: string): AcceptedCall => ({
  ...c,
  at: at(ms),
  ...(requestId ? { requestId } : {}),
});

function check(
  expected: Call[],
  calls: AcceptedCall[],
  options: { rejected?: RejectedCall[]; kills?: { from: number; to: number }[] } = {},
) {
  return checkAnnouncements({
    expected: new Map([['g1', expected]]),
    accepted: calls,
    rejected: options.rejected ?? [],
    kills: (options.kills ?? []).map((kill) => ({ from: T0 + kill.from, to: T0 + kill.to })),
    events: expected.length,
  });
}

const kinds = (result: ReturnType<typeof check>) => result.problems.map((problem) => problem.kind);

describe('the announcement check', () => {
  const [a, b, c] = [call('a'), call('b'), call('c')];

  it('passes the planned calls in order and counts the ones still on their way', () => {
    expect(kinds(check([a, b, c], [accepted(a, 1), accepted(b, 2), accepted(c, 3)]))).toEqual([]);
    const partial = check([a, b, c], [accepted(a, 1)]);
    expect(kinds(partial)).toEqual([]);
    expect(partial.pending).toBe(2);
  });

  it('names a call never sent, a call sent twice, a call nobody planned and calls out of order', () => {
    expect(kinds(check([a, b, c], [accepted(a, 1), accepted(c, 3)]))).toEqual(['committed but never announced']);
    expect(kinds(check([a, b], [accepted(a, 1), accepted(a, 2, 'r2'), accepted(b, 3)]))).toEqual([
      'announced twice or never committed',
    ]);
    expect(kinds(check([a], [accepted(a, 1), accepted(call('x'), 2)]))).toEqual(['announced twice or never committed']);
    expect(kinds(check([a, b], [accepted(b, 1), accepted(a, 2)]))).toEqual(['announced out of order']);
  });

  it('excepts a repeat whose answer the client never had: withheld, or the same request sent again', () => {
    const withheld: RejectedCall = { ...accepted(a, 1, 'r1'), reason: 'lost', status: 504 };
    const lost = check([a, b], [accepted(a, 1, 'r1'), accepted(a, 6000, 'r1'), accepted(b, 6001)], { rejected: [withheld] });
    expect(kinds(lost)).toEqual([]);
    expect([lost.repeatsLost, lost.repeatsLostInjected]).toEqual([1, 1]);

    const retried = check([a], [accepted(a, 1, 'r1'), accepted(a, 5001, 'r1')]);
    expect(kinds(retried)).toEqual([]);
    expect([retried.repeatsLost, retried.repeatsLostInjected]).toEqual([1, 0]);
  });

  it('excepts a repeat across a kill of its sender, and only then', () => {
    const calls = [accepted(a, 1, 'r1'), accepted(a, 9000, 'r2')];
    const crash = check([a], calls, { kills: [{ from: 500, to: 1500 }] });
    expect(kinds(crash)).toEqual([]);
    expect(crash.repeatsCrash).toBe(1);
    expect(kinds(check([a], calls, { kills: [{ from: 9500, to: 9600 }] }))).toEqual(['announced twice or never committed']);
  });

  const payment = { coin_id: 1, amount: '2.5', from_user: 7, to_user: 1 };
  const events: [StoredEvent['op'], Record<string, unknown>][] = [
    ['Create', { name: 'G', member_ids: [1, 2] }],
    ['Add', { user_ids: [7], name: 'G' }],
    ['Add', { user_ids: [7], name: 'G', via: 'approve' }],
    ['Add', { user_ids: [7], name: 'G', via: 'join', payment, owner_id: 1 }],
    ['Quit', { name: 'G' }],
    ['Kicked', { user_ids: [7] }],
    ['Dismiss', { name: 'G', member_ids: [1, 7] }],
    ['Rename', { name: 'H', old_name: 'G' }],
    ['Bulletin', { memo: 'hello' }],
    ['SetAdmin', { user_ids: [2] }],
    ['RemoveAdmin', { user_ids: [2] }],
    ['Transfer', { new_owner: 2, old_owner: 1 }],
    ['SetPrice', { price: '1', coin_id: 1 }],
    ['SetConsensus', { consensus_coin: 2, consensus_value: '5' }],
    ['SetLogo', { logo: 'https://logo' }],
    ['SetPrivate', { private_price: '1', private_coin_id: 1 }],
    ['JoinRequest', { notify_ids: [1], user_id: 7, name: 'G' }],
    ['JoinRejected', { user_id: 7 }],
    ['PayPrivate', { payment, owner_id: 1, user_id: 7 }],
  ];

  it.each(events)('finds in the plan of a %s event every call SPEC promises for it', async (op, data) => {
    const event: StoredEvent = { groupId: 42, eventId: 'E#0000000000001#abc', op, actor: 7, data, time: 1 };
    const calls = await plannedCalls(event);
    const promises = promisedCalls(event);
    expect(promises.length).toBeGreaterThan(0);
    expect(promises.filter((promise) => !calls.some(promise.met)).map((promise) => promise.what)).toEqual([]);
    // A plan without its group notice, or without its last call, breaks a promise.
    expect(promises.every((promise) => calls.slice(0, -1).some(promise.met))).toBe(false);
  });

  it('plans what the fan-out sends for an event, member sync before the notice', async () => {
    const calls = await plannedCalls({
      groupId: 42,
      eventId: 'E#1',
      op: 'Add',
      actor: 1,
      data: { user_ids: [7], name: 'G' },
      time: 1,
    });
    expect(calls.map((planned) => planned.path)).toEqual(['/group/join.json', '/message/group/publish.json']);
    expect(calls[0]!.form).toEqual({ userId: '7', groupId: '42', groupName: 'G' });
  });
});
