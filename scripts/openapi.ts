import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OPENAPI_FILE, OPENAPI_TYPES_FILE, openApiDocument, openApiTypes } from '#shared/api/openapi/document.ts';
import { EXAMPLES_FILE } from '#shared/api/openapi/examples.ts';

/**
 * Writes the OpenAPI document built from the method registry (with the examples `npm run
 * openapi:examples` recorded from the documented-replies tour) and the TypeScript types
 * openapi-typescript makes of it (what an app's openapi-fetch client imports), both in the
 * project's own format so `biome check` passes on them; `npm test` fails while either differs
 * from what the registry gives.
 */
const root = path.resolve(import.meta.dirname, '..');
const document = openApiDocument();
const targets = [
  [OPENAPI_FILE, `${JSON.stringify(document, null, 2)}\n`],
  [OPENAPI_TYPES_FILE, await openApiTypes(document)],
] as const;
for (const [file, text] of targets) writeFileSync(path.join(root, file), text);
// The recorded examples, written by the tour, are formatted here too.
const examples = existsSync(path.join(root, EXAMPLES_FILE)) ? [EXAMPLES_FILE] : [];
execFileSync(
  path.join(root, 'node_modules', '.bin', 'biome'),
  ['format', '--write', ...targets.map(([file]) => file), ...examples],
  {
    cwd: root,
    stdio: 'ignore',
  },
);
for (const [file] of targets) console.log(`wrote ${file}`);
