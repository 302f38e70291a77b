import { existsSync, readFileSync } from 'node:fs';
import { STATUS } from '#shared/errors.ts';

type JsonObject = Record<string, unknown>;

/** Where the examples recorded by the documented-replies tour are committed (`npm run openapi:examples`). */
export const EXAMPLES_FILE = 'docs/openapi-examples.json';

/** One method's recorded example: the parameters a successful call sent, and the replies seen. */
export interface MethodExamples {
  readonly request?: JsonObject;
  readonly replies: readonly JsonObject[];
}

export type RecordedExamples = Readonly<Record<string, MethodExamples>>;

let loaded: RecordedExamples | undefined;

/** The committed examples; none before the first recording. */
export function recordedExamples(): RecordedExamples {
  const file = new URL(`../../../${EXAMPLES_FILE}`, import.meta.url);
  loaded ??= existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RecordedExamples) : {};
  return loaded;
}

/** A refusal as the service answers it with its default message, for a status the tour never met. */
const refusalOf = (code: number): JsonObject => {
  const entry = Object.values(STATUS).find((s) => s.code === code);
  return { success: false, status: code, msg: entry?.msg ?? 'refused', data: null };
};

/** The success reply the tour saw for this method, if any. */
export const successExample = (examples: MethodExamples | undefined) => examples?.replies.find((reply) => reply.success === true);

/** One example per status code documented under an HTTP status: seen on the tour where it was, else built. */
export function refusalExamples(examples: MethodExamples | undefined, codes: readonly number[]): JsonObject {
  return Object.fromEntries(
    codes.map((code) => {
      const seen = examples?.replies.find((reply) => reply.success === false && reply.status === code);
      const value = seen ?? refusalOf(code);
      return [`status ${code}`, { summary: String(value.msg), value }];
    }),
  );
}

/** A JSON body's example as a form or a query string carries it: id lists comma-separated, the rest as it is typed. */
export const asText = (params: JsonObject): JsonObject =>
  Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
