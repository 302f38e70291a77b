import type { AcceptedCall, RecordedForm } from '../../infra/local/rongcloud-standin.ts';

/**
 * Reading what the RongCloud stand-in accepted, as a client of the local runtime does: over HTTP,
 * at `GET /_local/rongcloud`. Each call is reduced to what SPEC "Notifications" promises, so a
 * test compares whole sequences.
 */

const list = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const one = (form: RecordedForm, field: string) => list(form[field])[0];

export type Notice =
  | { call: 'group/create' | 'group/join'; group: string; users: string[]; name: string | undefined }
  | { call: 'group/quit'; group: string; users: string[] }
  | { call: 'group/dismiss'; group: string; operator: string | undefined }
  | { call: 'group/refresh'; group: string; name: string | undefined }
  | { call: 'dnd'; group: string; user: string | undefined; muted: string | undefined }
  | {
      call: 'RC:GrpNtf';
      group: string;
      from: string | undefined;
      operation: string;
      data: Record<string, unknown>;
      extra: Record<string, unknown>;
    }
  | { call: 'system'; group: string; object: string | undefined; to: string[]; content: Record<string, unknown> }
  | { call: 'other'; group: string; path: string };

/** The group a call concerns: its group id field, or, for a notice to single users, its content. */
export function noticeOf(accepted: AcceptedCall): Notice {
  const { path, form } = accepted;
  switch (path) {
    case '/group/create.json':
    case '/group/join.json':
      return {
        call: path === '/group/create.json' ? 'group/create' : 'group/join',
        group: one(form, 'groupId') ?? '',
        users: list(form.userId),
        name: one(form, 'groupName'),
      };
    case '/group/quit.json':
      return { call: 'group/quit', group: one(form, 'groupId') ?? '', users: list(form.userId) };
    case '/group/dismiss.json':
      return { call: 'group/dismiss', group: one(form, 'groupId') ?? '', operator: one(form, 'userId') };
    case '/group/refresh.json':
      return { call: 'group/refresh', group: one(form, 'groupId') ?? '', name: one(form, 'groupName') };
    case '/conversation/notification/set.json':
      return { call: 'dnd', group: one(form, 'targetId') ?? '', user: one(form, 'requestId'), muted: one(form, 'isMuted') };
    case '/message/group/publish.json': {
      const content = JSON.parse(one(form, 'content') ?? '{}') as Record<string, unknown>;
      if (typeof content.data !== 'string') throw new Error(`RC:GrpNtf data must be a JSON string: ${one(form, 'content')}`);
      const keys = Object.keys(content).sort().join(',');
      if (keys !== 'data,extra,message,operation,operatorUserId' || content.operatorUserId !== one(form, 'fromUserId')) {
        throw new Error(
          `RC:GrpNtf content is not { operatorUserId, operation, data, message, extra } from its sender: ${one(form, 'content')}`,
        );
      }
      return {
        call: 'RC:GrpNtf',
        group: list(form.toGroupId).join(','),
        from: one(form, 'fromUserId'),
        operation: String(content.operation),
        data: JSON.parse(content.data) as Record<string, unknown>,
        extra: JSON.parse(String(content.extra || '{}')) as Record<string, unknown>,
      };
    }
    case '/message/system/publish.json': {
      const content = JSON.parse(one(form, 'content') ?? '{}') as Record<string, unknown>;
      return {
        call: 'system',
        group: String(content.group_id ?? ''),
        object: one(form, 'objectName'),
        to: list(form.toUserId),
        content,
      };
    }
    default:
      return { call: 'other', group: one(form, 'groupId') ?? '', path };
  }
}

export async function acceptedCalls(baseUrl: string): Promise<AcceptedCall[]> {
  const res = await fetch(`${baseUrl}/_local/rongcloud`);
  if (res.status !== 200) throw new Error(`GET /_local/rongcloud answered ${res.status}`);
  return (await res.json()) as AcceptedCall[];
}

export const noticesFor = (calls: readonly AcceptedCall[], groupId: number) =>
  calls.map(noticeOf).filter((notice) => notice.group === String(groupId));

/** A stable text per call, to count calls that went out more than once. */
export const fingerprint = (call: AcceptedCall) => `${call.path} ${JSON.stringify(call.form, Object.keys(call.form).sort())}`;

export function duplicates(calls: readonly AcceptedCall[]): string[] {
  const seen = new Map<string, number>();
  for (const call of calls) seen.set(fingerprint(call), (seen.get(fingerprint(call)) ?? 0) + 1);
  return [...seen].filter(([, count]) => count > 1).map(([text, count]) => `${count}x ${text}`);
}
