import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * No module imports itself back through others, type-only imports included: a cycle is a sign
 * that a piece belongs in a module of its own.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const FOLDERS = ['shared', 'functions', 'infra'];
const ALIASES: Record<string, string> = { '#shared/': 'shared/', '#functions/': 'functions/', '#infra/': 'infra/' };

function sources(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(folder, file));
}

/** The project files a module imports, as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
  return specifiers.flatMap((spec) => {
    const alias = Object.keys(ALIASES).find((prefix) => spec.startsWith(prefix));
    if (alias) return [ALIASES[alias] + spec.slice(alias.length)];
    if (spec.startsWith('.')) return [path.join(path.dirname(file), spec)];
    return [];
  });
}

function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') return void found.push([...trail.slice(trail.indexOf(file)), file]);
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}

describe('module imports', () => {
  it('form no cycles in shared/, functions/ and infra/', () => {
    const files = FOLDERS.flatMap(sources);
    expect(files.length).toBeGreaterThan(100);
    expect(importsOf('shared/http/method.ts')).toContain('shared/api/registry.ts');
    expect(cycles(new Map(files.map((file) => [file, importsOf(file)])))).toEqual([]);
  });

  it('finds a cycle however long', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'a']]);
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c', 'a']]);
    expect(
      cycles(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
  });
});
