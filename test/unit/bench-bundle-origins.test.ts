import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { beyondFloor, bytesByOrigin, inputsByEntry, packageOf } from '../bench/bundle-origins.ts';
import type { BundleRow, BundlesResult } from '../bench/bundles.ts';
import { bundleOriginsSection } from '../bench/report-bundles.ts';

const input = (bytesInOutput: number) => ({ bytesInOutput });

describe('where the bench says a bundle’s bytes come from', () => {
  it('names the package of a module, scoped or not, nested or not, and none for the project’s own', () => {
    expect(packageOf('node_modules/@aws-sdk/lib-dynamodb/dist-es/index.js')).toBe('@aws-sdk/lib-dynamodb');
    expect(packageOf('node_modules/tslib/tslib.es6.mjs')).toBe('tslib');
    expect(packageOf('node_modules/@aws-sdk/core/node_modules/@smithy/core/dist-es/a.js')).toBe('@smithy/core');
    expect(packageOf('shared/joins/join.ts')).toBeUndefined();
  });

  it('sums the bytes each origin puts in the output', () => {
    const origins = bytesByOrigin({
      'functions/im/group_join.ts': input(100),
      'shared/joins/join.ts': input(5_000),
      'node_modules/@aws-sdk/lib-dynamodb/dist-es/commands/GetCommand.js': input(300),
      'node_modules/@aws-sdk/util-dynamodb/dist-es/marshall.js': input(200),
      'node_modules/@middy/core/index.js': input(2_600),
      'node_modules/@aws-sdk/client-dynamodb/dist-es/schemas/schemas_0.js': input(40_000),
      'node_modules/@smithy/core/dist-es/index.js': input(9_000),
    });
    expect(origins).toEqual({ own: 5_100, documentClient: 500, middy: 2_600, sdk: 49_000 });
  });

  it('counts beyond the floor the SDK the floor does not already hold, and the rest whole', () => {
    const floor = { own: 200, documentClient: 0, middy: 0, sdk: 40_000 };
    const fn = { own: 5_100, documentClient: 500, middy: 2_600, sdk: 44_500 };
    expect(beyondFloor(fn, floor)).toEqual({ own: 5_100, documentClient: 500, middy: 2_600, sdk: 4_500 });
  });

  it('finds each entry’s inputs by its output file', () => {
    const metafile = {
      inputs: {},
      outputs: {
        '../../tmp/bench/bundles/group_join.mjs': {
          bytes: 9,
          inputs: { 'a.ts': { bytesInOutput: 9 } },
          imports: [],
          exports: [],
        },
        '../../tmp/bench/bundles/floor.mjs': { bytes: 4, inputs: { 'b.ts': { bytesInOutput: 4 } }, imports: [], exports: [] },
      },
    } as unknown as Metafile;
    const byEntry = inputsByEntry(metafile);
    expect([...byEntry.keys()].sort()).toEqual(['floor', 'group_join']);
    expect(byEntry.get('group_join')).toEqual({ 'a.ts': { bytesInOutput: 9 } });
  });

  it('reports the functions above the target, and those whose own code alone is above its allowance', () => {
    const floorBytes = 100_000;
    const row = (name: string, bytes: number, own: number) =>
      ({
        name,
        bytes,
        bytesRatio: bytes / floorBytes,
        beyondFloor: { own, documentClient: 12_000, middy: 2_600, sdk: 4_000 },
      }) as BundleRow;
    const bundles = {
      floor: { bytes: floorBytes },
      rows: [row('wallet_balance', 110_000, 1_000), row('group_refund', 116_000, 9_000), row('group_join', 121_000, 16_000)],
    } as BundlesResult;
    const section = bundleOriginsSection(bundles);
    expect(section).toContain('may carry 14.6 KB beyond it');
    expect(section).toContain('2 of\n3 functions (`group_join`, `group_refund`)');
    expect(section).toContain('before any package, in `group_join`.');
    expect(section).toContain('| `wallet_balance` | 9.8 KB | 1.0 KB | 11.7 KB | 2.5 KB | 3.9 KB | yes |');
  });
});
