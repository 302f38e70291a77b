import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPrice } from '#shared/groups/terms.ts';
import { handlerWorld, type SeededWorld, seedWorld } from '../fuzz/handler-world.ts';
import { jsonEvent, lambdaContext } from '../support/events.ts';
import { eventsOf, requestsOf, USDT } from './wallet-fixtures.ts';

/**
 * Through the real handler: a change whose first try read eventually confirms a refusal with strong
 * reads only when it wrote nothing. An approval that finds the terms changed ends the request and
 * then answers 168; run again, it would find no request and answer 155 instead.
 */
describe('a refusal that follows a committed write', () => {
  let world: Awaited<ReturnType<typeof handlerWorld>>;
  let seeded: SeededWorld;

  beforeAll(async () => {
    world = await handlerWorld();
    seeded = await seedWorld(world.db);
  });
  afterAll(() => world.db.drop());

  it('is answered as decided: 168, the request ended once', async () => {
    const { free } = seeded;
    await setPrice(world.db, { ownerId: 1, groupId: free, price: '5', coinId: USDT });
    const handler = world.handlers.get('group_react_join')!;
    const reply = await handler(jsonEvent('group_react_join', { session_key: 's-1', group_id: free, pre_user: 5, action: 1 }), {
      ...lambdaContext,
      awsRequestId: 'refusal-after-write',
    });
    expect(JSON.parse(String(reply.body))).toMatchObject({ success: false, status: 168 });
    expect(await requestsOf(world.db, free)).toEqual([]);
    expect((await eventsOf(world.db, free)).filter((event) => event.op === 'JoinRejected')).toHaveLength(1);
  });
});
