import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setDnd, setMemo, setName } from '#shared/groups/settings.ts';
import { setConsensus, setPrice, setPrivatePrice } from '#shared/groups/terms.ts';
import { ETH, eventsOf, group, metaOf, USDT, users, world } from './wallet-fixtures.ts';

let db: Awaited<ReturnType<typeof world>>;

beforeAll(async () => {
  db = await world();
  await users(db, [1, 2], { pwd: null });
});
afterAll(() => db.drop());

const ops = async (groupId: number) => (await eventsOf(db, groupId)).map((e) => e.op).filter((op) => op !== 'Create');

describe('setting a value to what it already is', () => {
  it('writes nothing and announces nothing, for every setting, and answers with the group as it is', async () => {
    const gid = await group(db, 1, [2]);
    await setPrice(db, { ownerId: 1, groupId: gid, price: '2.5', coinId: USDT });
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '1' });
    await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '0.5' });
    await setName(db, gid, 1, 'Traders');
    await setMemo(db, gid, 1, 'rules');
    await setDnd(db, gid, 2, 1);
    const once = await ops(gid);
    expect(once).toEqual(['SetPrice', 'SetConsensus', 'SetPrivate', 'Rename', 'Bulletin', 'SetDnd']);
    const meta = await metaOf(db, gid);

    const again = await setPrice(db, { ownerId: 1, groupId: gid, price: '2.500', coinId: USDT });
    expect(again.group_info).toMatchObject({ price: '2.5', coin_id: USDT });
    await setConsensus(db, { ownerId: 1, groupId: gid, coinId: ETH, value: '1.0' });
    await setPrivatePrice(db, { ownerId: 1, groupId: gid, price: '0.5', coinId: USDT });
    await setName(db, gid, 1, 'Traders');
    await setMemo(db, gid, 1, 'rules');
    await setDnd(db, gid, 2, 1);
    expect(await ops(gid)).toEqual(once);
    expect(await metaOf(db, gid)).toEqual(meta);

    await setPrice(db, { ownerId: 1, groupId: gid, price: '3', coinId: USDT });
    expect(await ops(gid)).toEqual([...once, 'SetPrice']);
  });

  it('still writes a free price in another coin: the group’s coin changes', async () => {
    const gid = await group(db, 1);
    await setPrice(db, { ownerId: 1, groupId: gid, price: '0', coinId: USDT });
    await setPrice(db, { ownerId: 1, groupId: gid, price: '0', coinId: ETH });
    expect((await metaOf(db, gid)).coin_id).toBe(ETH);
    expect(await ops(gid)).toEqual(['SetPrice', 'SetPrice']);
  });
});
