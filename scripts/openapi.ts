import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { OPENAPI_FILE, openApiDocument } from '#shared/api/openapi/document.ts';

/**
 * Writes the OpenAPI document built from the method registry, in the project's own JSON format so
 * `biome check` passes on it; `npm test` fails while the committed file differs from the registry.
 */
const root = path.resolve(import.meta.dirname, '..');
const target = path.join(root, OPENAPI_FILE);
writeFileSync(target, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
execFileSync(path.join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', target], { cwd: root, stdio: 'ignore' });
console.log(`wrote ${OPENAPI_FILE}`);
