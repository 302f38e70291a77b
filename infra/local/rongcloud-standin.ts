import type { IncomingMessage, ServerResponse } from 'node:http';
import { signatureMatches } from '#shared/rongcloud/sign.ts';

/**
 * The local runtime's RongCloud: answers server-API calls the way RongCloud does (signature check,
 * form body, `{"code":200}`), remembers what it accepted so tests and people can look, and fails on
 * request so retries can be exercised. Mounted by the local gateway at `/_local/rongcloud`.
 */

export type RecordedForm = Record<string, string | string[]>;

export interface AcceptedCall {
  /** RongCloud's resource path, e.g. `/group/create.json`. */
  path: string;
  form: RecordedForm;
  at: string;
  /** The call's `X-Request-ID`, when it has one: a client sends the same one on every attempt of a call. */
  requestId?: string;
}

/**
 * `timeout` holds a call unanswered and does not carry it out; `lost` carries it out, then holds
 * the answer the same way: RongCloud did the work but the caller never heard, the window where a
 * retried message is delivered twice.
 */
export type FailureMode = '500' | '429' | 'timeout' | 'lost';

export interface RejectedCall extends AcceptedCall {
  reason: 'signature' | 'parameter' | FailureMode;
  status: number;
}

export interface FailurePlan {
  mode: FailureMode | 'off';
  /** Fail this many calls, then answer normally again; unset = until told otherwise. */
  count?: number;
  /** Fail this share of calls, spread evenly: 0.5 fails every other call. Unset = every call. */
  ratio?: number;
  /** Only calls to these resources (`/group/join.json` or `group/join`); unset = all. */
  paths?: string[];
}

export interface RongCloudStandInOptions {
  appKey?: string;
  appSecret?: string;
  /** The accepted and rejected lists each keep this many, newest last. */
  maxRecorded?: number;
  /** How long 'timeout' and 'lost' hold a call before answering 504: longer than the client's timeout. */
  holdMs?: number;
  maxBodyBytes?: number;
}

export interface RongCloudStandIn {
  /** Serves `pathAfterPrefix` (the part after `/_local/rongcloud`); false when the path is not its own. */
  handle(req: IncomingMessage, res: ServerResponse, pathAfterPrefix: string): Promise<boolean>;
  accepted(path?: string): AcceptedCall[];
  rejected(): RejectedCall[];
  /** Who RongCloud would think is in the group, from the membership calls it accepted. */
  groupMembers(groupId: string): string[];
  clear(): void;
  setFailure(plan: FailurePlan): void;
  failNext(count: number, mode?: FailureMode, paths?: string[]): void;
  /** Answers every held 'timeout' call at once, so a server can shut down without waiting. */
  close(): void;
}

const PREFIX = '/_local/rongcloud';
const FAILURE_MODES = new Set(['500', '429', 'timeout', 'lost', 'off']);

interface ParameterRule {
  required: string[];
  maxRepeat?: Record<string, number>;
  maxChars?: Record<string, number>;
  json?: string[];
}

/** RongCloud's documented requirements for the resources this service calls. */
const RULES: Record<string, ParameterRule> = {
  '/group/create.json': { required: ['userId', 'groupId'], maxRepeat: { userId: 1000 }, maxChars: { groupId: 64 } },
  '/group/join.json': { required: ['userId', 'groupId'], maxRepeat: { userId: 1000 }, maxChars: { groupId: 64 } },
  '/group/quit.json': { required: ['userId', 'groupId'], maxRepeat: { userId: 1000 } },
  '/group/dismiss.json': { required: ['userId', 'groupId'], maxRepeat: { userId: 1 } },
  '/group/refresh.json': { required: ['groupId', 'groupName'] },
  '/group/user/query.json': { required: ['groupId'] },
  '/conversation/notification/set.json': { required: ['conversationType', 'requestId', 'targetId'] },
  '/group/user/gag/add.json': { required: ['userId', 'groupId', 'minute'], maxRepeat: { userId: 20, groupId: 1, minute: 1 } },
  '/group/user/gag/rollback.json': { required: ['userId', 'groupId'], maxRepeat: { userId: 20, groupId: 1 } },
  '/group/ban/add.json': { required: ['groupId'], maxRepeat: { groupId: 20 } },
  '/group/ban/rollback.json': { required: ['groupId'], maxRepeat: { groupId: 20 } },
  '/group/user/ban/whitelist/add.json': { required: ['userId', 'groupId'], maxRepeat: { userId: 20, groupId: 1 } },
  '/group/user/ban/whitelist/rollback.json': { required: ['userId', 'groupId'], maxRepeat: { userId: 20, groupId: 1 } },
  '/message/group/publish.json': {
    required: ['fromUserId', 'toGroupId', 'objectName', 'content'],
    maxRepeat: { toGroupId: 3, fromUserId: 1 },
    maxChars: { objectName: 32, content: 128 * 1024 },
    json: ['content'],
  },
  '/message/system/publish.json': {
    required: ['fromUserId', 'toUserId', 'objectName', 'content'],
    maxRepeat: { toUserId: 100, fromUserId: 1 },
    maxChars: { objectName: 32, content: 128 * 1024 },
    json: ['content'],
  },
  '/message/private/publish.json': {
    required: ['fromUserId', 'toUserId', 'objectName', 'content'],
    maxRepeat: { toUserId: 1000, fromUserId: 1 },
    maxChars: { objectName: 32, content: 128 * 1024 },
    json: ['content'],
  },
};

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Why RongCloud would refuse these parameters with code 1002, or undefined when it would not. */
function parameterProblem(path: string, form: RecordedForm): string | undefined {
  const rule = RULES[path];
  if (!rule) return undefined;
  for (const field of rule.required) if (asList(form[field]).every((value) => value === '')) return `${field} is required`;
  if (path === '/conversation/notification/set.json' && form.isMuted === undefined && form.unpushLevel === undefined) {
    return 'isMuted or unpushLevel is required';
  }
  // A gag of 0 minutes is for ever at RongCloud: this service never means that.
  if (path === '/group/user/gag/add.json' && (!/^[1-9][0-9]*$/.test(String(form.minute)) || Number(form.minute) > 43_200)) {
    return 'minute must be 1-43200';
  }
  for (const [field, max] of Object.entries(rule.maxRepeat ?? {})) {
    if (asList(form[field]).length > max) return `at most ${max} ${field} per call`;
  }
  for (const [field, max] of Object.entries(rule.maxChars ?? {})) {
    if (asList(form[field]).some((value) => Buffer.byteLength(value) > max)) return `${field} is longer than ${max}`;
  }
  for (const field of rule.json ?? []) {
    for (const value of asList(form[field])) {
      try {
        JSON.parse(value);
      } catch {
        return `${field} is not JSON`;
      }
    }
  }
  return undefined;
}

function parseForm(text: string): RecordedForm {
  const form: RecordedForm = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const seen = form[key];
    form[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return form;
}

/** `group/join`, `/group/join` and `/group/join.json` all name `/group/join.json`. */
const normalizeResource = (path: string) => `/${path.replace(/^\/+/, '').replace(/\.json$/, '')}.json`;

interface Reply {
  status: number;
  body: unknown;
}

const reply = (status: number, body: unknown): Reply => ({ status, body });

function send(res: ServerResponse, { status, body }: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new BodyTooLarge();
    parts.push(buffer);
  }
  return Buffer.concat(parts).toString('utf8');
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function validPlan(input: unknown): FailurePlan | string {
  if (!input || typeof input !== 'object') return 'expected a JSON object';
  const { mode, count, ratio, paths } = input as Record<string, unknown>;
  if (typeof mode !== 'string' || !FAILURE_MODES.has(mode)) return "mode must be '500', '429', 'timeout', 'lost' or 'off'";
  if (count !== undefined && !(Number.isInteger(count) && (count as number) > 0)) return 'count must be a positive integer';
  if (ratio !== undefined && !(typeof ratio === 'number' && ratio > 0 && ratio <= 1)) return 'ratio must be in (0, 1]';
  if (paths !== undefined && !(Array.isArray(paths) && paths.every((path) => typeof path === 'string'))) {
    return 'paths must be a list of resource paths';
  }
  return {
    mode: mode as FailurePlan['mode'],
    ...(count === undefined ? {} : { count: count as number }),
    ...(ratio === undefined ? {} : { ratio: ratio as number }),
    ...(paths === undefined ? {} : { paths: (paths as string[]).map(normalizeResource) }),
  };
}

export function createRongCloudStandIn(options: RongCloudStandInOptions = {}): RongCloudStandIn {
  const appKey = options.appKey ?? 'local-app-key';
  const appSecret = options.appSecret ?? 'local-app-secret';
  const maxRecorded = options.maxRecorded ?? 10_000;
  const holdMs = options.holdMs ?? 6000;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  let acceptedCalls: AcceptedCall[] = [];
  let rejectedCalls: RejectedCall[] = [];
  const groups = new Map<string, Set<string>>();
  let plan: FailurePlan = { mode: 'off' };
  let matchingCalls = 0;
  const held = new Set<() => void>();

  const remember = <T>(list: T[], entry: T) => {
    list.push(entry);
    if (list.length > maxRecorded) list.splice(0, list.length - maxRecorded);
  };

  function setFailure(next: FailurePlan) {
    plan = next.paths ? { ...next, paths: next.paths.map(normalizeResource) } : { ...next };
    matchingCalls = 0;
  }

  /** Whether the plan fails this call; spends one of its `count` when it does. */
  function injectedFailure(path: string): FailureMode | undefined {
    if (plan.mode === 'off' || (plan.paths && !plan.paths.includes(path))) return undefined;
    matchingCalls += 1;
    const ratio = plan.ratio ?? 1;
    if (Math.floor(matchingCalls * ratio) === Math.floor((matchingCalls - 1) * ratio)) return undefined;
    const mode = plan.mode;
    if (plan.count !== undefined) {
      plan = plan.count > 1 ? { ...plan, count: plan.count - 1 } : { mode: 'off' };
    }
    return mode;
  }

  function applyMembership(path: string, form: RecordedForm) {
    const groupId = asList(form.groupId)[0];
    if (groupId === undefined) return;
    const users = asList(form.userId);
    if (path === '/group/create.json' || path === '/group/join.json') {
      const members = groups.get(groupId) ?? new Set<string>();
      for (const user of users) members.add(user);
      groups.set(groupId, members);
    } else if (path === '/group/quit.json') {
      for (const user of users) groups.get(groupId)?.delete(user);
    } else if (path === '/group/dismiss.json') {
      groups.delete(groupId);
    }
  }

  function hold(res: ServerResponse): Promise<void> {
    if (res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, holdMs);
      held.add(release);
      res.once('close', release);
    });
  }

  async function serveApi(req: IncomingMessage, res: ServerResponse, path: string): Promise<Reply> {
    if (req.method !== 'POST') return reply(405, { code: 1002, errorMessage: 'RongCloud server API calls are POST' });
    let text: string;
    try {
      text = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) return reply(413, { code: 1005, errorMessage: 'body too large' });
      throw error;
    }
    const form = parseForm(text);
    const at = new Date().toISOString();
    const requestId = header(req, 'x-request-id');
    const call: AcceptedCall = { path, form, at, ...(requestId ? { requestId } : {}) };
    const reject = (reason: RejectedCall['reason'], status: number) => remember(rejectedCalls, { ...call, reason, status });

    const signed =
      header(req, 'app-key') === appKey &&
      signatureMatches(appSecret, header(req, 'nonce'), header(req, 'timestamp'), header(req, 'signature'));
    if (!signed) {
      reject('signature', 401);
      return reply(401, { code: 1004, errorMessage: 'signature error: check App-Key, Nonce, Timestamp and Signature' });
    }
    const contentType = header(req, 'content-type') ?? '';
    const problem = contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')
      ? parameterProblem(path, form)
      : 'body must be application/x-www-form-urlencoded';
    if (problem) {
      reject('parameter', 400);
      return reply(400, { code: 1002, errorMessage: problem });
    }

    const failure = injectedFailure(path);
    if (failure === '500') {
      reject(failure, 500);
      return reply(500, { code: 1000, errorMessage: 'injected internal error' });
    }
    if (failure === '429') {
      reject(failure, 429);
      return reply(429, { code: 1008, errorMessage: 'injected rate limit' });
    }
    if (failure === 'timeout') {
      reject(failure, 504);
      await hold(res);
      return reply(504, { code: 1050, errorMessage: 'injected timeout' });
    }

    remember(acceptedCalls, call);
    applyMembership(path, form);
    if (failure === 'lost') {
      reject(failure, 504);
      await hold(res);
      return reply(504, { code: 1050, errorMessage: 'injected timeout after the call was carried out' });
    }
    if (path === '/group/user/query.json') {
      const groupId = asList(form.groupId)[0] ?? '';
      return reply(200, { code: 200, id: groupId, users: [...(groups.get(groupId) ?? [])].map((id) => ({ id })) });
    }
    return reply(200, { code: 200 });
  }

  async function serveFail(req: IncomingMessage): Promise<Reply> {
    if (req.method === 'GET') return reply(200, plan);
    if (req.method !== 'POST') return reply(405, { error: 'POST a failure plan' });
    let input: unknown;
    try {
      input = JSON.parse(await readBody(req, maxBodyBytes));
    } catch {
      return reply(400, { error: 'the body is not JSON' });
    }
    const next = validPlan(input);
    if (typeof next === 'string') return reply(400, { error: next });
    setFailure(next);
    return reply(200, plan);
  }

  function serveList(req: IncomingMessage, query: URLSearchParams): Reply {
    if (req.method === 'DELETE') {
      clear();
      return reply(200, { cleared: true });
    }
    if (req.method !== 'GET') return reply(405, { error: 'GET lists the calls, DELETE clears them' });
    const path = query.get('path');
    const list = query.get('rejected') === '1' ? rejectedCalls : acceptedCalls;
    return reply(200, path ? list.filter((call) => call.path === normalizeResource(path)) : list);
  }

  function clear() {
    acceptedCalls = [];
    rejectedCalls = [];
    groups.clear();
  }

  async function handle(req: IncomingMessage, res: ServerResponse, pathAfterPrefix: string): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    let sub = pathAfterPrefix.split('?')[0] ?? '';
    if (sub.startsWith(PREFIX)) sub = sub.slice(PREFIX.length);
    sub = sub.replace(/\/+$/, '');
    if (sub !== '' && !sub.startsWith('/')) sub = `/${sub}`;

    try {
      if (sub === '') send(res, serveList(req, url.searchParams));
      else if (sub === '/fail') send(res, await serveFail(req));
      else if (sub.startsWith('/api/') && sub.endsWith('.json')) send(res, await serveApi(req, res, sub.slice('/api'.length)));
      else return false;
    } catch (error) {
      // A caller that hung up mid-body is owed no answer.
      if (!req.destroyed) throw error;
    }
    return true;
  }

  return {
    handle,
    accepted: (path) => (path ? acceptedCalls.filter((call) => call.path === normalizeResource(path)) : [...acceptedCalls]),
    rejected: () => [...rejectedCalls],
    groupMembers: (groupId) => [...(groups.get(groupId) ?? [])],
    clear,
    setFailure,
    failNext: (count, mode = '500', paths) => setFailure({ mode, count, ...(paths ? { paths } : {}) }),
    close: () => {
      for (const release of [...held]) release();
    },
  };
}
