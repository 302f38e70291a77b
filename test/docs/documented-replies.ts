import { Ajv2020 } from 'ajv/dist/2020.js';
import { openApiDocument } from '#shared/api/openapi/document.ts';
import type { SeenReply } from '../support/local-runtime.ts';

const DOCUMENT_ID = 'im-openapi.json';

type Responses = Record<string, unknown>;
type Paths = Record<string, Record<string, { responses: Responses } | undefined> | undefined>;

const pointer = (...parts: string[]) => parts.map((part) => part.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/**
 * Checks replies against the OpenAPI document itself: the HTTP status must be one the operation
 * documents, and the body must match that response's schema (for a refusal, that includes the
 * status codes documented under that HTTP status).
 */
export function replyChecker() {
  const document = openApiDocument();
  const paths = document.paths as Paths;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, DOCUMENT_ID);

  return (reply: SeenReply): string | undefined => {
    const where = `${reply.verb} /im/${reply.method} → HTTP ${reply.http}`;
    const operation = paths[`/im/${reply.method}`]?.[reply.verb.toLowerCase()];
    if (!operation) return `${where}: no such documented operation`;
    if (!(String(reply.http) in operation.responses)) {
      return `${where}: HTTP ${reply.http} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`;
    }
    const ref = `${DOCUMENT_ID}#/${pointer('paths', `/im/${reply.method}`, reply.verb.toLowerCase(), 'responses', String(reply.http), 'content', 'application/json', 'schema')}`;
    const validate = ajv.getSchema(ref);
    if (!validate) return `${where}: no schema at ${ref}`;
    if (validate(reply.body)) return undefined;
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    return `${where}: ${JSON.stringify(reply.body).slice(0, 300)} does not match: ${errors}`;
  };
}
