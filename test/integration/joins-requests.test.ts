import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { joinRequestKey } from '#shared/entities/join-request.ts';
import { memberKey } from '#shared/entities/member.ts';
import { setPrice } from '#shared/groups/terms.ts';
import { joinGroup } from '#shared/joins/join.ts';
import { listJoinRequests, reactToJoin } from '#shared/joins/requests.ts';
import { eventsOf, group, membersOf, metaOf, patchMeta, refusal, requestsOf, USDT, users, world } from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(db, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { pwd: null });
});
afterAll(() => db.drop());

/** Moves a request's expiry into the past, as seven days passing would. */
const expire = (db: Db, groupId: number, userId: number) =>
  db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: joinRequestKey(groupId, userId),
      UpdateExpression: 'SET expire_time = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    }),
  );

/** Owner 1, admin 2 (made admin on the item and the group's admins set), plain member 3. */
async function freeGroup() {
  const gid = await group(db, 1, [2, 3]);
  await db.doc.send(
    new UpdateCommand({
      TableName: db.table,
      Key: memberKey(gid, 2),
      UpdateExpression: 'SET #r = :admin',
      ExpressionAttributeNames: { '#r': 'role' },
      ExpressionAttributeValues: { ':admin': 'admin' },
    }),
  );
  await patchMeta(db, gid, { admins: new Set([2]) });
  return gid;
}

describe('asking to join a free group', () => {
  it('stores one pending request and tells the owner and admins, refusing a second while it is pending', async () => {
    const gid = await freeGroup();
    const reply = await joinGroup(db, { userId: 4, groupId: gid });
    expect(reply).toMatchObject({ result: 'pending', group_id: gid });
    const [request] = await requestsOf(db, gid);
    expect(request).toMatchObject({ user_id: 4, kind: 'join_request' });
    expect(Number(request!.expire_time) - Number(request!.request_time)).toBe(7 * 24 * 3600);
    expect(request!.ttl).toBe(request!.expire_time);
    const event = (await eventsOf(db, gid)).find((e) => e.op === 'JoinRequest');
    expect(event).toMatchObject({ actor: 4, data: { user_id: 4, owner_id: 1, notify_ids: [1, 2] } });

    expect(await refusal(joinGroup(db, { userId: 4, groupId: gid }))).toEqual({ status: 160, http: 409 });
    expect(await requestsOf(db, gid)).toHaveLength(1);
    expect((await eventsOf(db, gid)).filter((e) => e.op === 'JoinRequest')).toHaveLength(1);
    expect(await membersOf(db, gid)).toEqual([1, 2, 3]);
  });

  it('lists pending requests to admins and the owner only', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 5, groupId: gid });
    await joinGroup(db, { userId: 6, groupId: gid });
    const { requests } = await listJoinRequests(db, { adminId: 2, groupId: gid });
    expect(requests.map((r) => r.user_id).sort()).toEqual([5, 6]);
    expect(requests[0]).toEqual({
      user_id: expect.any(Number),
      request_time: expect.any(Number),
      expire_time: expect.any(Number),
      apply_msg: '',
    });
    expect((await listJoinRequests(db, { adminId: 1, groupId: gid })).requests).toHaveLength(2);
    expect(await refusal(listJoinRequests(db, { adminId: 3, groupId: gid }))).toEqual({ status: 154, http: 403 });
    expect(await refusal(listJoinRequests(db, { adminId: 9, groupId: gid }))).toEqual({ status: 58, http: 403 });
  });

  it('treats an expired request as absent: not listed, not decidable, and a new request replaces it', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 7, groupId: gid });
    await expire(db, gid, 7);
    expect((await listJoinRequests(db, { adminId: 1, groupId: gid })).requests).toEqual([]);
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 7, action: 1 }))).toEqual({
      status: 155,
      http: 404,
    });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 7, action: 2 }))).toEqual({
      status: 155,
      http: 404,
    });
    expect(await membersOf(db, gid)).toEqual([1, 2, 3]);

    expect(await joinGroup(db, { userId: 7, groupId: gid })).toMatchObject({ result: 'pending' });
    expect((await listJoinRequests(db, { adminId: 1, groupId: gid })).requests.map((r) => r.user_id)).toEqual([7]);
  });
});

describe('deciding a join request', () => {
  it('approves: the member is added and counted, the request is gone, and Add (via approve) is written, once', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 8, groupId: gid });
    expect(await reactToJoin(db, { adminId: 2, groupId: gid, userId: 8, action: 1 })).toEqual({ result: 'approved', user_id: 8 });
    expect(await membersOf(db, gid)).toEqual([1, 2, 3, 8]);
    expect((await metaOf(db, gid)).member_count).toBe(4);
    expect(await requestsOf(db, gid)).toEqual([]);
    expect((await eventsOf(db, gid)).find((e) => e.op === 'Add')).toMatchObject({
      actor: 2,
      data: { user_ids: [8], via: 'approve' },
    });

    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 8, action: 1 }))).toEqual({ status: 53, http: 409 });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 8, action: 2 }))).toEqual({
      status: 155,
      http: 404,
    });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 9, action: 1 }))).toEqual({
      status: 155,
      http: 404,
    });
  });

  it('rejects: the request is gone, JoinRejected tells the applicant, and nobody is added', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 9, groupId: gid });
    expect(await reactToJoin(db, { adminId: 1, groupId: gid, userId: 9, action: 2 })).toEqual({ result: 'rejected', user_id: 9 });
    expect(await requestsOf(db, gid)).toEqual([]);
    expect(await membersOf(db, gid)).toEqual([1, 2, 3]);
    expect((await eventsOf(db, gid)).find((e) => e.op === 'JoinRejected')).toMatchObject({ data: { user_id: 9 } });
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 9, action: 1 }))).toEqual({
      status: 155,
      http: 404,
    });
  });

  it('refuses plain members (154) and outsiders (58, 403)', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 10, groupId: gid });
    expect(await refusal(reactToJoin(db, { adminId: 3, groupId: gid, userId: 10, action: 1 }))).toEqual({
      status: 154,
      http: 403,
    });
    expect(await refusal(reactToJoin(db, { adminId: 11, groupId: gid, userId: 10, action: 1 }))).toEqual({
      status: 58,
      http: 403,
    });
    expect(await requestsOf(db, gid)).toHaveLength(1);
  });

  it('answers 53 when the applicant became a member meanwhile, and 162 when the group is full', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 11, groupId: gid });
    await joinGroup(db, { userId: 12, groupId: gid });
    await reactToJoin(db, { adminId: 1, groupId: gid, userId: 11, action: 1 });
    // 12 is added by other means while the request is still pending.
    await db.doc.send(
      new UpdateCommand({
        TableName: db.table,
        Key: memberKey(gid, 12),
        UpdateExpression: 'SET kind = :k, user_id = :u, group_id = :g, #r = :m',
        ExpressionAttributeNames: { '#r': 'role' },
        ExpressionAttributeValues: { ':k': 'member', ':u': 12, ':g': gid, ':m': 'member' },
      }),
    );
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: gid, userId: 12, action: 1 }))).toEqual({
      status: 53,
      http: 409,
    });

    const full = await freeGroup();
    await joinGroup(db, { userId: 4, groupId: full });
    await patchMeta(db, full, { max_members: 3 });
    const before = { members: await membersOf(db, full), count: (await metaOf(db, full)).member_count };
    expect(await refusal(reactToJoin(db, { adminId: 1, groupId: full, userId: 4, action: 1 }))).toEqual({
      status: 162,
      http: 409,
    });
    expect({ members: await membersOf(db, full), count: (await metaOf(db, full)).member_count }).toEqual(before);
    expect(await requestsOf(db, full)).toHaveLength(1);
  });

  it('decides a request exactly once when admins approve and reject it at the same time', async () => {
    const gid = await freeGroup();
    await joinGroup(db, { userId: 5, groupId: gid });
    const outcomes = await Promise.allSettled([
      reactToJoin(db, { adminId: 1, groupId: gid, userId: 5, action: 1 }),
      reactToJoin(db, { adminId: 2, groupId: gid, userId: 5, action: 2 }),
      reactToJoin(db, { adminId: 1, groupId: gid, userId: 5, action: 1 }),
      reactToJoin(db, { adminId: 2, groupId: gid, userId: 5, action: 2 }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const events = await eventsOf(db, gid);
    const decisions = events.filter((e) => e.op === 'Add' || e.op === 'JoinRejected');
    expect(decisions).toHaveLength(1);
    const members = await membersOf(db, gid);
    expect(members.includes(5)).toBe(decisions[0]!.op === 'Add');
    expect((await metaOf(db, gid)).member_count).toBe(members.length);
  });

  it('refuses a request to a group that became paid: the join must pay instead', async () => {
    const gid = await freeGroup();
    await setPrice(db, { ownerId: 1, groupId: gid, price: '1', coinId: USDT });
    expect(await refusal(joinGroup(db, { userId: 6, groupId: gid }))).toEqual({ status: 0, http: 400 });
    expect(await requestsOf(db, gid)).toEqual([]);
  });
});
