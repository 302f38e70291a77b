import { LOCAL_RONGCLOUD } from '#infra/local/local-env.ts';
import type { Command, CommandContext } from '#infra/ops/command.ts';
import { describeEntry, localStreamArn, replayDeadLetter, streamsClient } from '#infra/ops/dlq-replay.ts';
import { type DeadLetterSource, localSource, sqsSource } from '#infra/ops/dlq-sources.ts';
import { Refused, UsageError } from '#infra/ops/target.ts';
import { replayReactors } from '#shared/outbox/reactors.ts';
import { createRongCloudApi } from '#shared/rongcloud/api.ts';
import { createRongCloud } from '#shared/rongcloud/client.ts';
import { clientOptions, readRongCloudSettings, ssmParameterReader } from '#shared/rongcloud/settings.ts';

const text = (value: string | boolean | undefined) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The RongCloud a replay talks to: the deployment's own settings (SSM in `region`), or the local runtime's stand-in. */
async function rongCloudFor(
  queueUrl: string | undefined,
  runtimeUrl: string | undefined,
  parameter: string | undefined,
  region: string,
) {
  if (queueUrl) {
    if (parameter) process.env.RONGCLOUD_PARAMETER = parameter;
    if (!process.env.RONGCLOUD_PARAMETER && !process.env.RONGCLOUD_APP_KEY) {
      throw new UsageError(
        'replaying a deployed queue sends to RongCloud: pass --rongcloud-parameter with the stack parameter (by default /im-group/rongcloud)',
      );
    }
    // The parameter lives beside the queue and the table, in the target's region.
    const settings = await readRongCloudSettings(ssmParameterReader({ region }));
    const api = createRongCloudApi(createRongCloud(clientOptions(settings)));
    return { api, systemUserId: settings.systemUserId };
  }
  const api = createRongCloudApi(
    createRongCloud({
      appKey: LOCAL_RONGCLOUD.appKey,
      appSecret: LOCAL_RONGCLOUD.appSecret,
      hosts: [`${runtimeUrl}/_local/rongcloud/api`],
    }),
  );
  return { api, systemUserId: LOCAL_RONGCLOUD.systemUser as string };
}

/** Replays every letter the source holds; deletes each one replayed, keeps and names the rest. */
export async function replayFrom(
  source: DeadLetterSource,
  io: Pick<CommandContext, 'say' | 'print'>,
  deps: Parameters<typeof replayDeadLetter>[0],
) {
  const { say, print } = io;
  let replayed = 0;
  let kept = 0;
  say(`replaying ${source.description}`);
  for (let letters = await source.receive(); letters.length > 0; letters = await source.receive()) {
    for (const letter of letters) {
      const what = describeEntry(letter.entry);
      const outcome = await replayDeadLetter(deps, letter.entry);
      if (!outcome.replayed) {
        kept += 1;
        say(`kept ${what}: ${outcome.why}`);
        continue;
      }
      await letter.done();
      replayed += 1;
      const ops = outcome.events.map((event) => event.op).join(', ') || 'nothing to send';
      say(`replayed ${what} (${ops})${outcome.note ? `: ${outcome.note}` : ''}`);
    }
  }
  print(`replayed ${replayed}, kept ${kept}`);
  if (kept > 0) throw new Refused(`${kept} dead letter${kept === 1 ? '' : 's'} could not be replayed and stay where they were`);
}

export const dlqReplay: Command = {
  usage: 'dlq:replay [--queue-url URL] [--rongcloud-parameter NAME]',
  summary:
    "Replay the fan-out's dead letters once (sent-markers skip what already went out) and delete each one replayed; " +
    'the stack queue with --queue-url (and --table, --region), else the local runtime (--local-url for another).',
  options: { 'queue-url': { type: 'string' }, 'rongcloud-parameter': { type: 'string' } },
  arity: [0, 0],
  async run(context) {
    const { db, target, options } = context;
    const queueUrl = text(options['queue-url']);
    const runtimeUrl = target.runtimeUrl;
    if (!queueUrl && !runtimeUrl) {
      throw new UsageError('no dead letters to read: start the local runtime (npm start), or pass --local-url, or --queue-url');
    }
    const rongcloud = await rongCloudFor(queueUrl, runtimeUrl, text(options['rongcloud-parameter']), target.region);
    const deps = {
      db,
      reactors: replayReactors({ rongcloud: async () => rongcloud.api, systemUserId: async () => rongcloud.systemUserId }),
      streams: streamsClient(target),
      ...(target.endpoint ? { streamArnFor: localStreamArn } : {}),
    };
    try {
      await replayFrom(queueUrl ? sqsSource(queueUrl, target.region) : localSource(runtimeUrl!), context, deps);
    } finally {
      deps.streams.destroy();
    }
  },
};
