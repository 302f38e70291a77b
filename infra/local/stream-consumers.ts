import { STREAM_CONSUMERS, type StreamConsumerName } from '#infra/fanout-source.ts';
import type { CheckpointStore } from '#infra/local/stream-checkpoints.ts';
import { type StreamPoller, type StreamPollerOptions, startStreamPoller } from '#infra/local/stream-poller.ts';

/**
 * The order the consumers are drained in: the upkeep writes events the fan-out reads (a holding's
 * warning, a clean-up's notices), and the fan-out writes nothing either reads, so once the upkeep
 * is drained and then the fan-out, every record written before the drain began, and every one
 * those set off, has been handled.
 */
const DRAIN_ORDER = ['upkeep', 'fanout'] as const satisfies readonly StreamConsumerName[];

/**
 * Every consumer of the stream, each played by a poller of its own (its own place in every shard,
 * as its own event source mapping has in AWS), seen as one: drained, idle and stopped together,
 * with their records given up on in one list.
 */
export async function startStreamConsumers(
  options: Omit<StreamPollerOptions, 'consumer' | 'handler' | 'checkpoints'> & {
    /** Where each consumer keeps its shard positions. */
    readonly checkpoints: (streamArn: string, consumer: StreamConsumerName) => CheckpointStore;
  },
): Promise<StreamPoller> {
  const names = Object.keys(STREAM_CONSUMERS) as StreamConsumerName[];
  if (names.length !== DRAIN_ORDER.length || !names.every((name) => DRAIN_ORDER.includes(name))) {
    throw new Error(`the drain order (${DRAIN_ORDER.join(', ')}) must name every stream consumer (${names.join(', ')})`);
  }
  const pollers: StreamPoller[] = [];
  try {
    for (const consumer of DRAIN_ORDER) {
      pollers.push(
        await startStreamPoller({
          ...options,
          consumer,
          checkpoints: (arn) => options.checkpoints(arn, consumer),
        }),
      );
    }
  } catch (error) {
    await Promise.all(pollers.map((poller) => poller.stop()));
    throw error;
  }
  return combined(pollers);
}

/** The pollers as one; `pollers` in drain order. */
function combined(pollers: readonly StreamPoller[]): StreamPoller {
  return {
    streamArn: pollers[0]?.streamArn ?? '',
    get failures() {
      return pollers.flatMap((poller) => poller.failures);
    },
    acknowledge: (requestIds) => pollers.reduce((sum, poller) => sum + poller.acknowledge(requestIds), 0),
    idle: () => pollers.every((poller) => poller.idle()),
    waitForDrain: async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      for (const poller of pollers) await poller.waitForDrain(Math.max(1, deadline - Date.now()));
    },
    stop: async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
    },
  };
}
