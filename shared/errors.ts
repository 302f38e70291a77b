/**
 * The app's status codes, each with its HTTP status and a readable default message. This file is
 * the only place a status code meets an HTTP status; domain code throws `AppError`s with them.
 * Each is a constant of its own, so a bundle carries only the statuses its function can answer;
 * `STATUS` gathers them by name for the documentation and the tests.
 */
export const MISSING_PARAM = { code: 0, http: 400, msg: 'missing parameter' } as const;
export const OK = { code: 1, http: 200, msg: '成功' } as const;
export const NOT_LOGGED_IN = { code: 2, http: 401, msg: 'not logged in' } as const;
export const BAD_SESSION = { code: 3, http: 401, msg: 'bad session or unknown user' } as const;
export const INTERNAL = { code: 5, http: 500, msg: 'internal error' } as const;
export const BAD_BASE64 = { code: 17, http: 400, msg: 'bad base64' } as const;
export const BAD_IMAGE = { code: 18, http: 400, msg: 'image is not PNG or JPEG' } as const;
export const UNKNOWN_COIN = { code: 23, http: 404, msg: 'unknown coin' } as const;
export const BALANCE_TOO_LOW = { code: 24, http: 422, msg: 'balance too low' } as const;
export const WALLET_PWD_NOT_SET = { code: 25, http: 422, msg: 'wallet password not set' } as const;
export const WALLET_PWD_WRONG = { code: 26, http: 422, msg: 'wallet password wrong' } as const;
export const RONGCLOUD = { code: 41, http: 502, msg: 'RongCloud error' } as const;
export const BAD_GROUP_NAME = { code: 51, http: 400, msg: 'bad group name' } as const;
export const GROUP_NOT_FOUND = { code: 52, http: 404, msg: 'group does not exist' } as const;
export const ALREADY_MEMBER = { code: 53, http: 409, msg: 'already in the group' } as const;
export const NO_PERMISSION = { code: 54, http: 403, msg: 'no permission' } as const;
export const BAD_PRICE = { code: 55, http: 400, msg: 'bad price' } as const;
export const BAD_COIN_ID = { code: 56, http: 400, msg: 'bad coin_id' } as const;
export const BAD_MEMO = { code: 57, http: 400, msg: 'bad memo length' } as const;
export const NOT_MEMBER = { code: 58, http: 404, msg: 'user not in the group' } as const;
export const ALREADY_ADMIN = { code: 59, http: 409, msg: 'already an admin' } as const;
export const BAD_USER_LIST = { code: 151, http: 400, msg: 'bad user_list' } as const;
export const CONSENSUS_NOT_MET = { code: 153, http: 422, msg: 'consensus not met' } as const;
export const NOT_ADMIN = { code: 154, http: 403, msg: 'not an admin' } as const;
export const NO_JOIN_REQUEST = { code: 155, http: 404, msg: 'no such join request' } as const;
export const ADMIN_NEED_NOT_PAY = { code: 156, http: 409, msg: 'admins need not pay for private chat' } as const;
export const PRIVATE_ALREADY_PAID = { code: 157, http: 409, msg: 'private chat already paid' } as const;
export const PRIVATE_IS_FREE = { code: 158, http: 409, msg: "this group's private chat is free" } as const;
export const WALLET_LOCKED = { code: 159, http: 429, msg: 'wallet locked' } as const;
export const JOIN_PENDING = { code: 160, http: 409, msg: 'join request already pending' } as const;
export const OWNER_CANNOT_QUIT = { code: 161, http: 409, msg: 'the owner cannot quit' } as const;
export const GROUP_FULL = { code: 162, http: 409, msg: 'group full' } as const;
export const UNKNOWN_METHOD = { code: 163, http: 404, msg: 'unknown method' } as const;
export const MALFORMED_BODY = { code: 164, http: 400, msg: 'malformed body' } as const;
export const TOO_MANY_IDS = { code: 165, http: 400, msg: 'too many ids in one call' } as const;
export const BAD_PARAM = { code: 166, http: 400, msg: 'bad parameter' } as const;
export const THROTTLED = { code: 167, http: 429, msg: 'too many requests' } as const;
export const TERMS_CHANGED = { code: 168, http: 409, msg: "the group's terms changed; the user must join again" } as const;
export const IDEMPOTENCY_KEY_REUSED = {
  code: 169,
  http: 409,
  msg: 'this Idempotency-Key was used with other parameters',
} as const;
export const IDEMPOTENCY_KEY_BUSY = {
  code: 170,
  http: 409,
  msg: 'a request with this Idempotency-Key is still in progress',
} as const;
export const BANNED = { code: 180, http: 403, msg: 'banned from this group' } as const;
export const ADMIN_LIMIT = { code: 181, http: 409, msg: 'the group has as many admins as it may' } as const;
export const NOT_BANNED = { code: 182, http: 404, msg: 'user is not banned' } as const;
export const UNKNOWN_USER = { code: 183, http: 404, msg: 'unknown user' } as const;
export const REJECTED_RECENTLY = {
  code: 186,
  http: 429,
  msg: 'your request to join was rejected recently; ask again later',
} as const;
export const TOO_MANY_REQUESTS_PENDING = { code: 187, http: 409, msg: 'too many join requests pending at once' } as const;
export const INVITE_UNKNOWN = { code: 193, http: 404, msg: 'unknown invite code' } as const;
export const INVITE_EXPIRED = { code: 194, http: 409, msg: 'this invite link has expired' } as const;
export const INVITE_REVOKED = { code: 195, http: 409, msg: 'this invite link was revoked' } as const;
export const INVITE_USED_UP = { code: 196, http: 409, msg: 'this invite link has been used as often as it may' } as const;
export const INVITE_OTHER_GROUP = { code: 197, http: 400, msg: 'this invite code belongs to another group' } as const;
export const NOT_MUTED = { code: 200, http: 404, msg: 'user is not muted' } as const;
export const NOT_A_PAYER = { code: 216, http: 404, msg: 'the user has paid nothing into this group in this coin' } as const;
export const REFUND_TOO_LARGE = {
  code: 217,
  http: 409,
  msg: 'more than the user paid into this group and was not refunded yet',
} as const;
export const SUBSCRIPTION_ENDED = { code: 210, http: 409, msg: 'the subscription has ended: join the group again' } as const;
export const NOT_SUBSCRIBED = { code: 211, http: 409, msg: 'this membership does not lapse: there is nothing to renew' } as const;
export const NO_SUBSCRIPTION_SOLD = { code: 212, http: 409, msg: 'the group sells no subscription to renew' } as const;

export const STATUS = {
  MISSING_PARAM,
  OK,
  NOT_LOGGED_IN,
  BAD_SESSION,
  INTERNAL,
  BAD_BASE64,
  BAD_IMAGE,
  UNKNOWN_COIN,
  BALANCE_TOO_LOW,
  WALLET_PWD_NOT_SET,
  WALLET_PWD_WRONG,
  RONGCLOUD,
  BAD_GROUP_NAME,
  GROUP_NOT_FOUND,
  ALREADY_MEMBER,
  NO_PERMISSION,
  BAD_PRICE,
  BAD_COIN_ID,
  BAD_MEMO,
  NOT_MEMBER,
  ALREADY_ADMIN,
  BAD_USER_LIST,
  CONSENSUS_NOT_MET,
  NOT_ADMIN,
  NO_JOIN_REQUEST,
  ADMIN_NEED_NOT_PAY,
  PRIVATE_ALREADY_PAID,
  PRIVATE_IS_FREE,
  WALLET_LOCKED,
  JOIN_PENDING,
  OWNER_CANNOT_QUIT,
  GROUP_FULL,
  UNKNOWN_METHOD,
  MALFORMED_BODY,
  TOO_MANY_IDS,
  BAD_PARAM,
  THROTTLED,
  TERMS_CHANGED,
  IDEMPOTENCY_KEY_REUSED,
  IDEMPOTENCY_KEY_BUSY,
  BANNED,
  ADMIN_LIMIT,
  NOT_BANNED,
  UNKNOWN_USER,
  REJECTED_RECENTLY,
  TOO_MANY_REQUESTS_PENDING,
  INVITE_UNKNOWN,
  INVITE_EXPIRED,
  INVITE_REVOKED,
  INVITE_USED_UP,
  INVITE_OTHER_GROUP,
  NOT_MUTED,
  NOT_A_PAYER,
  REFUND_TOO_LARGE,
  SUBSCRIPTION_ENDED,
  NOT_SUBSCRIBED,
  NO_SUBSCRIPTION_SOLD,
} as const satisfies Record<string, Status>;

/** A status: its app code, its usual HTTP status and its default message. */
export interface Status {
  readonly code: number;
  readonly http: number;
  readonly msg: string;
}

export type StatusName = keyof typeof STATUS;

/** A refusal the client may see: carries its app status, its HTTP status and a readable message. */
export class AppError extends Error {
  readonly status: number;
  readonly http: number;
  /** Seconds until the refused call may succeed, for a refusal that lifts with time (a `Retry-After`). */
  readonly retryAfter: number | undefined;

  constructor(entry: Status, message?: string, options?: { http?: number; cause?: unknown; retryAfter?: number }) {
    super(message ?? entry.msg, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = entry.code;
    this.http = options?.http ?? entry.http;
    this.retryAfter = options?.retryAfter;
  }
}

export const fail = (status: Status, message?: string, options?: { http?: number; retryAfter?: number }): never => {
  throw new AppError(status, message, options);
};

/** The caller is outside the group: the seed's 58, answered as a permission refusal. */
export const callerNotMember = (): never => fail(NOT_MEMBER, 'you are not in this group', { http: 403 });

/** A status's name in `STATUS`, for the documentation, which lists refusals by name. */
export const statusName = (status: Status): StatusName => {
  const name = (Object.keys(STATUS) as StatusName[]).find((key) => STATUS[key] === status);
  if (name === undefined) throw new Error(`status ${status.code} is not in STATUS`);
  return name;
};
