import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root: registry entries such as `functions/im/<name>.ts` are relative to it. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

export const fromRoot = (path: string) => (isAbsolute(path) ? path : resolve(PROJECT_ROOT, path));

/** An importable URL for a project file, so a dynamic import does not depend on the caller's folder. */
export const moduleUrl = (path: string) => pathToFileURL(fromRoot(path)).href;
