import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '#infra/constructs/im-function.ts';
import { EXAMPLES_FILE, type MethodExamples } from '#shared/api/openapi/examples.ts';
import type { SeenReply } from '../support/local-runtime.ts';

type JsonObject = Record<string, unknown>;

/**
 * The examples of the API document, from what a tour sent and received: per method, the parameters
 * of a successful call (sent as JSON where there was one) and the first reply of each outcome (the
 * success and each refusal status).
 */
export function examplesFrom(replies: readonly SeenReply[]): Record<string, MethodExamples> {
  const methods = [...new Set(replies.map((reply) => reply.method))].sort();
  return Object.fromEntries(
    methods.map((method) => {
      const mine = replies.filter((reply) => reply.method === method);
      const bodyOf = (reply: SeenReply) => reply.body as JsonObject;
      const sent = mine.filter((reply) => bodyOf(reply).success === true && reply.params);
      const request = (sent.find((reply) => reply.as === 'json') ?? sent[0])?.params as JsonObject | undefined;
      const outcomes = new Map<string, JsonObject>();
      for (const reply of mine) {
        const key = `${bodyOf(reply).success}/${bodyOf(reply).status}`;
        if (!outcomes.has(key)) outcomes.set(key, bodyOf(reply));
      }
      return [method, { ...(request ? { request } : {}), replies: [...outcomes.values()] }];
    }),
  );
}

export function writeExamples(replies: readonly SeenReply[]): void {
  writeFileSync(path.join(PROJECT_ROOT, EXAMPLES_FILE), `${JSON.stringify(examplesFrom(replies), null, 2)}\n`);
}
