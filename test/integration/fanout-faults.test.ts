import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '#shared/db/client.ts';
import { putEvent } from '#shared/entities/event.ts';
import { groupPk } from '#shared/entities/group.ts';
import { rongCloudNotifier } from '#shared/notify/reactor.ts';
import { memoryDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import type { RongCloudApi } from '#shared/rongcloud/api.ts';
import { RongCloudError } from '#shared/rongcloud/errors.ts';
import { type StreamPoller, startStreamPoller } from '../../infra/local/stream-poller.ts';
import { TestClock } from '../support/clock.ts';
import { createTestDb } from '../support/db.ts';

/**
 * The fan-out under faults, fed by the real stream of DynamoDB Local through the local poller
 * (batches, partial batch responses, retries, bisection): a reactor failing after some of an
 * event's calls went out, the whole invocation dying mid-batch, an event that never succeeds.
 * Every event's RongCloud calls must arrive, and none twice wherever a sent-marker could prevent it.
 */

const tables: Array<{ drop(): Promise<void> }> = [];
const pollers: StreamPoller[] = [];
afterEach(async () => {
  await Promise.all(pollers.splice(0).map((poller) => poller.stop()));
  await Promise.all(tables.splice(0).map((table) => table.drop()));
});

/**
 * A RongCloud that records what it accepted and runs `fault` before and after each call: the
 * fault may throw (RongCloud refused) or never return (the process died there).
 */
function fakeRongCloud(fault: (call: string, phase: 'before' | 'after') => unknown) {
  const accepted: string[] = [];
  const calls = async (call: string) => {
    await fault(call, 'before');
    accepted.push(call);
    await fault(call, 'after');
  };
  const api = {
    groupRefresh: (groupId, name) => calls(`refresh:${groupId}:${name}`),
    publishGroupMessage: (message) => {
      const content = message.content as { operation: string };
      return calls(`notice:${message.toGroupIds.join(',')}:${content.operation}`);
    },
    publishSystemMessage: (message) =>
      calls(`system:${message.objectName}:from ${message.toUserIds[0]}:${message.toUserIds.length}`),
  } as Partial<RongCloudApi> as RongCloudApi;
  return { api, accepted };
}

/** Unless a test says otherwise, each event is a rename of its own group: two calls, refresh then the Rename notice. */
const expectedCalls = (groups: number[]) => groups.flatMap((gid) => [`refresh:${gid}:name ${gid}`, `notice:${gid}:Rename`]);

type EventFor = (table: string, groupId: number) => ReturnType<typeof putEvent>;

const rename: EventFor = (table, groupId) =>
  putEvent(table, { groupId, op: 'Rename', actor: 1, data: { name: `name ${groupId}`, old_name: 'old' } });

async function writeEvents(db: Db, groups: number[], eventFor: EventFor) {
  for (const groupId of groups) {
    await db.doc.send(new PutCommand({ TableName: db.table, Item: eventFor(db.table, groupId).Put!.Item }));
  }
}

const never = () => new Promise<never>(() => {});

/** The fault decides per call; `die` ends the current invocation as a crash would, leaving its work unfinished. */
type Fault = (call: string, phase: 'before' | 'after', die: () => Promise<never>) => unknown;

/** Writes the events first, so the poller finds them all in the stream and batches them as Lambda would. */
async function setUp(gids: number[], fault: Fault, eventFor: EventFor = rename) {
  const db = await createTestDb({ stream: true });
  tables.push(db);
  await writeEvents(db, gids, eventFor);
  let killCurrent: (() => void) | undefined;
  const die = () => {
    killCurrent?.();
    return never();
  };
  const rongcloud = fakeRongCloud((call, phase) => fault(call, phase, die));
  const deadLetter = memoryDeadLetter();
  const clock = new TestClock();
  const deps = {
    db,
    deadLetter,
    // RongCloud counts as down for a few hundred milliseconds here, not the deployed minutes.
    outagePatienceMs: 300,
    clock,
    reactors: [rongCloudNotifier({ rongcloud: async () => rongcloud.api, systemUserId: async () => 'system' })],
  };
  const invocations: number[] = [];
  const poller = await startStreamPoller({
    endpoint: db.endpoint,
    region: 'us-east-1',
    tableName: db.table,
    batchSize: 8,
    retryDelayMs: 5,
    clock,
    idlePollMs: 20,
    handler: async (event: DynamoDBStreamEvent) => {
      invocations.push(event.Records.length);
      const crash = new Promise<never>((_, reject) => {
        killCurrent = () => reject(new Error('the process died'));
      });
      return Promise.race([processStreamBatch(deps, event.Records), crash]);
    },
  });
  pollers.push(poller);
  return { poller, deadLetter, accepted: rongcloud.accepted, invocations };
}

const groups = (count: number, from: number) => Array.from({ length: count }, (_, i) => from + i);

const retryable = (call: string) =>
  new RongCloudError({ kind: 'http', code: 1000, httpStatus: 500, retryable: true, resource: call, message: 'down' });

/** A first test pays for DynamoDB Local warming up on a shared machine: these take 3 to 15 s. */
describe('the fan-out under faults, through the stream', () => {
  it('resumes an event whose reactor failed after its first call, without sending that call again', async () => {
    const gids = groups(8, 101);
    const failedOnce = new Set<string>();
    const { poller, accepted, deadLetter } = await setUp(gids, (call, phase) => {
      // The notices of groups 103 and 106 fail once each, after their refresh went out.
      if (phase === 'before' && /^notice:10[36]:/.test(call) && !failedOnce.has(call)) {
        failedOnce.add(call);
        throw retryable(call);
      }
    });
    await poller.waitForDrain(30_000);

    expect([...failedOnce]).toEqual(['notice:103:Rename', 'notice:106:Rename']);
    expect(accepted).toEqual(expectedCalls(gids));
    expect(deadLetter.messages).toEqual([]);
    expect(poller.failures).toEqual([]);
  }, 60_000);

  it('loses nothing and repeats nothing when the process dies between two calls of a batch', async () => {
    const gids = groups(8, 201);
    let died = false;
    const { poller, accepted, invocations } = await setUp(gids, (call, phase, die) => {
      // The process dies just before the notice of the fifth event: its refresh is marked sent.
      if (!died && phase === 'before' && call === 'notice:205:Rename') {
        died = true;
        return die();
      }
    });
    await poller.waitForDrain(30_000);

    expect(died).toBe(true);
    expect(invocations[0]).toBe(8);
    // Bisection: the failed batch of eight is delivered again as two halves.
    expect(invocations.slice(1, 3)).toEqual([4, 4]);
    expect(accepted).toEqual(expectedCalls(gids));
    expect(poller.failures).toEqual([]);
  }, 60_000);

  it('sends exactly one call twice when the process dies after RongCloud accepted it and before its marker was written', async () => {
    const gids = groups(5, 301);
    let died = false;
    const { poller, accepted } = await setUp(gids, (call, phase, die) => {
      if (!died && phase === 'after' && call === 'notice:303:Rename') {
        died = true;
        return die();
      }
    });
    await poller.waitForDrain(30_000);

    const expected = expectedCalls(gids);
    const atDeath = expected.indexOf('notice:303:Rename') + 1;
    // The one unavoidable duplicate: accepted by RongCloud, not yet recorded as sent.
    expect(accepted).toEqual([...expected.slice(0, atDeath), 'notice:303:Rename', ...expected.slice(atDeath)]);
    expect(accepted.filter((call) => call === 'notice:303:Rename')).toHaveLength(2);
    expect(new Set(accepted).size).toBe(expected.length);
  }, 60_000);

  it('dead-letters an event that keeps failing with its key, after its first call went out once, and delivers the rest', async () => {
    const gids = groups(4, 401);
    const { poller, accepted, deadLetter } = await setUp(gids, (call, phase) => {
      if (phase === 'before' && call === 'notice:402:Rename') throw retryable(call);
    });
    await poller.waitForDrain(30_000);

    expect(accepted).toEqual(expectedCalls(gids).filter((call) => call !== 'notice:402:Rename'));
    expect(deadLetter.messages).toHaveLength(1);
    expect(deadLetter.messages[0]).toMatchObject({ type: 'group-event', key: { pk: groupPk(402) }, event: { op: 'Rename' } });
    expect(deadLetter.messages[0]?.reason).toContain('RongCloudError');
    expect(poller.failures).toEqual([]);
  }, 60_000);

  it('sends each part of a join request to more admins than one call takes once, when a later part failed', async () => {
    const gids = groups(2, 501);
    let failed = false;
    const { poller, accepted } = await setUp(
      gids,
      (call, phase) => {
        if (!failed && phase === 'before' && call === 'system:MSG:join_group:from 101:50') {
          failed = true;
          throw retryable(call);
        }
      },
      (table, groupId) =>
        putEvent(table, {
          groupId,
          op: 'JoinRequest',
          actor: 999,
          data: { user_id: 999, name: 'big', notify_ids: groups(150, 1) },
        }),
    );
    await poller.waitForDrain(30_000);

    expect(failed).toBe(true);
    const parts = ['system:MSG:join_group:from 1:100', 'system:MSG:join_group:from 101:50'];
    expect(accepted).toEqual([...parts, ...parts]);
  }, 60_000);
});
