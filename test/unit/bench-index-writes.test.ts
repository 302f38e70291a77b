import { describe, expect, it } from 'vitest';
import { callIndexWrites, indexWriteUnits, keyId, writtenKeys } from '../bench/index-writes.ts';

const group = { pk: 'G#1', sk: 'META', hotpk: 'HOT#1', hotsk: 5000, name: 'g', admins: new Set([2]) };
const member = { pk: 'G#1', sk: 'M#2', gsi1pk: 'U#2', gsi1sk: 'G#1', role: 'member' };

describe('the bench’s pricing of index writes', () => {
  it('charges an item entering an index its size, leaving it one unit, and an unindexed item nothing', () => {
    expect(indexWriteUnits(undefined, member)).toBe(1);
    expect(indexWriteUnits(undefined, { ...member, blob: 'x'.repeat(1500) })).toBe(2);
    expect(indexWriteUnits(member, undefined)).toBe(1);
    expect(indexWriteUnits(undefined, { pk: 'G#1', sk: 'E#1', op: 'Create' })).toBe(0);
  });

  it('charges a changed key both, a change in place its size, and an unchanged item nothing', () => {
    expect(indexWriteUnits(group, { ...group, hotsk: 6000 })).toBe(2);
    expect(indexWriteUnits(group, { ...group, name: 'h' })).toBe(1);
    expect(indexWriteUnits(group, { ...group })).toBe(0);
    // The same attributes in another order, and a set of the same size with another member.
    expect(indexWriteUnits(group, { admins: new Set([2]), name: 'g', hotsk: 5000, hotpk: 'HOT#1', sk: 'META', pk: 'G#1' })).toBe(
      0,
    );
    expect(indexWriteUnits(group, { ...group, admins: new Set([3]) })).toBe(1);
  });

  it('prices every item a call wrote, once each, from the table before and the items after', () => {
    const calls = [
      {
        command: 'TransactWriteCommand',
        roundTrip: 1,
        input: {
          TransactItems: [
            { Update: { Key: { pk: 'G#1', sk: 'META' } } },
            { ConditionCheck: { Key: { pk: 'G#1', sk: 'B#3' } } },
            { Put: { Item: { pk: 'G#1', sk: 'M#3' } } },
            { Delete: { Key: { pk: 'G#1', sk: 'M#2' } } },
          ],
        },
        output: {},
      },
      { command: 'UpdateCommand', roundTrip: 2, input: { Key: { pk: 'G#1', sk: 'META' } }, output: {} },
    ];
    const keys = writtenKeys(calls);
    expect(keys.map(keyId)).toEqual(['G#1\u0000META', 'G#1\u0000M#3', 'G#1\u0000M#2']);
    const newMember = { ...member, sk: 'M#3', gsi1pk: 'U#3' };
    const after = new Map<string, Record<string, unknown> | undefined>([
      [keyId({ pk: 'G#1', sk: 'META' }), { ...group, hotsk: 5000, name: 'renamed' }],
      [keyId({ pk: 'G#1', sk: 'M#3' }), newMember],
      [keyId({ pk: 'G#1', sk: 'M#2' }), undefined],
    ]);
    // The group rewritten in place (1), one member in (1), one out (1); the ban check writes nothing.
    expect(callIndexWrites(keys, [group, member], after)).toBe(3);
  });
});
