import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_PARAM, REPLAYED_HEADER } from '#shared/api/idempotency-key.ts';
import type { MethodDef } from '#shared/api/method-def.ts';
import { groupMethods } from '#shared/api/methods/groups.ts';
import { managementMethods } from '#shared/api/methods/management.ts';
import { moderationMethods } from '#shared/api/methods/moderation.ts';
import { walletMethods } from '#shared/api/methods/wallet.ts';
import { asText, type MethodExamples, recordedExamples, refusalExamples, successExample } from '#shared/api/openapi/examples.ts';
import { bodySchema, fieldSchema } from '#shared/api/openapi/param-schemas.ts';
import { METHODS, type MethodName, methodNames } from '#shared/api/registry.ts';
import { definitionOf, type ReplySchema } from '#shared/api/reply.ts';
import { type DocumentedStatus, methodStatuses } from '#shared/api/reply-statuses.ts';
import { mustBeSent } from '#shared/api/schema.ts';
import { MAX_SESSION_KEY_LENGTH } from '#shared/entities/session.ts';
import { STATUS } from '#shared/errors.ts';

type JsonObject = Record<string, unknown>;

export const API_VERSION = '0.1.0';

/** Where the generated document is committed, relative to the project root (`npm run openapi`). */
export const OPENAPI_FILE = 'docs/openapi.json';
/** The document's types for openapi-fetch clients, generated beside it by openapi-typescript. */
export const OPENAPI_TYPES_FILE = 'docs/openapi-types.ts';
/** The demo session every example uses (`npm start` seeds demo-session-1 … demo-session-20). */
export const DEMO_SESSION = 'demo-session-1';

const TAGS: readonly { name: string; description: string; methods: readonly string[] }[] = [
  { name: 'Groups', description: 'Creating and reading groups.', methods: Object.keys(groupMethods) },
  {
    name: 'Management',
    description: 'Owner, admin and member management, dismissal, search and the hot list.',
    methods: Object.keys(managementMethods),
  },
  {
    name: 'Moderation',
    description: 'Bans: who may not come back, for how long, and why.',
    methods: Object.keys(moderationMethods),
  },
  {
    name: 'Joining and wallet',
    description: 'Prices, joining, join requests, paid private chat and the caller’s wallet.',
    methods: Object.keys(walletMethods),
  },
];

const tagOf = (name: MethodName) => TAGS.find((tag) => tag.methods.includes(name))?.name ?? 'Other';

/**
 * `session_key` is described as what it is, a parameter like the others, in the body or the query
 * string; not as a security scheme, which tools such as Prism's validating proxy and generated
 * clients would then look for in one place only.
 */
const sessionKey = (def: MethodDef) => ({
  type: 'string',
  minLength: 1,
  maxLength: MAX_SESSION_KEY_LENGTH,
  description:
    def.session === 'required'
      ? 'The caller’s session key, issued by the app’s account system.'
      : 'The caller’s session key, if any: with one, the reply carries the caller’s own view.',
  examples: [DEMO_SESSION],
});

const IDEMPOTENCY_KEY = {
  type: 'string',
  pattern: IDEMPOTENCY_KEY_PATTERN,
  description: `Makes the write safe to retry: within 24 hours a repeat with the same key and parameters gets the first reply and changes nothing; other parameters under the key are refused with status ${STATUS.IDEMPOTENCY_KEY_REUSED.code}. A fresh UUID per logical request; empty means none. May also come as the \`${IDEMPOTENCY_HEADER}\` header.`,
  // Empty, not a UUID: tools that fill a request from the examples would otherwise send one key for every try.
  examples: [''],
};

const IDEMPOTENCY_HEADER_PARAMETER = {
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  description: `A key naming this write, so that a retry is safe (a UUID per logical request). Within 24 hours a repeat with the same key and parameters gets the first reply, with the header \`${REPLAYED_HEADER}: true\`, and changes nothing; other parameters are refused with status ${STATUS.IDEMPOTENCY_KEY_REUSED.code}; a repeat while the first still runs waits for it, then is refused with status ${STATUS.IDEMPOTENCY_KEY_BUSY.code}. Keys are kept per caller and method. May also come as the \`${IDEMPOTENCY_PARAM}\` parameter.`,
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
};

const statusTable = () =>
  [
    '| status | HTTP | meaning |',
    '|---|---|---|',
    ...Object.values(STATUS).map((s) => `| ${s.code} | ${s.http} | ${s.msg} |`),
  ].join('\n');

const DESCRIPTION = `Every method is \`POST /im/<method>\`; read-only methods also answer \`GET /im/<method>\`
with the parameters in the query string. Parameters come as a JSON body, an \`application/x-www-form-urlencoded\`
or \`multipart/form-data\` body or a query string, with the same names; numbers may come as strings and id lists
as \`"7,8,15"\` or a JSON array (a repeated form field is a list too). In a multipart body the logo may be the image
file itself; other multipart types are refused with HTTP 415, status 164. \`session_key\` names the caller (demo:
\`demo-session-1\` … \`demo-session-20\`).

Every reply is one JSON envelope: success is HTTP 200 with \`{"success": true, "status": 1, "msg": "成功", "data": {...}}\`;
a refusal is \`{"success": false, "status": <code>, "msg": "<readable>", "data": null}\` at the HTTP status of its
code (the table is under the \`Refusal\` schema). Money is an exact decimal string.

Every write (each method that is not read-only) takes an \`${IDEMPOTENCY_HEADER}\` header or \`${IDEMPOTENCY_PARAM}\`
parameter: within 24 hours a repeat with the same key and parameters gets the first reply (a refusal too, except
429 and 5xx, which free the key) and changes nothing.`;

/** Lists every named shape once, wherever in a reply it appears. */
function collectNamed(schema: unknown, into: Map<string, ReplySchema>): void {
  if (schema === null || typeof schema !== 'object') return;
  const named = definitionOf(schema as ReplySchema);
  if (named && !into.has(named.name)) {
    into.set(named.name, named.schema);
    collectNamed(named.schema, into);
  }
  for (const value of Object.values(schema)) collectNamed(value, into);
}

const REFUSAL = {
  type: 'object',
  description: `The envelope of every refusal. Status codes and their HTTP statuses:\n\n${statusTable()}\n\nA caller outside the group is answered status 58 with HTTP 403; a user a parameter names who is not in the group, status 58 with HTTP 404.`,
  properties: {
    success: { const: false },
    status: { type: 'integer', description: 'The app status code.' },
    msg: { type: 'string', description: 'Readable reason; never a trace.' },
    data: { type: 'null' },
  },
  required: ['success', 'status', 'msg', 'data'],
  additionalProperties: false,
};

const successEnvelope = (data: ReplySchema) => ({
  type: 'object',
  properties: {
    success: { const: true },
    status: { const: STATUS.OK.code },
    msg: { type: 'string', examples: [STATUS.OK.msg] },
    data,
  },
  required: ['success', 'status', 'msg', 'data'],
  additionalProperties: false,
});

function refusalResponse(statuses: readonly DocumentedStatus[], examples: MethodExamples | undefined): JsonObject {
  const codes = [...new Set(statuses.map((s) => s.code))];
  return {
    description: statuses.map((s) => `${s.code}: ${s.why}`).join('; '),
    content: {
      'application/json': {
        schema: {
          allOf: [{ $ref: '#/components/schemas/Refusal' }, { properties: { status: { enum: codes } } }],
        },
        examples: refusalExamples(examples, codes),
      },
    },
  };
}

function responses(def: MethodDef, examples: MethodExamples | undefined): JsonObject {
  const byHttp = new Map<number, DocumentedStatus[]>();
  for (const status of methodStatuses(def)) byHttp.set(status.http, [...(byHttp.get(status.http) ?? []), status]);
  const success = successExample(examples);
  const out: JsonObject = {
    '200': {
      description: 'Success.',
      content: { 'application/json': { schema: successEnvelope(def.reply), ...(success ? { example: success } : {}) } },
    },
  };
  for (const http of [...byHttp.keys()].sort((a, b) => a - b)) out[String(http)] = refusalResponse(byHttp.get(http)!, examples);
  return out;
}

const SESSION_NOTE = {
  required: 'Needs a session (`session_key`).',
  optional: 'A session (`session_key`) is optional; with one, each group carries the caller’s own view.',
  none: 'Needs no session.',
} as const;

function operation(name: MethodName, def: MethodDef, verb: 'post' | 'get', examples: MethodExamples | undefined): JsonObject {
  const session = def.session === 'none' ? undefined : sessionKey(def);
  const request = examples?.request;
  const common = {
    operationId: verb === 'post' ? name : `${name}_get`,
    tags: [tagOf(name)],
    summary: def.summary,
    description: `${SESSION_NOTE[def.session]}${def.readOnly ? ' Read-only: also answers GET with query parameters.' : ` Safe to retry with an \`${IDEMPOTENCY_HEADER}\`.`}`,
    responses: responses(def, examples),
  };
  if (verb === 'get') {
    return {
      ...common,
      parameters: [
        ...(session ? [{ name: 'session_key', in: 'query', required: def.session === 'required', schema: session }] : []),
        ...Object.entries(def.params).map(([param, f]) => {
          const schema = fieldSchema(f, 'text');
          return { name: param, in: 'query', required: mustBeSent(f), description: schema.description, schema };
        }),
      ].map((parameter) =>
        request?.[parameter.name] === undefined ? parameter : { ...parameter, example: asText(request)[parameter.name] },
      ),
    };
  }
  const anyRequired =
    def.session === 'required' || Object.values(def.params).some(mustBeSent) || (def.atLeastOne?.length ?? 0) > 0;
  const chain = {
    ...(session ? { session_key: session } : {}),
    ...(def.readOnly ? {} : { [IDEMPOTENCY_PARAM]: IDEMPOTENCY_KEY }),
  };
  const chainRequired = def.session === 'required' ? ['session_key'] : [];
  return {
    ...common,
    ...(def.readOnly ? {} : { parameters: [IDEMPOTENCY_HEADER_PARAMETER] }),
    requestBody: {
      required: anyRequired,
      content: {
        'application/json': {
          schema: bodySchema(def.params, 'json', chain, chainRequired, def.atLeastOne),
          ...(request ? { example: request } : {}),
        },
        'application/x-www-form-urlencoded': {
          schema: bodySchema(def.params, 'text', chain, chainRequired, def.atLeastOne),
          ...(request ? { example: asText(request) } : {}),
        },
        'multipart/form-data': {
          schema: bodySchema(def.params, 'multipart', chain, chainRequired),
          ...(request ? { example: asText(request) } : {}),
        },
      },
    },
  };
}

/** The OpenAPI 3.1 document of every `im/*` method, built from the method registry alone. */
export function openApiDocument(): JsonObject {
  const named = new Map<string, ReplySchema>();
  const paths: JsonObject = {};
  const examples = recordedExamples();
  for (const name of methodNames) {
    const def: MethodDef = METHODS[name];
    collectNamed(def.reply, named);
    paths[`/im/${name}`] = {
      post: operation(name, def, 'post', examples[name]),
      ...(def.readOnly ? { get: operation(name, def, 'get', examples[name]) } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'IM group service',
      version: API_VERSION,
      description: DESCRIPTION,
      license: { name: 'Proprietary; all rights reserved by the app’s operator' },
      contact: { name: 'IM group service maintainers' },
    },
    servers: [
      { url: '/', description: 'The server this document was read from.' },
      { url: 'http://127.0.0.1:3000', description: 'npm start (PORT overrides the port).' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'The deployed stack’s HTTP API.',
        variables: { apiId: { default: 'api-id' }, region: { default: 'us-east-1' } },
      },
    ],
    tags: TAGS.map(({ name, description }) => ({ name, description })),
    paths,
    components: {
      schemas: { Refusal: REFUSAL, ...Object.fromEntries([...named].sort(([a], [b]) => a.localeCompare(b))) },
    },
  };
}

/**
 * The document as openapi-typescript types it (`paths`, `operations`, `components`), for apps that
 * call the API through openapi-fetch. A development tool: imported only when asked for.
 */
export async function openApiTypes(document: JsonObject): Promise<string> {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const header = '// Generated by `npm run openapi` from docs/openapi.json with openapi-typescript; do not edit.\n';
  return header + astToString(await openapiTS(document as never));
}
