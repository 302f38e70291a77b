import type { Metafile } from 'esbuild';

/**
 * Where a bundle's bytes come from, from esbuild's metafile: the project's own modules, the
 * document client (`@aws-sdk/lib-dynamodb` with the `@aws-sdk/util-dynamodb` it marshals with),
 * middy, and every other package (the DynamoDB client and the SDK runtime under it).
 */
export interface Origins {
  own: number;
  documentClient: number;
  middy: number;
  sdk: number;
}

type Inputs = Metafile['outputs'][string]['inputs'];

const DOCUMENT_CLIENT = new Set(['@aws-sdk/lib-dynamodb', '@aws-sdk/util-dynamodb']);
const NODE_MODULES = 'node_modules/';

/** The package a module belongs to (`@scope/name` or `name`), or undefined for the project's own. */
export function packageOf(path: string): string | undefined {
  const at = path.lastIndexOf(NODE_MODULES);
  if (at < 0) return undefined;
  const [first, second] = path.slice(at + NODE_MODULES.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
}

export function bytesByOrigin(inputs: Inputs): Origins {
  const origins: Origins = { own: 0, documentClient: 0, middy: 0, sdk: 0 };
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const name = packageOf(path);
    const origin: keyof Origins =
      name === undefined ? 'own' : DOCUMENT_CLIENT.has(name) ? 'documentClient' : name.startsWith('@middy/') ? 'middy' : 'sdk';
    origins[origin] += bytesInOutput;
  }
  return origins;
}

/**
 * What a function carries beyond the floor: the floor is the DynamoDB client and a few lines, so
 * the function's own code, the document client and middy count whole, and of the other packages
 * what the floor does not already hold.
 */
export const beyondFloor = (fn: Origins, floor: Origins): Origins => ({ ...fn, sdk: fn.sdk - floor.sdk });

/** Each output's inputs by its entry's name (`<outdir>/<name>.mjs`). */
export function inputsByEntry(metafile: Metafile): Map<string, Inputs> {
  return new Map(
    Object.entries(metafile.outputs).flatMap(([file, output]) => {
      const name = /([^/]+)\.mjs$/.exec(file)?.[1];
      return name === undefined ? [] : [[name, output.inputs] as const];
    }),
  );
}
