import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupKey, isGroupItem } from '#shared/entities/group.ts';
import { MEMBER_PREFIX } from '#shared/entities/member.ts';
import { AppError } from '#shared/errors.ts';
import { deleteAdmins, setAdmins } from '#shared/groups/admins.ts';
import { inviteUsers, removeUser } from '#shared/groups/members.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { expectConsistent, groupWith, partition } from './groups-support.ts';

/**
 * Members removed while being promoted (and demoted): `group_delete_user` by the owner and by an
 * admin racing `group_set_admin` and `group_delete_admin` on the same members, round after round.
 * Each call succeeds or is refused with the status a fresh read would give; the group never lists
 * an admin who is not a member, and its counters match its member items.
 */

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 200));

const OWNER = 1;
const ADMIN = 2;
const ROUNDS = 8;
const PER_ROUND = 6;

/** The refusals each call may meet when it loses a race, with their HTTP statuses. */
const ALLOWED: Record<string, Record<number, number>> = {
  promote: { 58: 404, 59: 409 },
  demote: { 58: 404, 166: 400 },
  'remove by owner': { 58: 404 },
  // An admin may not remove a member who was promoted first.
  'remove by admin': { 54: 403, 58: 404 },
};

interface Outcome {
  kind: string;
  target: number;
  ok: boolean;
}

async function attempt(kind: string, target: number, work: () => Promise<unknown>): Promise<Outcome> {
  try {
    await work();
    return { kind, target, ok: true };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    expect({ kind, status: error.status, http: error.http }).toEqual({
      kind,
      status: error.status,
      http: ALLOWED[kind]?.[error.status],
    });
    return { kind, target, ok: false };
  }
}

describe('group_delete_user racing group_set_admin', () => {
  it('never leaves an admin who is not a member, over many rounds', { timeout: 240_000 }, async () => {
    const gid = await groupWith(db, OWNER, [ADMIN]);
    // The race is the subject here, not the admin cap: promotions pile up over the rounds.
    await db.doc.send(
      new UpdateCommand({
        TableName: db.table,
        Key: groupKey(gid),
        UpdateExpression: 'SET max_admins = :many',
        ExpressionAttributeValues: { ':many': ROUNDS * PER_ROUND + 1 },
      }),
    );
    await setAdmins(db, gid, OWNER, [ADMIN]);
    for (let r = 0; r < ROUNDS; r++) {
      const targets = Array.from({ length: PER_ROUND }, (_, i) => 10 + r * PER_ROUND + i);
      await inviteUsers(db, gid, OWNER, targets);
      const outcomes = await Promise.all(
        targets.flatMap((id, i) => [
          attempt('promote', id, () => setAdmins(db, gid, OWNER, [id])),
          attempt(i % 2 === 0 ? 'remove by admin' : 'remove by owner', id, () =>
            removeUser(db, gid, i % 2 === 0 ? ADMIN : OWNER, id),
          ),
          ...(i % 3 === 0 ? [attempt('demote', id, () => deleteAdmins(db, gid, OWNER, [id]))] : []),
          ...(i % 3 === 1 ? [attempt('remove by owner', id, () => removeUser(db, gid, OWNER, id))] : []),
        ]),
      );

      const items = await partition(db, gid);
      const meta = items.find(isGroupItem)!;
      const roles = new Map(items.filter((item) => item.kind === 'member').map((item) => [Number(item.user_id), item.role]));
      const admins = [...((meta.admins as Set<number> | undefined) ?? [])].map(Number);
      for (const id of admins) expect(roles.get(id), `admin ${id} in round ${r}`).toBe('admin');
      for (const id of targets) {
        const removed = outcomes.some((o) => o.target === id && o.ok && o.kind.startsWith('remove'));
        expect(roles.has(id), `member ${id} in round ${r}`).toBe(!removed);
        // Removal by the owner cannot lose: the target is gone, by that call or another removal.
        if (outcomes.some((o) => o.target === id && o.kind === 'remove by owner')) expect(removed).toBe(true);
      }
      const info = (await groupInfo(db, gid, OWNER)).group_info;
      expect([...info.admins].sort((a, b) => a - b)).toEqual([...admins].sort((a, b) => a - b));
      expect(info.admin_count).toBe(admins.length);
      expect(info.member_count).toBe(roles.size);
      await expectConsistent(db, gid);
    }
  });

  it('keeps several-id promotions all or none while their members are removed', { timeout: 120_000 }, async () => {
    const gid = await groupWith(db, OWNER, [ADMIN]);
    await setAdmins(db, gid, OWNER, [ADMIN]);
    for (let r = 0; r < 4; r++) {
      const pair = [150 + r * 2, 151 + r * 2];
      await inviteUsers(db, gid, OWNER, pair);
      const [promotion, removal] = await Promise.all([
        attempt('promote', pair[0]!, () => setAdmins(db, gid, OWNER, pair)),
        attempt('remove by owner', pair[1]!, () => removeUser(db, gid, OWNER, pair[1]!)),
      ]);
      expect(removal.ok).toBe(true);
      const roles = new Map((await partition(db, gid, MEMBER_PREFIX)).map((item) => [Number(item.user_id), item.role]));
      expect(roles.has(pair[1]!)).toBe(false);
      // all or none: a promotion that lost found one target gone and promoted neither
      expect(roles.get(pair[0]!)).toBe(promotion.ok ? 'admin' : 'member');
      await expectConsistent(db, gid);
    }
  });
});
