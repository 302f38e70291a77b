import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENCY_PARAM } from '#shared/api/idempotency-key.ts';
import { DEMO_SESSION, OPENAPI_FILE, OPENAPI_TYPES_FILE, openApiDocument, openApiTypes } from '#shared/api/openapi/document.ts';
import { METHODS, methodNames } from '#shared/api/registry.ts';
import { methodStatuses } from '#shared/api/reply-statuses.ts';
import type { Field } from '#shared/api/schema.ts';
import { mustBeSent } from '#shared/api/schema.ts';
import { STATUS } from '#shared/errors.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON, each assertion names what it reads
type Json = Record<string, any>;

/** As it is served and committed: JSON, so nothing but JSON is compared. */
const document = JSON.parse(JSON.stringify(openApiDocument())) as Json;
const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The limits a field's schema must carry, whichever way the parameter travels. */
function expectLimits(name: string, f: Field, schema: Json) {
  const variants: Json[] = schema.anyOf ?? [schema];
  const keyword = (key: string) => variants.map((variant) => variant[key]).find((value) => value !== undefined);
  expect(schema.description, name).toContain(f.doc);
  if (f.type === 'int') {
    expect([keyword('minimum'), keyword('maximum')], name).toEqual([f.min, f.max]);
    if (f.default !== undefined) expect(schema.default, name).toBe(f.default);
  }
  if (f.type === 'string') {
    expect(keyword('maxLength'), name).toBe(f.maxLength);
    expect(keyword('minLength'), name).toBe(f.minLength);
  }
  if (f.type === 'ids') expect(schema.description, name).toContain(`At most ${f.maxItems} ids`);
  expect(schema.description, name).toContain(`Malformed: status ${(f.invalid ?? STATUS.BAD_PARAM).code}.`);
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.1\./);
  });

  it('is committed as generated: npm run openapi has been run since the registry last changed', () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, OPENAPI_FILE), 'utf8'));
    expect(committed).toEqual(document);
  });

  it('has its openapi-typescript types committed as generated, for openapi-fetch clients', async () => {
    const generated = execFileSync(
      path.join(ROOT, 'node_modules', '.bin', 'biome'),
      ['format', `--stdin-file-path=${OPENAPI_TYPES_FILE}`],
      {
        cwd: ROOT,
        input: await openApiTypes(document),
        encoding: 'utf8',
      },
    );
    expect(readFileSync(path.join(ROOT, OPENAPI_TYPES_FILE), 'utf8')).toBe(generated);
  });

  it('gives every request body, query parameter and reply an example that its own schema accepts', () => {
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema(document, 'doc');
    const at = (...parts: string[]) => `doc#/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
    const checked: string[] = [];
    const check = (where: string, schemaRef: string, value: unknown) => {
      const validate = ajv.getSchema(schemaRef);
      expect(validate, where).toBeDefined();
      expect(validate!(value), `${where}: ${JSON.stringify(validate!.errors)}`).toBe(true);
      checked.push(where);
    };
    for (const [route, item] of Object.entries(document.paths as Record<string, Json>)) {
      for (const [verb, op] of Object.entries(item as Record<string, Json>)) {
        for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>)) {
          expect(media.example, `${verb} ${route} ${type}`).toBeDefined();
          check(`${verb} ${route} ${type}`, at('paths', route, verb, 'requestBody', 'content', type, 'schema'), media.example);
        }
        for (const [http, response] of Object.entries(op.responses as Record<string, Json>)) {
          const media = response.content['application/json'];
          const values = media.examples
            ? Object.values(media.examples as Record<string, Json>).map((e) => e.value)
            : [media.example];
          expect(values.length, `${verb} ${route} ${http}`).toBeGreaterThan(0);
          const schema = at('paths', route, verb, 'responses', http, 'content', 'application/json', 'schema');
          for (const value of values) check(`${verb} ${route} ${http} ${JSON.stringify(value).slice(0, 60)}`, schema, value);
          if (media.examples)
            expect(Object.keys(media.examples).sort()).toEqual(
              media.schema.allOf[1].properties.status.enum.map((c: number) => `status ${c}`).sort(),
            );
        }
      }
    }
    expect(checked.length).toBeGreaterThan(300);
  });

  it('documents exactly the registry’s methods, POST for each and GET for the read-only ones', () => {
    expect(Object.keys(document.paths).sort()).toEqual(methodNames.map((name) => `/im/${name}`).sort());
    for (const name of methodNames) {
      const item = document.paths[`/im/${name}`];
      expect(Object.keys(item).sort(), name).toEqual(METHODS[name].readOnly ? ['get', 'post'] : ['post']);
    }
  });

  it.each(methodNames)('documents %s’s parameters in JSON, form and multipart bodies and, when read-only, the query', (name) => {
    const def = METHODS[name];
    const post = document.paths[`/im/${name}`].post;
    const required = Object.entries(def.params)
      .filter(([, f]) => mustBeSent(f))
      .map(([param]) => param)
      .sort();
    const paramNames = Object.keys(def.params).sort();
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const body = post.requestBody.content[type].schema;
      const chain = [...(def.session === 'none' ? [] : ['session_key']), ...(def.readOnly ? [] : [IDEMPOTENCY_PARAM])];
      const expectedProps = [...paramNames, ...chain].sort();
      expect(Object.keys(body.properties).sort(), `${name} ${type}`).toEqual(expectedProps);
      const requiredWithSession = def.session === 'required' ? [...required, 'session_key'].sort() : required;
      expect((body.required ?? []).sort(), `${name} ${type}`).toEqual(requiredWithSession);
      for (const [param, f] of Object.entries(def.params) as [string, Field][]) {
        const schema = body.properties[param];
        // A multipart body sends a file field's file itself.
        if (type === 'multipart/form-data' && f.type === 'string' && f.file) {
          expect(schema, `${name}.${param} ${type}`).toMatchObject({ type: 'string', format: 'binary' });
          expect(schema.description).toContain(f.doc);
        } else expectLimits(`${name}.${param} ${type}`, f, schema);
      }
      if (def.session !== 'none') expect(body.properties.session_key.maxLength).toBe(55);
    }
    expect(post.requestBody.required).toBe(required.length > 0 || def.session === 'required');
    if (def.readOnly) {
      const query = (document.paths[`/im/${name}`].get.parameters as Json[]).filter((p) => p.name !== 'session_key');
      expect(query.map((p) => p.name).sort()).toEqual(paramNames);
      for (const p of query) {
        expect(p.in).toBe('query');
        expect(p.required, `${name}.${p.name}`).toBe(required.includes(p.name));
        expectLimits(`${name}.${p.name} query`, def.params[p.name as keyof typeof def.params] as Field, p.schema);
      }
    }
  });

  it.each(methodNames)(
    'documents %s’s session_key where it is really sent: a body field and, for GET, a query parameter',
    (name) => {
      const { session } = METHODS[name];
      const path = document.paths[`/im/${name}`];
      for (const op of Object.values(path) as Json[]) expect(op.security).toBeUndefined();
      for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
        const body = path.post.requestBody.content[type].schema;
        if (session === 'none') expect(body.properties.session_key).toBeUndefined();
        else expect(body.properties.session_key).toMatchObject({ type: 'string', examples: [DEMO_SESSION] });
        expect((body.required ?? []).includes('session_key'), `${name} ${type}`).toBe(session === 'required');
      }
      if (path.get) {
        const query = (path.get.parameters as Json[]).find((p) => p.name === 'session_key');
        if (session === 'none') expect(query).toBeUndefined();
        else expect(query).toMatchObject({ in: 'query', required: session === 'required', schema: { examples: [DEMO_SESSION] } });
      }
      expect(document.components.securitySchemes).toBeUndefined();
      expect(document.info).toMatchObject({ license: { name: expect.any(String) }, contact: { name: expect.any(String) } });
    },
  );

  it.each(methodNames)('documents the Idempotency-Key of %s when it is a write', (name) => {
    const post = document.paths[`/im/${name}`].post;
    const headers = ((post.parameters ?? []) as Json[]).filter((p) => p.in === 'header').map((p) => p.name);
    expect(headers).toEqual(METHODS[name].readOnly ? [] : [IDEMPOTENCY_HEADER]);
    if (METHODS[name].readOnly) return;
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      expect(post.requestBody.content[type].schema.properties[IDEMPOTENCY_PARAM].pattern).toBe(IDEMPOTENCY_KEY_PATTERN);
    }
    const conflicts = post.responses['409'].content['application/json'].schema.allOf[1].properties.status.enum;
    expect(conflicts).toEqual(expect.arrayContaining([STATUS.IDEMPOTENCY_KEY_REUSED.code, STATUS.IDEMPOTENCY_KEY_BUSY.code]));
  });

  it.each(methodNames)('documents %s’s success reply and every status it can answer at its HTTP status', (name) => {
    const def = METHODS[name];
    for (const op of Object.values(document.paths[`/im/${name}`]) as Json[]) {
      const success = op.responses['200'].content['application/json'].schema;
      expect(success.properties.data).toEqual(JSON.parse(JSON.stringify(def.reply)));
      const documented = Object.entries(op.responses)
        .filter(([http]) => http !== '200')
        .flatMap(([http, response]) =>
          ((response as Json).content['application/json'].schema.allOf[1].properties.status.enum as number[]).map(
            (code) => `${code}/${http}`,
          ),
        );
      const declared = methodStatuses(def).map((s) => `${s.code}/${s.http}`);
      expect(documented.sort()).toEqual([...new Set(declared)].sort());
      for (const refusal of def.refusals) {
        const { code, http } = typeof refusal === 'string' ? STATUS[refusal] : { ...STATUS[refusal.name], ...refusal };
        expect(documented, `${name} ${code}/${http}`).toContain(`${code}/${http}`);
      }
    }
  });

  it('defines every shape a reply refers to', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) expect(document.components.schemas, ref).toHaveProperty(ref as string);
  });
});
