import type { DynamoDBRecord } from 'aws-lambda';
import { FANOUT_ENTRY, UPKEEP_ENTRY } from '#shared/api/registry.ts';

/**
 * Which stream records reach the consumers: inserts of group-event items (the outbox), and, for
 * the upkeep, every write of a balance item (a holding is re-checked the moment its balance
 * changes, so one balance change costs one record, not a scan). The CDK stack passes these very
 * objects to the event source mappings (one `FilterCriteria.filter` each; a record passing any of
 * them is delivered), and the local poller applies them with `isConsumerRecord`, so the two cannot
 * disagree.
 */
export const FANOUT_FILTER_PATTERN = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { kind: { S: ['event'] } } },
} as const;

export const BALANCE_FILTER_PATTERN = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { NewImage: { kind: { S: ['balance'] } } },
} as const;

/**
 * The stream's two consumers, each its own event source mapping with its own place in every shard,
 * so neither waits on the other: the fan-out sends each group event's notifications to RongCloud
 * (and, in order, waits out its outages); the upkeep does what the table does for itself after an
 * event or a balance write (seat folds, search postings, a dismissed group's clean-up and refunds,
 * holdings re-checks), which must not wait on RongCloud. Read by the stack and the local poller alike.
 */
export const STREAM_CONSUMERS = {
  fanout: { entry: FANOUT_ENTRY, filters: [FANOUT_FILTER_PATTERN] },
  upkeep: { entry: UPKEEP_ENTRY, filters: [FANOUT_FILTER_PATTERN, BALANCE_FILTER_PATTERN] },
} as const;

export type StreamConsumerName = keyof typeof STREAM_CONSUMERS;

/**
 * How the event sources deliver to both consumers, read by the stack and the local poller alike.
 * A batch whose event waits on RongCloud is retried with the handler's pauses between tries
 * (`shared/outbox/fanout.ts`), so these retries must outlast its outage patience: then the handler,
 * which knows the event's key, sets the event aside, rather than Lambda, which knows only sequence
 * numbers. The record age bounds a shard that keeps failing for any other reason.
 */
export const FANOUT_DELIVERY = {
  batchSize: 25,
  retryAttempts: 30,
  maxRecordAgeSeconds: 6 * 3600,
} as const;

type Literal = string | number | boolean | null;
export interface FilterPattern {
  readonly [key: string]: readonly Literal[] | FilterPattern;
}

/**
 * EventBridge-style matching, limited to what the patterns here use: every key must be present,
 * a list matches when the value equals one of its literals, an object matches recursively. Content
 * rules (`prefix`, `numeric`, ...) are refused rather than silently treated as literals.
 */
export function matchesPattern(pattern: FilterPattern, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, rule]) => {
    const actual = (value as Record<string, unknown>)[key];
    if (!Array.isArray(rule)) return matchesPattern(rule as FilterPattern, actual);
    return rule.some((option: unknown) => {
      if (typeof option === 'object' && option !== null) throw new TypeError(`unsupported filter rule under "${key}"`);
      return option === actual;
    });
  });
}

/** A group event's insert: the outbox entry the reactors act on. */
export const isEventRecord = (record: DynamoDBRecord): boolean => matchesPattern(FANOUT_FILTER_PATTERN, record);

/** Every pattern any consumer takes. */
const ANY_CONSUMER: readonly FilterPattern[] = Object.values(STREAM_CONSUMERS).flatMap((consumer) => consumer.filters);

/** Whether the consumer's filter lets the record through; without a consumer, whether any does. */
export const isConsumerRecord = (record: DynamoDBRecord, consumer?: StreamConsumerName): boolean =>
  (consumer ? STREAM_CONSUMERS[consumer].filters : ANY_CONSUMER).some((pattern) => matchesPattern(pattern, record));
