import type { RongCloudClient, RongCloudReply } from '#shared/rongcloud/client.ts';
import { RongCloudError } from '#shared/rongcloud/errors.ts';

/** RongCloud's caps on ids per call. */
export const LIMITS = {
  groupMembersPerCall: 1000,
  groupsPerMessage: 3,
  systemMessageTargetsPerCall: 100,
  /** Users per gag, ungag and whitelist call (`/group/user/gag/*`, `/group/user/ban/whitelist/*`). */
  gagUsersPerCall: 20,
  /** The longest gag RongCloud takes, in minutes (30 days); its 0 would mean for ever, never sent. */
  gagMaxMinutes: 43_200,
  contentBytes: 128 * 1024,
  objectNameChars: 32,
  groupIdChars: 64,
} as const;

/** RongCloud's conversation type for groups. */
const GROUP_CONVERSATION = 3;
/** Push levels of `/conversation/notification/set.json`: 5 = never notify, -1 = notify for every message. */
const UNPUSH_NONE = 5;
const UNPUSH_ALL = -1;

export type Id = string | number;

export interface GroupMessage {
  fromUserId: Id;
  /** Sent three groups per call, RongCloud's cap. */
  toGroupIds: readonly Id[];
  objectName: string;
  /** Serialised to the JSON string RongCloud expects; at most 128 KB once encoded. */
  content: object;
  pushContent?: string;
  isIncludeSender?: boolean;
  isPersisted?: boolean;
}

export interface SystemMessage {
  fromUserId: Id;
  /** Sent a hundred users per call, RongCloud's cap. */
  toUserIds: readonly Id[];
  objectName: string;
  content: object;
  pushContent?: string;
  isPersisted?: boolean;
}

export interface RongCloudApi {
  readonly client: RongCloudClient;
  /** Creates the group with the first 1000 users, then joins the rest a thousand at a time. */
  groupCreate(userIds: readonly Id[], groupId: Id, groupName: string): Promise<void>;
  groupJoin(userIds: readonly Id[], groupId: Id, groupName?: string): Promise<void>;
  /** Also how members are kicked: RongCloud tells nobody, so publish `Kicked`/`Quit` first. */
  groupQuit(userIds: readonly Id[], groupId: Id): Promise<void>;
  /** RongCloud tells nobody, so publish `Dismiss` first. */
  groupDismiss(operatorUserId: Id, groupId: Id): Promise<void>;
  groupRefresh(groupId: Id, groupName: string): Promise<void>;
  /** RongCloud's view of the membership, for reconciliation. */
  groupMembers(groupId: Id): Promise<string[]>;
  /** Members who may not speak in the group for `minutes` (1 to 43,200), twenty users a call. */
  groupGag(userIds: readonly Id[], groupId: Id, minutes: number): Promise<void>;
  /** Lets gagged members speak again. */
  groupUngag(userIds: readonly Id[], groupId: Id): Promise<void>;
  /** The whole group muted (`muted`) or not; only its whitelist may speak while it is. */
  groupBan(groupId: Id, muted: boolean): Promise<void>;
  /** Adds users to (or takes them off) the whitelist that may speak while the whole group is muted. */
  groupBanWhitelist(userIds: readonly Id[], groupId: Id, allowed: boolean): Promise<void>;
  /** The user's do-not-disturb for this group: no push notifications while muted. */
  setGroupDoNotDisturb(userId: Id, groupId: Id, muted: boolean): Promise<void>;
  publishGroupMessage(message: GroupMessage): Promise<void>;
  publishSystemMessage(message: SystemMessage): Promise<void>;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

const distinctIds = (ids: readonly Id[]) => [...new Set(ids.map(String))];

/** A refusal before anything is sent: the same error type, never retried, so callers handle one kind. */
function refuse(resource: string, code: number, message: string): never {
  throw new RongCloudError({
    kind: 'local',
    code,
    httpStatus: 0,
    retryable: false,
    resource,
    message: `RongCloud ${resource}: ${message}`,
  });
}

/**
 * Calls one resource per chunk, in order. A failed chunk reports the ids already accepted, so a
 * caller that retries can skip them where a second call is not harmless (messages).
 */
async function perChunk(ids: readonly string[], size: number, send: (chunk: string[], index: number) => Promise<unknown>) {
  const completed: string[] = [];
  for (const [index, chunk] of chunks(ids, size).entries()) {
    try {
      await send(chunk, index);
    } catch (error) {
      throw error instanceof RongCloudError ? error.withCompleted(completed) : error;
    }
    completed.push(...chunk);
  }
}

function encodeContent(resource: string, content: object): string {
  const text = JSON.stringify(content);
  if (Buffer.byteLength(text) > LIMITS.contentBytes) refuse(resource, 1005, `content is over ${LIMITS.contentBytes} bytes`);
  return text;
}

function checkObjectName(resource: string, objectName: string) {
  if (!objectName || objectName.length > LIMITS.objectNameChars) {
    refuse(resource, 1002, `objectName must be 1-${LIMITS.objectNameChars} chars`);
  }
}

function checkGroupId(resource: string, groupId: Id) {
  const text = String(groupId);
  if (!text || text.length > LIMITS.groupIdChars) refuse(resource, 1002, `groupId must be 1-${LIMITS.groupIdChars} chars`);
}

const flag = (value: boolean | undefined) => (value === undefined ? undefined : value ? 1 : 0);

export function createRongCloudApi(client: RongCloudClient): RongCloudApi {
  const send = (resource: string, form: Parameters<RongCloudClient['call']>[1]): Promise<RongCloudReply> =>
    client.call(resource, form);

  const nonEmpty = (resource: string, ids: readonly Id[]) => {
    const distinct = distinctIds(ids);
    if (distinct.length === 0) refuse(resource, 1002, 'no user ids');
    return distinct;
  };

  return {
    client,

    async groupCreate(userIds, groupId, groupName) {
      checkGroupId('group/create', groupId);
      const ids = nonEmpty('group/create', userIds);
      await perChunk(ids, LIMITS.groupMembersPerCall, (chunk, index) =>
        send(index === 0 ? 'group/create' : 'group/join', { userId: chunk, groupId, groupName }),
      );
    },

    async groupJoin(userIds, groupId, groupName) {
      checkGroupId('group/join', groupId);
      const ids = nonEmpty('group/join', userIds);
      await perChunk(ids, LIMITS.groupMembersPerCall, (chunk) => send('group/join', { userId: chunk, groupId, groupName }));
    },

    async groupQuit(userIds, groupId) {
      const ids = nonEmpty('group/quit', userIds);
      await perChunk(ids, LIMITS.groupMembersPerCall, (chunk) => send('group/quit', { userId: chunk, groupId }));
    },

    async groupDismiss(operatorUserId, groupId) {
      await send('group/dismiss', { userId: operatorUserId, groupId });
    },

    async groupRefresh(groupId, groupName) {
      await send('group/refresh', { groupId, groupName });
    },

    async groupMembers(groupId) {
      const reply = await send('group/user/query', { groupId });
      const users = Array.isArray(reply.users) ? (reply.users as { id?: unknown }[]) : [];
      return users.flatMap((user) => (user && user.id !== undefined ? [String(user.id)] : []));
    },

    async groupGag(userIds, groupId, minutes) {
      const resource = 'group/user/gag/add';
      checkGroupId(resource, groupId);
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > LIMITS.gagMaxMinutes) {
        refuse(resource, 1002, `minute must be 1-${LIMITS.gagMaxMinutes}`);
      }
      const ids = nonEmpty(resource, userIds);
      await perChunk(ids, LIMITS.gagUsersPerCall, (chunk) => send(resource, { userId: chunk, groupId, minute: minutes }));
    },

    async groupUngag(userIds, groupId) {
      const resource = 'group/user/gag/rollback';
      checkGroupId(resource, groupId);
      const ids = nonEmpty(resource, userIds);
      await perChunk(ids, LIMITS.gagUsersPerCall, (chunk) => send(resource, { userId: chunk, groupId }));
    },

    async groupBan(groupId, muted) {
      const resource = muted ? 'group/ban/add' : 'group/ban/rollback';
      checkGroupId(resource, groupId);
      await send(resource, { groupId });
    },

    async groupBanWhitelist(userIds, groupId, allowed) {
      const resource = allowed ? 'group/user/ban/whitelist/add' : 'group/user/ban/whitelist/rollback';
      checkGroupId(resource, groupId);
      const ids = nonEmpty(resource, userIds);
      await perChunk(ids, LIMITS.gagUsersPerCall, (chunk) => send(resource, { userId: chunk, groupId }));
    },

    async setGroupDoNotDisturb(userId, groupId, muted) {
      // isMuted is what older deployments read; unpushLevel is its documented successor and wins when both arrive.
      await send('conversation/notification/set', {
        conversationType: GROUP_CONVERSATION,
        requestId: userId,
        targetId: groupId,
        isMuted: muted ? 1 : 0,
        unpushLevel: muted ? UNPUSH_NONE : UNPUSH_ALL,
      });
    },

    async publishGroupMessage(message) {
      const resource = 'message/group/publish';
      checkObjectName(resource, message.objectName);
      const content = encodeContent(resource, message.content);
      const groups = distinctIds(message.toGroupIds);
      if (groups.length === 0) refuse(resource, 1002, 'no target groups');
      await perChunk(groups, LIMITS.groupsPerMessage, (chunk) =>
        send(resource, {
          fromUserId: message.fromUserId,
          toGroupId: chunk,
          objectName: message.objectName,
          content,
          pushContent: message.pushContent,
          isIncludeSender: flag(message.isIncludeSender),
          isPersisted: flag(message.isPersisted),
        }),
      );
    },

    async publishSystemMessage(message) {
      const resource = 'message/system/publish';
      checkObjectName(resource, message.objectName);
      const content = encodeContent(resource, message.content);
      const users = nonEmpty(resource, message.toUserIds);
      await perChunk(users, LIMITS.systemMessageTargetsPerCall, (chunk) =>
        send(resource, {
          fromUserId: message.fromUserId,
          toUserId: chunk,
          objectName: message.objectName,
          content,
          pushContent: message.pushContent,
          isPersisted: flag(message.isPersisted),
        }),
      );
    },
  };
}
