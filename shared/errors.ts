/**
 * The app's status codes, each with its HTTP status and a readable default message. This table is
 * the only place a status code meets an HTTP status; domain code throws `AppError`s by name.
 */
export const STATUS = {
  MISSING_PARAM: { code: 0, http: 400, msg: 'missing parameter' },
  OK: { code: 1, http: 200, msg: '成功' },
  NOT_LOGGED_IN: { code: 2, http: 401, msg: 'not logged in' },
  BAD_SESSION: { code: 3, http: 401, msg: 'bad session or unknown user' },
  INTERNAL: { code: 5, http: 500, msg: 'internal error' },
  BAD_BASE64: { code: 17, http: 400, msg: 'bad base64' },
  BAD_IMAGE: { code: 18, http: 400, msg: 'image is not PNG or JPEG' },
  UNKNOWN_COIN: { code: 23, http: 404, msg: 'unknown coin' },
  BALANCE_TOO_LOW: { code: 24, http: 422, msg: 'balance too low' },
  WALLET_PWD_NOT_SET: { code: 25, http: 422, msg: 'wallet password not set' },
  WALLET_PWD_WRONG: { code: 26, http: 422, msg: 'wallet password wrong' },
  RONGCLOUD: { code: 41, http: 502, msg: 'RongCloud error' },
  BAD_GROUP_NAME: { code: 51, http: 400, msg: 'bad group name' },
  GROUP_NOT_FOUND: { code: 52, http: 404, msg: 'group does not exist' },
  ALREADY_MEMBER: { code: 53, http: 409, msg: 'already in the group' },
  NO_PERMISSION: { code: 54, http: 403, msg: 'no permission' },
  BAD_PRICE: { code: 55, http: 400, msg: 'bad price' },
  BAD_COIN_ID: { code: 56, http: 400, msg: 'bad coin_id' },
  BAD_MEMO: { code: 57, http: 400, msg: 'bad memo length' },
  NOT_MEMBER: { code: 58, http: 404, msg: 'user not in the group' },
  ALREADY_ADMIN: { code: 59, http: 409, msg: 'already an admin' },
  BAD_USER_LIST: { code: 151, http: 400, msg: 'bad user_list' },
  CONSENSUS_NOT_MET: { code: 153, http: 422, msg: 'consensus not met' },
  NOT_ADMIN: { code: 154, http: 403, msg: 'not an admin' },
  NO_JOIN_REQUEST: { code: 155, http: 404, msg: 'no such join request' },
  ADMIN_NEED_NOT_PAY: { code: 156, http: 409, msg: 'admins need not pay for private chat' },
  PRIVATE_ALREADY_PAID: { code: 157, http: 409, msg: 'private chat already paid' },
  PRIVATE_IS_FREE: { code: 158, http: 409, msg: "this group's private chat is free" },
  WALLET_LOCKED: { code: 159, http: 429, msg: 'wallet locked' },
  JOIN_PENDING: { code: 160, http: 409, msg: 'join request already pending' },
  OWNER_CANNOT_QUIT: { code: 161, http: 409, msg: 'the owner cannot quit' },
  GROUP_FULL: { code: 162, http: 409, msg: 'group full' },
  UNKNOWN_METHOD: { code: 163, http: 404, msg: 'unknown method' },
  MALFORMED_BODY: { code: 164, http: 400, msg: 'malformed body' },
  TOO_MANY_IDS: { code: 165, http: 400, msg: 'too many ids in one call' },
  BAD_PARAM: { code: 166, http: 400, msg: 'bad parameter' },
  THROTTLED: { code: 167, http: 429, msg: 'too many requests' },
  TERMS_CHANGED: { code: 168, http: 409, msg: "the group's terms changed; the user must join again" },
  IDEMPOTENCY_KEY_REUSED: { code: 169, http: 409, msg: 'this Idempotency-Key was used with other parameters' },
  IDEMPOTENCY_KEY_BUSY: { code: 170, http: 409, msg: 'a request with this Idempotency-Key is still in progress' },
  BANNED: { code: 180, http: 403, msg: 'banned from this group' },
  ADMIN_LIMIT: { code: 181, http: 409, msg: 'the group has as many admins as it may' },
  NOT_BANNED: { code: 182, http: 404, msg: 'user is not banned' },
  UNKNOWN_USER: { code: 183, http: 404, msg: 'unknown user' },
  REJECTED_RECENTLY: { code: 186, http: 429, msg: 'your request to join was rejected recently; ask again later' },
  TOO_MANY_REQUESTS_PENDING: { code: 187, http: 409, msg: 'too many join requests pending at once' },
  INVITE_UNKNOWN: { code: 193, http: 404, msg: 'unknown invite code' },
  INVITE_EXPIRED: { code: 194, http: 409, msg: 'this invite link has expired' },
  INVITE_REVOKED: { code: 195, http: 409, msg: 'this invite link was revoked' },
  INVITE_USED_UP: { code: 196, http: 409, msg: 'this invite link has been used as often as it may' },
  INVITE_OTHER_GROUP: { code: 197, http: 400, msg: 'this invite code belongs to another group' },
  NOT_MUTED: { code: 200, http: 404, msg: 'user is not muted' },
  NOT_A_PAYER: { code: 216, http: 404, msg: 'the user has paid nothing into this group in this coin' },
  REFUND_TOO_LARGE: { code: 217, http: 409, msg: 'more than the user paid into this group and was not refunded yet' },
  SUBSCRIPTION_ENDED: { code: 210, http: 409, msg: 'the subscription has ended: join the group again' },
  NOT_SUBSCRIBED: { code: 211, http: 409, msg: 'this membership does not lapse: there is nothing to renew' },
  NO_SUBSCRIPTION_SOLD: { code: 212, http: 409, msg: 'the group sells no subscription to renew' },
} as const satisfies Record<string, { code: number; http: number; msg: string }>;

export type StatusName = keyof typeof STATUS;

/** A refusal the client may see: carries its app status, its HTTP status and a readable message. */
export class AppError extends Error {
  readonly status: number;
  readonly http: number;
  /** Seconds until the refused call may succeed, for a refusal that lifts with time (a `Retry-After`). */
  readonly retryAfter: number | undefined;

  constructor(name: StatusName, message?: string, options?: { http?: number; cause?: unknown; retryAfter?: number }) {
    const entry = STATUS[name];
    super(message ?? entry.msg, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = entry.code;
    this.http = options?.http ?? entry.http;
    this.retryAfter = options?.retryAfter;
  }
}

export const fail = (name: StatusName, message?: string, options?: { http?: number; retryAfter?: number }): never => {
  throw new AppError(name, message, options);
};

/** The caller is outside the group: the seed's 58, answered as a permission refusal. */
export const callerNotMember = (): never => fail('NOT_MEMBER', 'you are not in this group', { http: 403 });
