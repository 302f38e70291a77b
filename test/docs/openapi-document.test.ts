import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiDocument, SESSION_SCHEME } from '#shared/api/openapi/document.ts';
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
  expect(schema.description, name).toContain(`Malformed: status ${STATUS[f.invalid ?? 'BAD_PARAM'].code}.`);
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
      const expectedProps = def.session === 'none' ? paramNames : [...paramNames, 'session_key'].sort();
      expect(Object.keys(body.properties).sort(), `${name} ${type}`).toEqual(expectedProps);
      expect((body.required ?? []).sort(), `${name} ${type}`).toEqual(required);
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
    expect(post.requestBody.required).toBe(required.length > 0);
    if (def.readOnly) {
      const query = document.paths[`/im/${name}`].get.parameters as Json[];
      expect(query.map((p) => p.name).sort()).toEqual(paramNames);
      for (const p of query) {
        expect(p.in).toBe('query');
        expect(p.required, `${name}.${p.name}`).toBe(required.includes(p.name));
        expectLimits(`${name}.${p.name} query`, def.params[p.name as keyof typeof def.params] as Field, p.schema);
      }
    }
  });

  it.each(methodNames)('documents how %s is called with a session', (name) => {
    const { session } = METHODS[name];
    for (const op of Object.values(document.paths[`/im/${name}`]) as Json[]) {
      const expected = { required: [{ [SESSION_SCHEME]: [] }], optional: [{ [SESSION_SCHEME]: [] }, {}], none: [] }[session];
      expect(op.security).toEqual(expected);
    }
    expect(document.components.securitySchemes[SESSION_SCHEME]).toMatchObject({ type: 'apiKey', name: 'session_key' });
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
