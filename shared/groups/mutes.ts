import { randomUUID } from 'node:crypto';
import { type Db, nowMs } from '#shared/db/client.ts';
import { requestToken, type Step, withRetries } from '#shared/db/commit.ts';
import { putEvent } from '#shared/entities/event.ts';
import { live, type MetaChange, merge, metaCheck, metaUpdate } from '#shared/entities/group-change.ts';
import { deleteLiveMute, type MuteItem, mutedUntil, muteItem, putMute, setMemberMute } from '#shared/entities/mute.ts';
import type { Caller } from '#shared/entities/session.ts';
import { BAD_PARAM, fail, NOT_MEMBER, NOT_MUTED } from '#shared/errors.ts';
import { loadGroupFor, requireRole } from '#shared/groups/access.ts';
import { adminsOf, byAdmin, byOwner, metaRefusal, rankRefusal, refuseIf } from '#shared/groups/authority.ts';
import { loadTargetsFor } from '#shared/groups/load.ts';

export interface MuteInput {
  readonly groupId: number;
  readonly caller: Caller;
  readonly userIds: readonly number[];
  /** 1 to 43,200 (30 days, RongCloud's longest gag); 0 lifts the mute. */
  readonly minutes: number;
  readonly attemptId?: string | undefined;
}

export interface MuteResult {
  group_id: number;
  user_ids: number[];
  /** When the mute ends, unix seconds; 0 when it was lifted. */
  until: number;
}

/**
 * `group_mute_user` (admin or owner; only the owner mutes an admin; nobody mutes the owner): mutes
 * members for `minutes`, or with 0 lifts their mutes (all or none), in one transaction: each mute
 * item (kept when the member leaves, so a return within the mute is muted again), each member
 * item's `muted_until` on condition that its role is the one the rank rules were applied to, the
 * caller's authority on the group item, and one Mute or Unmute event, which the fan-out turns into
 * RongCloud's gag calls and an announcement.
 */
export async function muteUsers(db: Db, input: MuteInput): Promise<MuteResult> {
  const { groupId, userIds, minutes } = input;
  const attemptId = input.attemptId ?? randomUUID();
  const lifting = minutes === 0;
  const notMuted = (id: number) => fail(NOT_MUTED, `user ${id} is not muted`);
  return withRetries(async ({ n, commit }) => {
    // The session rides with the first read; the caller's rank is on the group item.
    const access = await loadTargetsFor(db, groupId, input.caller, userIds, { mutes: true });
    const role = await requireRole(access, 'admin');
    const { caller } = access;
    const now = nowMs(db);
    const nowSeconds = Math.floor(now / 1000);
    for (const id of userIds) {
      if (id === caller) fail(BAD_PARAM, 'you cannot mute yourself');
      const target = access.targets.get(id) ?? fail(NOT_MEMBER, `user ${id} is not in the group`);
      refuseIf(rankRefusal(role, target.role, 'mute'));
    }
    if (lifting) for (const id of userIds) if (mutedUntil(access.mutes.get(id)?.until, nowSeconds) === 0) notMuted(id);
    const until = lifting ? 0 : nowSeconds + minutes * 60;
    const need = userIds.some((id) => access.targets.get(id)?.role === 'admin') ? 'owner' : 'admin';
    const steps: Step[] = [
      {
        item: metaCheck(db.table, groupId, merge(live, need === 'owner' ? byOwner(caller) : byAdmin(caller))),
        refused: (old) => refuseIf(metaRefusal(old, caller, need)),
      },
      // A member whose role changed or who left meanwhile: decided again from a fresh read.
      ...userIds.map(
        (id): Step => ({
          item: setMemberMute(db.table, groupId, id, access.targets.get(id)!.role, until),
          refused: () => undefined,
        }),
      ),
      ...userIds.map(
        (id): Step =>
          lifting
            ? { item: deleteLiveMute(db.table, groupId, id, nowSeconds), refused: () => notMuted(id) }
            : { item: putMute(db.table, muteItem(groupId, id, { until, byUser: caller, time: nowSeconds })) },
      ),
      {
        item: putEvent(db.table, {
          groupId,
          op: lifting ? 'Unmute' : 'Mute',
          actor: caller,
          data: { name: access.group.name ?? '', user_ids: [...userIds], ...(lifting ? {} : { minutes, until }) },
          timeMs: now,
        }),
      },
    ];
    await commit(db, steps, requestToken('group_mute_user', caller, groupId, userIds.join(','), minutes, attemptId, n));
    return { group_id: groupId, user_ids: [...userIds], until };
  });
}

/** Who may speak while the whole group is muted: the owner, then the admins. */
export const speakersOf = (group: { owner_id?: unknown; admins?: unknown }): number[] => [
  Number(group.owner_id),
  ...[...adminsOf(group as Record<string, unknown>)].sort((a, b) => a - b),
];

/**
 * `group_mute_all` (admin or owner): only the owner and admins may speak while `mute` is 1. The
 * group item's `mute_all` changes on condition that it, the owner and the admins are still what
 * was read, so the Mute All event names exactly who RongCloud must let speak (its whitelist). Asking
 * for what the group already is writes and announces nothing.
 */
export async function muteAll(
  db: Db,
  input: { groupId: number; caller: Caller; mute: 0 | 1; attemptId?: string | undefined },
): Promise<{ group_id: number; mute_all: 0 | 1 }> {
  const { groupId, mute } = input;
  const attemptId = input.attemptId ?? randomUUID();
  await withRetries(async ({ n, commit }) => {
    // The session rides with the group's read; the caller's right is on the group item.
    const access = await loadGroupFor(db, groupId, input.caller);
    await requireRole(access, 'admin');
    const { group, caller } = access;
    const was = Number(group.mute_all ?? 0) === 1 ? 1 : 0;
    if (was === mute) return;
    const admins = adminsOf(group);
    const now = nowMs(db);
    const unchanged = {
      when: [
        was === 1 ? 'mute_all = :was' : 'attribute_not_exists(mute_all) OR mute_all = :was',
        'owner_id = :owner',
        admins.size > 0 ? 'admins = :admins' : 'attribute_not_exists(admins)',
      ],
      values: { ':was': was, ':owner': Number(group.owner_id), ...(admins.size > 0 ? { ':admins': admins } : {}) },
    };
    await commit(
      db,
      [
        {
          item: metaUpdate(
            db.table,
            groupId,
            merge(live, byAdmin(caller), unchanged, { set: ['mute_all = :mute'], values: { ':mute': mute } }),
          ),
          refused: (old) => refuseIf(metaRefusal(old, caller, 'admin')),
        },
        {
          item: putEvent(db.table, {
            groupId,
            op: mute === 1 ? 'MuteAll' : 'UnmuteAll',
            actor: caller,
            data: { name: group.name ?? '', mute_all: mute, speakers: speakersOf(group) },
            timeMs: now,
          }),
        },
      ],
      requestToken('group_mute_all', caller, groupId, mute, attemptId, n),
    );
  });
  return { group_id: groupId, mute_all: mute };
}

/**
 * For a change of who the admins or the owner are: holds `mute_all` at what was read, so the event
 * can say whether RongCloud's whitelist must follow the change (`mute_all: 1` in its data) and a
 * `group_mute_all` committed meanwhile makes the change decide again.
 */
export function sameMuteAll(group: { mute_all?: unknown }): { change: MetaChange; data: { mute_all?: 1 } } {
  const muted = Number(group.mute_all ?? 0) === 1;
  return muted
    ? { change: { when: ['mute_all = :sameMuteAll'], values: { ':sameMuteAll': 1 } }, data: { mute_all: 1 } }
    : {
        change: { when: ['attribute_not_exists(mute_all) OR mute_all = :sameMuteAll'], values: { ':sameMuteAll': 0 } },
        data: {},
      };
}

/**
 * What a joining user brings back from an earlier membership: a mute that still lasts. The new
 * member item carries its end and the Add event lists it, so the fan-out gags the user again after
 * RongCloud has them back. No condition on the mute item is needed: only a member can be muted or
 * have a mute lifted, so it cannot change between the join's read and its commit.
 */
export function returningMutes(
  mutes: ReadonlyMap<number, MuteItem | undefined>,
  userIds: readonly number[],
  nowSeconds: number,
): { untilOf: (userId: number) => number; data: { muted?: { user_id: number; until: number }[] } } {
  const muted = userIds.flatMap((id) => {
    const until = mutedUntil(mutes.get(id)?.until, nowSeconds);
    return until > 0 ? [{ user_id: id, until }] : [];
  });
  const ends = new Map(muted.map((m) => [m.user_id, m.until]));
  return { untilOf: (id) => ends.get(id) ?? 0, data: muted.length > 0 ? { muted } : {} };
}

/**
 * For an admin's departure (quit, removal, ban): while the whole group is muted, the event names
 * the admins who leave, so RongCloud's whitelist lets them go too and they cannot speak if they
 * come back as plain members.
 */
export function leavingSpeakers(
  group: { mute_all?: unknown },
  admins: readonly number[],
): { mute_all?: 1; speakers_left?: number[] } {
  return Number(group.mute_all ?? 0) === 1 && admins.length > 0 ? { mute_all: 1, speakers_left: [...admins] } : {};
}
