import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { isEventRecord } from '#infra/fanout-source.ts';
import type { Db } from '#shared/db/client.ts';
import { rongCloudNotifier } from '#shared/notify/reactor.ts';
import { type StoredEvent, storedEventFromImage } from '#shared/outbox/event.ts';
import { createRongCloudApi } from '#shared/rongcloud/api.ts';
import { encodeForm, type Form, resourcePath } from '#shared/rongcloud/client.ts';
import { LOCAL_RONGCLOUD } from '../../infra/local/local-env.ts';
import type { AcceptedCall, RecordedForm, RejectedCall } from '../../infra/local/rongcloud-standin.ts';
import { lambdaRecord } from '../../infra/local/stream-records.ts';

/**
 * Every committed event announced exactly once, in order per group. The committed events are the
 * stream's inserts of event items, in commit order; what each must send is what the fan-out's own
 * notifier plans for it, run against a RongCloud that only writes the calls down. Per group, the
 * calls the stand-in accepted must be exactly that sequence, except for an immediate repeat of a
 * call in one of the two documented windows: its answer never reached the client (the stand-in
 * withheld it in `lost` mode, or the client tried the same request id again), or the process
 * sending it was killed after RongCloud took it and before its sent-marker was written.
 */

export interface Call {
  readonly path: string;
  readonly form: RecordedForm;
}

export interface GroupAnnouncements {
  readonly expected: readonly Call[];
  readonly accepted: readonly AcceptedCall[];
}

export interface AnnouncementCheck {
  readonly events: number;
  readonly groups: number;
  readonly expectedCalls: number;
  readonly acceptedCalls: number;
  /** Repeats of a call whose answer never reached the client; of those, answers the stand-in withheld in `lost` mode. */
  readonly repeatsLost: number;
  readonly repeatsLostInjected: number;
  readonly repeatsCrash: number;
  /** Broken promises, by kind, each with the group and call. */
  readonly problems: { kind: string; detail: string }[];
  /**
   * Expected calls not accepted yet, at the end of their group's list: while the fan-out still
   * works these are on their way; once it is drained, each is a notice lost.
   */
  readonly pending: number;
}

/** `{key: [values]}` with keys sorted: one spelling per form, whichever side wrote it. */
function canonical(form: RecordedForm): string {
  const keys = Object.keys(form).sort();
  return JSON.stringify(keys.map((key) => [key, ([] as string[]).concat(form[key] ?? [])]));
}

export const fingerprint = (call: Call) => `${call.path} ${canonical(call.form)}`;

function recordedForm(form: Form): RecordedForm {
  const out: RecordedForm = {};
  for (const [key, value] of new URLSearchParams(encodeForm(form))) {
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/** The rate budget is shared through the table; planning the calls needs none of it. */
const noTable = { table: 'soak-plan', doc: { send: async () => ({}) } } as unknown as Db;

/** The calls the fan-out makes for one event, in order, as the stand-in records them. */
export async function plannedCalls(event: StoredEvent): Promise<Call[]> {
  const calls: Call[] = [];
  const api = createRongCloudApi({
    appKey: LOCAL_RONGCLOUD.appKey,
    call: async (resource, form) => {
      calls.push({ path: `/${resourcePath(resource)}.json`, form: recordedForm(form) });
      return { code: 200 };
    },
  });
  const notifier = rongCloudNotifier({ rongcloud: async () => api, systemUserId: async () => LOCAL_RONGCLOUD.systemUser });
  await notifier.react(noTable, event, async (_action, effect) => void (await effect()));
  return calls;
}

/** The committed events on the stream, in commit order. */
export function committedEvents(records: readonly StreamRecord[]): StoredEvent[] {
  return records
    .map((record) => lambdaRecord(record, 'soak', 'us-east-1'))
    .filter(isEventRecord)
    .map((record) => storedEventFromImage(record.dynamodb!.NewImage as Record<string, AttributeValue>));
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The operations SPEC "Notifications" announces to the group as `RC:GrpNtf`. */
const GROUP_NOTICES = new Set([
  'Create',
  'Add',
  'Quit',
  'Kicked',
  'Dismiss',
  'Rename',
  'Bulletin',
  'SetAdmin',
  'RemoveAdmin',
  'Transfer',
  'SetPrice',
  'SetConsensus',
  'SetLogo',
  'SetPrivate',
]);
/** RongCloud's own membership kept in step, per SPEC. */
const MEMBERSHIP_SYNC: Record<string, string> = {
  Create: '/group/create.json',
  Add: '/group/join.json',
  Quit: '/group/quit.json',
  Kicked: '/group/quit.json',
  Dismiss: '/group/dismiss.json',
  Rename: '/group/refresh.json',
};

function content(call: Call): Record<string, unknown> {
  try {
    return JSON.parse(first(call.form.content) ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/**
 * What SPEC "Notifications" promises for an event, read from SPEC rather than from the fan-out's
 * plan, so a fan-out that stops planning a notice is caught too: the group notice with the event's
 * id, the membership call, and the notices to single users (requests, results, payments).
 */
export function promisedCalls(event: StoredEvent): { what: string; met: (call: Call) => boolean }[] {
  const promises: { what: string; met: (call: Call) => boolean }[] = [];
  const system = (objectName: string) => ({
    what: objectName,
    met: (call: Call) => call.path === '/message/system/publish.json' && first(call.form.objectName) === objectName,
  });
  if (GROUP_NOTICES.has(event.op)) {
    promises.push({
      what: `RC:GrpNtf ${event.op}`,
      met: (call) => {
        if (call.path !== '/message/group/publish.json') return false;
        const notice = content(call);
        const extra = typeof notice.extra === 'string' ? (JSON.parse(notice.extra) as { eventId?: unknown }) : {};
        return notice.operation === event.op && extra.eventId === event.eventId;
      },
    });
  }
  const sync = MEMBERSHIP_SYNC[event.op];
  if (sync) promises.push({ what: sync, met: (call) => call.path === sync });
  if (event.op === 'JoinRequest') promises.push(system('MSG:join_group'));
  if (event.op === 'JoinRejected' || (event.op === 'Add' && event.data.via === 'approve'))
    promises.push(system('MSG:join_group_result'));
  if (event.op === 'PayPrivate' || (event.op === 'Add' && event.data.payment)) promises.push(system('MSG:group_pay'));
  return promises;
}

/** The group a RongCloud call concerns; a notice to single users names it in its content. */
export function groupOf(call: Call): string {
  const { form } = call;
  const direct = first(form.groupId) ?? first(form.toGroupId) ?? first(form.targetId);
  if (direct !== undefined) return direct;
  try {
    return String((JSON.parse(first(form.content) ?? '{}') as { group_id?: unknown }).group_id ?? '');
  } catch {
    return '';
  }
}

export async function expectedByGroup(events: readonly StoredEvent[]): Promise<Map<string, Call[]>> {
  const byGroup = new Map<string, Call[]>();
  for (const event of events) {
    const calls = await plannedCalls(event);
    if (calls.length === 0) continue;
    const list = byGroup.get(String(event.groupId)) ?? [];
    list.push(...calls);
    byGroup.set(String(event.groupId), list);
  }
  return byGroup;
}

function multisetMinus(a: readonly string[], b: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const item of b) counts.set(item, (counts.get(item) ?? 0) + 1);
  const out: string[] = [];
  for (const item of a) {
    const left = counts.get(item) ?? 0;
    if (left > 0) counts.set(item, left - 1);
    else out.push(item);
  }
  return out;
}

const short = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

export interface AnnouncementInput {
  readonly expected: ReadonlyMap<string, readonly Call[]>;
  readonly accepted: readonly AcceptedCall[];
  readonly rejected: readonly RejectedCall[];
  /** When a process sending calls was killed (epoch ms, from the signal to just after it was gone). */
  readonly kills: readonly { readonly from: number; readonly to: number }[];
  readonly events: number;
}

type Window = 'lost answer' | 'withheld answer' | 'crash';

/** Which documented window, if any, explains `call` repeating `previous`, the same call just before it. */
function repeatWindow(input: AnnouncementInput): (previous: AcceptedCall, call: AcceptedCall) => Window | undefined {
  const withheld = new Set(
    input.rejected.filter((call) => call.reason === 'lost').map((call) => `${fingerprint(call)}@${call.at}`),
  );
  // Every attempt of every call, by request id: a later attempt of the same call means the client never had the answer.
  const attempts = new Map<string, number[]>();
  for (const call of [...input.accepted, ...input.rejected]) {
    if (call.requestId === undefined) continue;
    const times = attempts.get(call.requestId) ?? [];
    times.push(Date.parse(call.at));
    attempts.set(call.requestId, times);
  }
  return (previous, call) => {
    if (withheld.has(`${fingerprint(previous)}@${previous.at}`)) return 'withheld answer';
    const sent = Date.parse(previous.at);
    if (previous.requestId !== undefined && (attempts.get(previous.requestId) ?? []).some((time) => time > sent))
      return 'lost answer';
    const again = Date.parse(call.at);
    if (input.kills.some((kill) => sent <= kill.to && again >= kill.from)) return 'crash';
    return undefined;
  };
}

export function checkAnnouncements(input: AnnouncementInput): AnnouncementCheck {
  const windowOf = repeatWindow(input);
  const acceptedByGroup = new Map<string, AcceptedCall[]>();
  for (const call of input.accepted) {
    const group = groupOf(call);
    const list = acceptedByGroup.get(group) ?? [];
    list.push(call);
    acceptedByGroup.set(group, list);
  }

  const problems: { kind: string; detail: string }[] = [];
  const repeats = new Map<Window, number>();
  let pending = 0;
  for (const group of new Set([...input.expected.keys(), ...acceptedByGroup.keys()])) {
    const expected = (input.expected.get(group) ?? []).map(fingerprint);
    const kept: string[] = [];
    let previous: AcceptedCall | undefined;
    for (const call of acceptedByGroup.get(group) ?? []) {
      const print = fingerprint(call);
      const window = previous && fingerprint(previous) === print ? windowOf(previous, call) : undefined;
      if (window) repeats.set(window, (repeats.get(window) ?? 0) + 1);
      else kept.push(print);
      previous = call;
    }
    const notSent = multisetMinus(expected, kept);
    const extra = multisetMinus(kept, expected);
    // Calls not sent yet at the end of the expected list are still on their way, not out of order.
    const onTheirWay = notSent.length > 0 && kept.every((print, index) => print === expected[index]);
    if (onTheirWay) pending += notSent.length;
    else
      for (const print of notSent)
        problems.push({ kind: 'committed but never announced', detail: `group ${group}: ${short(print)}` });
    for (const print of extra)
      problems.push({ kind: 'announced twice or never committed', detail: `group ${group}: ${short(print)}` });
    if (notSent.length === 0 && extra.length === 0) {
      const at = kept.findIndex((print, index) => print !== expected[index]);
      if (at >= 0) {
        problems.push({
          kind: 'announced out of order',
          detail: `group ${group}, call ${at + 1}: expected ${short(expected[at] ?? '')}, got ${short(kept[at] ?? '')}`,
        });
      }
    }
  }
  return {
    events: input.events,
    groups: input.expected.size,
    expectedCalls: [...input.expected.values()].reduce((sum, calls) => sum + calls.length, 0),
    acceptedCalls: input.accepted.length,
    repeatsLost: (repeats.get('lost answer') ?? 0) + (repeats.get('withheld answer') ?? 0),
    repeatsLostInjected: repeats.get('withheld answer') ?? 0,
    repeatsCrash: repeats.get('crash') ?? 0,
    problems,
    pending,
  };
}
