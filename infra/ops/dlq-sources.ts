import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DeadLetterEntry, parseDeadLetter } from '#infra/ops/dlq-replay.ts';

/** One dead letter and how to remove it from where it waits once it was replayed. */
export interface PendingLetter {
  readonly entry: DeadLetterEntry;
  done(): Promise<void>;
}

/** Where dead letters wait: the stack's queue, or the local runtime's list. */
export interface DeadLetterSource {
  readonly description: string;
  /** The next few; an empty list when none are left for this run. */
  receive(): Promise<PendingLetter[]>;
}

/**
 * The stack's queue. A received message stays invisible to other readers for `holdSeconds`, so a
 * message whose replay failed is not met again in the same run; it reappears afterwards.
 */
export function sqsSource(
  queueUrl: string,
  region: string,
  sqs = new SQSClient({ region }),
  holdSeconds = 300,
): DeadLetterSource {
  return {
    description: `queue ${queueUrl}`,
    async receive() {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          // Long polling asks every server of the queue, so an empty answer means the queue is empty.
          WaitTimeSeconds: 2,
          VisibilityTimeout: holdSeconds,
        }),
      );
      return (Messages ?? []).map((message) => ({
        entry: parseDeadLetter(message.Body ?? ''),
        done: async () => {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        },
      }));
    },
  };
}

interface LocalList {
  stream: Array<{ requestContext?: { requestId?: string } }>;
  events: Array<{ key?: { sk?: string } }>;
}

/** The local runtime's dead letters, at `<url>/_local/dlq`: everything at once, acknowledged one by one. */
export function localSource(runtimeUrl: string): DeadLetterSource {
  const base = `${runtimeUrl.replace(/\/+$/, '')}/_local/dlq`;
  let read = false;
  const ack = async (body: { stream?: string[]; events?: string[] }) => {
    const res = await fetch(`${base}/ack`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${base}/ack answered ${res.status}`);
  };
  return {
    description: `the dead letters of the local runtime at ${runtimeUrl}`,
    async receive() {
      if (read) return [];
      read = true;
      const res = await fetch(base);
      if (!res.ok) throw new Error(`GET ${base} answered ${res.status}: is the local runtime running?`);
      const list = (await res.json()) as LocalList;
      return [
        ...list.events.map((message) => ({
          entry: parseDeadLetter(message),
          done: () => ack({ events: [message.key?.sk ?? ''] }),
        })),
        ...list.stream.map((failure) => ({
          entry: parseDeadLetter(failure),
          done: () => ack({ stream: [failure.requestContext?.requestId ?? ''] }),
        })),
      ];
    },
  };
}
