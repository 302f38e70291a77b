import { type AwsOptions, awsJson } from '#shared/aws/request.ts';
import { requireEnv } from '#shared/config.ts';
import { eventKey } from '#shared/entities/event.ts';
import { log } from '#shared/log.ts';
import type { StoredEvent } from '#shared/outbox/event.ts';

/** Where an event goes after its retry budget: with its key and content, so it can be replayed. */
export interface DeadLetter {
  send(event: StoredEvent, reason: string): Promise<void>;
}

export interface DeadLetterMessage {
  readonly type: 'group-event';
  readonly key: { pk: string; sk: string };
  readonly event: StoredEvent;
  readonly reason: string;
  readonly failedAt: string;
}

export const deadLetterMessage = (event: StoredEvent, reason: string): DeadLetterMessage => ({
  type: 'group-event',
  key: eventKey(event.groupId, event.eventId),
  event,
  reason,
  failedAt: new Date().toISOString(),
});

const toJson = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * SQS's SendMessage as one signed request: dead letters are rare, and an SQS client would weigh
 * on every cold start of the fan-out for them.
 */
export function sqsDeadLetter(queueUrl: string, options: AwsOptions = {}): DeadLetter {
  return {
    async send(event, reason) {
      await awsJson('sqs', 'SendMessage', { QueueUrl: queueUrl, MessageBody: toJson(deadLetterMessage(event, reason)) }, options);
    },
  };
}

export interface MemoryDeadLetter extends DeadLetter {
  readonly messages: DeadLetterMessage[];
  /** Forgets the dead letters of these events once they were replayed; returns how many went. */
  remove(eventIds: readonly string[]): number;
}

/** Locally there is no queue: dead letters are kept in memory and logged, for `/_local/dlq`. */
export function memoryDeadLetter(): MemoryDeadLetter {
  const messages: DeadLetterMessage[] = [];
  return {
    messages,
    remove(eventIds) {
      const gone = new Set(eventIds);
      const before = messages.length;
      const kept = messages.filter((message) => !gone.has(message.key.sk));
      messages.splice(0, messages.length, ...kept);
      return before - kept.length;
    },
    async send(event, reason) {
      const message = deadLetterMessage(event, reason);
      messages.push(message);
      log('error', 'event dead-lettered', { key: message.key, op: event.op, reason });
    },
  };
}

export const localDeadLetters = memoryDeadLetter();

/** The `DLQ_URL` of the local runtime: its in-process list, served at `/_local/dlq`. */
export const LOCAL_DEAD_LETTERS = 'local';

/**
 * The queue `DLQ_URL` names. It is required: a fan-out deployed without it must fail at cold
 * start, not keep its dead letters in a memory that dies with the container.
 */
export function defaultDeadLetter(): DeadLetter {
  const url = requireEnv('DLQ_URL');
  return url === LOCAL_DEAD_LETTERS ? localDeadLetters : sqsDeadLetter(url);
}
