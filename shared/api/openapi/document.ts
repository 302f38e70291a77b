import type { MethodDef } from '#shared/api/method-def.ts';
import { groupMethods } from '#shared/api/methods/groups.ts';
import { managementMethods } from '#shared/api/methods/management.ts';
import { walletMethods } from '#shared/api/methods/wallet.ts';
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
export const SESSION_SCHEME = 'sessionKey';

const TAGS: readonly { name: string; description: string; methods: readonly string[] }[] = [
  { name: 'Groups', description: 'Creating and reading groups.', methods: Object.keys(groupMethods) },
  {
    name: 'Management',
    description: 'Owner, admin and member management, dismissal, search and the hot list.',
    methods: Object.keys(managementMethods),
  },
  {
    name: 'Joining and wallet',
    description: 'Prices, joining, join requests, paid private chat and the caller’s wallet.',
    methods: Object.keys(walletMethods),
  },
];

const tagOf = (name: MethodName) => TAGS.find((tag) => tag.methods.includes(name))?.name ?? 'Other';

const SESSION_KEY = {
  type: 'string',
  maxLength: MAX_SESSION_KEY_LENGTH,
  description: 'The caller’s session; may also come in the query string.',
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
code (the table is under the \`Refusal\` schema). Money is an exact decimal string.`;

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

function refusalResponse(statuses: readonly DocumentedStatus[]): JsonObject {
  return {
    description: statuses.map((s) => `${s.code}: ${s.why}`).join('; '),
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Refusal' },
            { properties: { status: { enum: [...new Set(statuses.map((s) => s.code))] } } },
          ],
        },
      },
    },
  };
}

function responses(def: MethodDef): JsonObject {
  const byHttp = new Map<number, DocumentedStatus[]>();
  for (const status of methodStatuses(def)) byHttp.set(status.http, [...(byHttp.get(status.http) ?? []), status]);
  const out: JsonObject = {
    '200': { description: 'Success.', content: { 'application/json': { schema: successEnvelope(def.reply) } } },
  };
  for (const http of [...byHttp.keys()].sort((a, b) => a - b)) out[String(http)] = refusalResponse(byHttp.get(http)!);
  return out;
}

const SESSION_NOTE = {
  required: 'Needs a session (`session_key`).',
  optional: 'A session (`session_key`) is optional; with one, each group carries the caller’s own view.',
  none: 'Needs no session.',
} as const;

function security(def: MethodDef): JsonObject {
  if (def.session === 'none') return { security: [] };
  return { security: def.session === 'required' ? [{ [SESSION_SCHEME]: [] }] : [{ [SESSION_SCHEME]: [] }, {}] };
}

function operation(name: MethodName, def: MethodDef, verb: 'post' | 'get'): JsonObject {
  const session = def.session === 'none' ? undefined : SESSION_KEY;
  const common = {
    operationId: verb === 'post' ? name : `${name}_get`,
    tags: [tagOf(name)],
    summary: def.summary,
    description: `${SESSION_NOTE[def.session]}${def.readOnly ? ' Read-only: also answers GET with query parameters.' : ''}`,
    ...security(def),
    responses: responses(def),
  };
  if (verb === 'get') {
    return {
      ...common,
      parameters: Object.entries(def.params).map(([param, f]) => {
        const schema = fieldSchema(f, 'text');
        return { name: param, in: 'query', required: mustBeSent(f), description: schema.description, schema };
      }),
    };
  }
  const anyRequired = Object.values(def.params).some(mustBeSent);
  return {
    ...common,
    requestBody: {
      required: anyRequired,
      content: {
        'application/json': { schema: bodySchema(def.params, 'json', session) },
        'application/x-www-form-urlencoded': { schema: bodySchema(def.params, 'text', session) },
        'multipart/form-data': { schema: bodySchema(def.params, 'multipart', session) },
      },
    },
  };
}

/** The OpenAPI 3.1 document of every `im/*` method, built from the method registry alone. */
export function openApiDocument(): JsonObject {
  const named = new Map<string, ReplySchema>();
  const paths: JsonObject = {};
  for (const name of methodNames) {
    const def: MethodDef = METHODS[name];
    collectNamed(def.reply, named);
    paths[`/im/${name}`] = {
      post: operation(name, def, 'post'),
      ...(def.readOnly ? { get: operation(name, def, 'get') } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'IM group service', version: API_VERSION, description: DESCRIPTION },
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
      securitySchemes: {
        [SESSION_SCHEME]: {
          type: 'apiKey',
          in: 'query',
          name: 'session_key',
          description: 'The caller’s session key; it may equally travel as a body field. Demo: demo-session-1 … demo-session-20.',
        },
      },
    },
  };
}
