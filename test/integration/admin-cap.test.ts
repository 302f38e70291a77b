import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ADMINS } from '#shared/entities/group.ts';
import { AppError } from '#shared/errors.ts';
import { deleteAdmins, setAdmins } from '#shared/groups/admins.ts';
import { groupInfo } from '#shared/groups/read.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { eventsOf, expectConsistent, groupWith, partition } from './groups-support.ts';

/** The `max_admins` setting, held by `group_set_admin` alone and atomically. */

const db = await createTestDb();
afterAll(() => db.drop());
beforeAll(() => seedUsers(db, 40));

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
const adminsOf = async (gid: number) => (await groupInfo(db, gid, 1)).group_info.admins;

async function refusalOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { status: error.status, http: error.http, message: error.message };
}

describe('at most max_admins admins per group', () => {
  it('is ten by default', () => {
    expect(DEFAULT_MAX_ADMINS).toBe(10);
  });

  it('fills up to the cap, then refuses with 181 naming how many may still be added, changing nothing', async () => {
    const gid = await groupWith(db, 1, range(2, 14));
    await setAdmins(db, gid, 1, range(2, 8));
    const before = await partition(db, gid);
    expect(await refusalOf(setAdmins(db, gid, 1, range(10, 3)))).toEqual({
      status: 181,
      http: 409,
      message: 'a group has at most 10 admins; only 2 more may be added',
    });
    expect(await partition(db, gid)).toEqual(before);
    expect((await setAdmins(db, gid, 1, [10, 11])).group_info.admin_count).toBe(10);
    expect(await refusalOf(setAdmins(db, gid, 1, [12]))).toEqual({
      status: 181,
      http: 409,
      message: 'a group has at most 10 admins; no more may be added',
    });
    // A demotion makes room again.
    await deleteAdmins(db, gid, 1, [2]);
    await setAdmins(db, gid, 1, [12]);
    expect(await adminsOf(gid)).toHaveLength(10);
    await expectConsistent(db, gid);
  });

  it('holds under parallel promotions: exactly the room left is filled', async () => {
    const gid = await groupWith(db, 1, range(2, 20));
    await setAdmins(db, gid, 1, range(2, 7));
    const outcomes = await Promise.allSettled(range(9, 8).map((id) => setAdmins(db, gid, 1, [id])));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    for (const o of refused) expect((o as PromiseRejectedResult).reason).toMatchObject({ status: 181 });
    expect(await adminsOf(gid)).toHaveLength(10);
    expect(await eventsOf(db, gid, 'SetAdmin')).toHaveLength(4);
    await expectConsistent(db, gid);
  });
});
