import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putEvent } from '#shared/entities/event.ts';
import { unknownUsers } from '#shared/entities/user.ts';
import { progressKey } from '#shared/outbox/progress.ts';
import { writeRuntimeInfo } from '../../infra/local/runtime-file.ts';
import { localStreamArn, readStreamRange, streamsClient } from '../../infra/ops/dlq-replay.ts';
import { acceptedCalls, noticesFor } from '../e2e/notifications-calls.ts';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';
import { runOps, runtimeTarget } from '../support/ops-cli.ts';

/**
 * `npm run ops -- dlq:replay` against the local runtime: a handler dead letter (RongCloud refused
 * an event's notice until the fan-out gave up) and a Lambda-style on-failure record (the handler
 * itself kept failing on a record), both replayed once, kept while replaying fails, and removed
 * from the runtime's list once replayed.
 */

let runtime: TestRuntime;
const session = (userId: number) => `demo-session-${userId}`;

beforeAll(async () => {
  // Events waiting on RongCloud are set aside at their first failure, so each test provokes one at once.
  process.env.FANOUT_OUTAGE_PATIENCE_SECONDS = '0';
  runtime = await startTestRuntime();
});
afterAll(async () => {
  delete process.env.FANOUT_OUTAGE_PATIENCE_SECONDS;
  await runtime?.stop();
});

const ops = (...args: string[]) => runOps([...args, ...runtimeTarget(runtime)]);

interface DeadLetters {
  stream: Array<{ DDBStreamBatchInfo: { startSequenceNumber: string } }>;
  events: Array<{ key: { sk: string } }>;
}
const deadLetters = async () => (await (await fetch(`${runtime.url}/_local/dlq`)).json()) as DeadLetters;

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const failRongCloud = (plan: object) =>
  fetch(`${runtime.url}/_local/rongcloud/fail`, { method: 'POST', body: JSON.stringify(plan) });

describe('npm run ops -- dlq:replay on the local runtime', () => {
  let gid = 0;

  it('replays a handler dead letter and an on-failure stream record once, keeping them while replay fails', async () => {
    const created = await runtime.call('group_create', { user_list: [2], group_name: 'Replay' }, { session: session(1) });
    gid = created.body.data.group_id;
    await runtime.poller.waitForDrain(30_000);

    // RongCloud refuses group messages until the fan-out sets the Rename aside; its refresh went out.
    await failRongCloud({ mode: '500', paths: ['/message/group/publish.json'] });
    await runtime.call('group_set_name', { group_id: gid, group_name: 'Replayed' }, { session: session(1) });
    await until(async () => (await deadLetters()).events.length === 1, 90_000, 'the Rename dead letter');
    await failRongCloud({ mode: 'off' });

    // A sent-marker the handler cannot read or update makes every invocation on this record throw.
    const bulletin = putEvent(runtime.tableName, {
      groupId: gid,
      op: 'Bulletin',
      actor: 1,
      data: { name: 'Replayed', memo: 'from the stream', old_memo: '' },
    }).Put!.Item!;
    const marker = progressKey({ groupId: gid, eventId: String(bulletin.sk) });
    await runtime.db.doc.send(new PutCommand({ TableName: runtime.tableName, Item: { ...marker, done: 5, attempts: 'x' } }));
    await runtime.db.doc.send(new PutCommand({ TableName: runtime.tableName, Item: bulletin }));
    await until(async () => (await deadLetters()).stream.length === 1, 90_000, 'the on-failure record');
    await runtime.db.doc.send(new DeleteCommand({ TableName: runtime.tableName, Key: marker }));

    const before = noticesFor(await acceptedCalls(runtime.url), gid).length;

    // While RongCloud still refuses, nothing is deleted and the command says so.
    await failRongCloud({ mode: '500', paths: ['/message/group/publish.json'] });
    const refused = await ops('dlq:replay');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('replayed 0, kept 2');
    expect(refused.stderr).toMatch(/kept event G#\d+ E#.*failed again: RongCloudError/);
    expect((await deadLetters()).events).toHaveLength(1);
    expect((await deadLetters()).stream).toHaveLength(1);

    await failRongCloud({ mode: 'off' });
    const replay = await ops('dlq:replay');
    expect(replay.stderr).toContain('replayed event');
    expect(replay.stderr).toContain('replayed stream records');
    expect(replay.stdout).toBe('replayed 2, kept 0');
    expect(replay.code).toBe(0);

    const after = noticesFor(await acceptedCalls(runtime.url), gid).slice(before);
    expect(after).toEqual([
      expect.objectContaining({
        call: 'RC:GrpNtf',
        operation: 'Rename',
        data: expect.objectContaining({ targetGroupName: 'Replayed' }),
      }),
      expect.objectContaining({
        call: 'RC:GrpNtf',
        operation: 'Bulletin',
        data: expect.objectContaining({ content: 'from the stream' }),
      }),
    ]);
    const refreshes = noticesFor(await acceptedCalls(runtime.url), gid).filter((notice) => notice.call === 'group/refresh');
    expect(refreshes).toHaveLength(1);
    expect(await deadLetters()).toEqual({ stream: [], events: [] });

    const again = await ops('dlq:replay');
    expect(again.stdout).toBe('replayed 0, kept 0');
    expect(noticesFor(await acceptedCalls(runtime.url), gid).slice(before)).toHaveLength(2);
  }, 240_000);

  it('says plainly that a range the stream no longer holds cannot be replayed', async () => {
    const streams = streamsClient({ endpoint: runtime.dynamoEndpoint, region: 'us-east-1' });
    try {
      const gone = await readStreamRange(streams, {
        streamArn: localStreamArn(runtime.poller.streamArn),
        shardId: 'shardId-00000000000000000000-00000000',
        startSequenceNumber: '1',
        endSequenceNumber: '2',
      });
      expect(gone).toEqual({ gone: expect.stringContaining('no longer holds') });
    } finally {
      streams.destroy();
    }
  }, 30_000);

  it("works on the table of the runtime --local-url names, not on the default data directory's", async () => {
    // The default data directory describes another runtime, as a persistent npm start beside an in-memory one would.
    const decoy = await mkdtemp(join(tmpdir(), 'ops-decoy-'));
    await writeRuntimeInfo(decoy, {
      pid: process.pid,
      url: 'http://127.0.0.1:9',
      dynamoEndpoint: runtime.dynamoEndpoint,
      tableName: 'decoy-table',
      region: 'us-east-1',
      startedAt: new Date().toISOString(),
    });
    try {
      const replay = await runOps(['dlq:replay', '--local-url', runtime.url], { IM_DATA_DIR: decoy });
      expect(replay.stderr).toContain(`on table ${runtime.tableName} of the local runtime at ${runtime.url}`);
      expect(replay.stdout).toBe('replayed 0, kept 0');
      expect(replay.code).toBe(0);

      const created = await runOps(['user:create', '4242', '--local-url', runtime.url], { IM_DATA_DIR: decoy });
      expect(created.code).toBe(0);
      expect(await unknownUsers(runtime.db, [4242])).toEqual([]);
    } finally {
      await rm(decoy, { recursive: true, force: true });
    }
  }, 60_000);

  it('exits 2 when there is neither a local runtime nor a queue to read', async () => {
    const result = await runOps(['dlq:replay', '--endpoint', runtime.dynamoEndpoint, '--table', runtime.tableName]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--queue-url');
  }, 60_000);
});
