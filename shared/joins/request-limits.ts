import { batchGet, byKey, keyId } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';
import type { Step } from '#shared/db/commit.ts';
import { groupKey, isLive } from '#shared/entities/group.ts';
import { isPending, joinRequestKey, noRecentRejection, retryTimeOf } from '#shared/entities/join-request.ts';
import { MAX_OPEN_REQUESTS, type OpenEntry, openEntries, recordOpenRequest } from '#shared/entities/open-requests.ts';
import { fail, REJECTED_RECENTLY, TOO_MANY_REQUESTS_PENDING } from '#shared/errors.ts';

/** The user's own items a new request is decided on, read with the group. */
export interface RequesterState {
  readonly rejection: Record<string, unknown> | undefined;
  readonly open: Record<string, unknown> | undefined;
}

/** 429 status 186, saying when the user may ask again (also as `Retry-After`). */
function rejectedRecently(retryTime: number, nowSeconds: number): never {
  const at = new Date(retryTime * 1000).toISOString().replace('.000Z', 'Z');
  return fail(REJECTED_RECENTLY, `your request to join this group was rejected; you may ask again at ${at} (${retryTime})`, {
    retryAfter: Math.max(1, retryTime - nowSeconds),
  });
}

/**
 * The entries among `entries` whose request has ended without the entry being taken away: the
 * user became a member by another path (invited, paid, consensus), or the group was dismissed. One
 * consistent read of their requests and groups; asked only when the entries would fill the cap.
 */
async function endedRequests(db: Db, userId: number, entries: readonly OpenEntry[], nowSeconds: number): Promise<number[]> {
  const keys = entries.flatMap((entry) => [joinRequestKey(entry.groupId, userId), groupKey(entry.groupId)]);
  const found = byKey(
    await batchGet(db, keys, {
      consistent: true,
      projection: 'pk, sk, kind, #status, expire_time',
      names: { '#status': 'status' },
    }),
  );
  return entries
    .filter(
      (entry) =>
        !isPending(found.get(keyId(joinRequestKey(entry.groupId, userId))), nowSeconds) ||
        !isLive(found.get(keyId(groupKey(entry.groupId)))),
    )
    .map((entry) => entry.groupId);
}

/**
 * What a new request must satisfy besides the group's own rules: no rejection of the same user by
 * the same group within the cool-down, and fewer than MAX_OPEN_REQUESTS open elsewhere. Refuses
 * from what was read (a refusal writes nothing); otherwise returns the steps that hold both rules
 * at commit time: the rejection checked again, the user's open requests moved on condition that no
 * other request of theirs was recorded meanwhile.
 */
export async function requestLimitSteps(
  db: Db,
  input: { userId: number; groupId: number; nowSeconds: number; expire: number; state: RequesterState },
): Promise<Step[]> {
  const { userId, groupId, nowSeconds, state } = input;
  const retryTime = retryTimeOf(state.rejection, nowSeconds);
  if (retryTime !== undefined) rejectedRecently(retryTime, nowSeconds);

  const others = openEntries(state.open).filter((entry) => entry.groupId !== groupId);
  const lapsed = others.filter((entry) => entry.expire < nowSeconds).map((entry) => entry.groupId);
  let open = others.filter((entry) => entry.expire >= nowSeconds);
  const ended = open.length >= MAX_OPEN_REQUESTS ? await endedRequests(db, userId, open, nowSeconds) : [];
  open = open.filter((entry) => !ended.includes(entry.groupId));
  if (open.length >= MAX_OPEN_REQUESTS) {
    fail(
      TOO_MANY_REQUESTS_PENDING,
      `you have ${open.length} join requests pending, the most at once; wait for a decision or for one to lapse`,
    );
  }
  return [
    {
      item: noRecentRejection(db.table, groupId, userId, nowSeconds),
      refused: (old) => rejectedRecently(retryTimeOf(old, nowSeconds) ?? nowSeconds + 1, nowSeconds),
    },
    {
      item: recordOpenRequest(db.table, userId, state.open, { groupId, expire: input.expire }, [...lapsed, ...ended]),
      // Another request of the user was recorded since the count: count again.
      refused: () => undefined,
    },
  ];
}
