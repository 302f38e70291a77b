import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METHODS, type MethodName, methodNames } from '#shared/api/registry.ts';
import type { Field } from '#shared/api/schema.ts';
import { STATUS } from '#shared/errors.ts';
import type { TestDb } from '../support/db.ts';
import { httpEvent, lambdaContext, multipartForm } from '../support/events.ts';
import { changedKeys, type HttpHandler, scanTable, type seedWorld, useSeededWorld, validValue, wireOf } from './handler-world.ts';
import {
  invalidValue,
  malformedJson,
  missingSession,
  unknownKey,
  unknownSession,
  unknownValue,
  type Wire,
} from './invalid-values.ts';

/** Runs per method: 28 methods at this count take about half a minute on a loaded machine. */
const RUNS = 30;

const STATUS_CODES = new Set<number>(Object.values(STATUS).map((s) => s.code));

let db: TestDb;
let handlers: Map<MethodName, HttpHandler>;
let world: Awaited<ReturnType<typeof seedWorld>>;

useSeededWorld((file) => ({ db, handlers, world } = file));

/** The caller whose valid request would change something: the owner, an outsider for joins, the subscriber to renew. */
const callerOf = (name: MethodName) =>
  name === 'group_join' || name === 'group_pay_private' ? 's-4' : name === 'group_renew' ? 's-5' : 's-1';

type Breaker =
  | { kind: 'field'; name: string; value: Wire | undefined }
  | { kind: 'session'; value: Wire | undefined }
  | { kind: 'body'; body: string; typed: boolean; base64: boolean };

interface Case {
  breaker: Breaker;
  extras: [string, Wire][];
  encoding: 'json' | 'form' | 'multipart' | 'query';
  base64: boolean;
}

function caseOf(name: MethodName): fc.Arbitrary<Case> {
  const def = METHODS[name];
  const fields = Object.entries(def.params) as [string, Field][];
  const breakers: fc.Arbitrary<Breaker>[] = [
    fc
      .record({
        kind: fc.constant('body' as const),
        body: malformedJson,
        typed: fc.boolean(),
        base64: fc.boolean(),
      })
      .map((b) => ({ ...b, typed: b.typed || !b.body.trim().startsWith('{') })),
  ];
  if (fields.length > 0) {
    breakers.push(
      fc
        .constantFrom(...fields)
        .chain(([field, f]) => invalidValue(f).map((value): Breaker => ({ kind: 'field', name: field, value }))),
    );
  }
  if (def.session !== 'none') {
    const sessions = def.session === 'required' ? fc.oneof(unknownSession, missingSession) : unknownSession;
    breakers.push(sessions.map((value): Breaker => ({ kind: 'session', value })));
  }
  const known = new Set([...fields.map(([field]) => field), 'session_key']);
  return fc.record({
    breaker: fc.oneof(...breakers),
    extras: fc.uniqueArray(
      fc.tuple(
        unknownKey.filter((key) => !known.has(key)),
        unknownValue,
      ),
      { maxLength: 3, selector: ([key]) => key },
    ),
    encoding: fc.constantFrom('json', 'form', 'multipart', 'query'),
    base64: fc.boolean(),
  });
}

function eventOf(name: MethodName, c: Case) {
  const def = METHODS[name];
  const { breaker } = c;
  if (breaker.kind === 'body') {
    return httpEvent(name, {
      body: breaker.body,
      contentType: breaker.typed ? 'application/json' : undefined,
      base64: breaker.base64,
    });
  }
  const entries = new Map<string, Wire | undefined>();
  for (const [field, f] of Object.entries(def.params) as [string, Field][]) entries.set(field, validValue(world, field, f));
  entries.set('session_key', def.session === 'none' ? undefined : wireOf(callerOf(name)));
  for (const [key, value] of c.extras) entries.set(key, value);
  entries.set(breaker.kind === 'field' ? breaker.name : 'session_key', breaker.value);
  const present = [...entries].filter((entry): entry is [string, Wire] => entry[1] !== undefined);

  const asForm = c.encoding !== 'json' && present.every(([, value]) => value.form !== undefined);
  if (!asForm) {
    const body = `{${present.map(([key, value]) => `${JSON.stringify(key)}:${value.json}`).join(',')}}`;
    return httpEvent(name, { body, contentType: 'application/json', base64: c.base64 });
  }
  if (c.encoding === 'multipart') {
    // API Gateway hands a multipart body to the function base64-encoded.
    const { body, contentType } = multipartForm(present.flatMap(([key, value]) => value.form!.map((one) => [key, one] as const)));
    return httpEvent(name, { body, contentType, base64: true });
  }
  const form = new URLSearchParams();
  for (const [key, value] of present) for (const one of value.form!) form.append(key, one);
  if (c.encoding === 'query') return httpEvent(name, { query: form.toString(), verb: def.readOnly ? 'GET' : 'POST' });
  return httpEvent(name, { body: form.toString(), contentType: 'application/x-www-form-urlencoded', base64: c.base64 });
}

describe('every method refuses invalid input with a 4xx envelope and writes nothing', () => {
  it.each(methodNames)(
    '%s',
    async (name) => {
      const handler = handlers.get(name)!;
      const before = await scanTable(db);
      await fc.assert(
        fc.asyncProperty(caseOf(name), async (c) => {
          // Each call its own request id, as Lambda gives one: ids name the write transactions.
          const reply = await handler(eventOf(name, c), { ...lambdaContext, awsRequestId: randomUUID() });
          const body = JSON.parse(String(reply.body)) as { success: unknown; status: unknown; msg: unknown; data: unknown };
          expect(reply.statusCode, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
          expect(reply.statusCode, JSON.stringify(body)).toBeLessThan(500);
          expect(body.success).toBe(false);
          expect(STATUS_CODES.has(body.status as number), `status ${String(body.status)}`).toBe(true);
          expect(body.data).toBeNull();
          expect(typeof body.msg).toBe('string');
        }),
        { numRuns: RUNS },
      );
      expect(changedKeys(before, await scanTable(db))).toEqual([]);
    },
    60_000,
  );
});
