import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { defaultDb } from '#shared/db/client.ts';
import { groupCleanup } from '#shared/groups/dismiss.ts';
import { rongCloudNotifier } from '#shared/notify/reactor.ts';
import { defaultDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import type { Reactor } from '#shared/outbox/reactor.ts';
import { defaultRongCloud } from '#shared/rongcloud/default.ts';
import { loadRongCloudSettings } from '#shared/rongcloud/settings.ts';
import { searchPostings } from '#shared/search/postings.ts';

/** The reactors every committed group event passes through, in order. */
const reactors: readonly Reactor[] = [
  rongCloudNotifier({
    rongcloud: defaultRongCloud,
    systemUserId: async () => (await loadRongCloudSettings()).systemUserId,
  }),
  searchPostings,
  groupCleanup,
];

const deps = { db: defaultDb(), reactors, deadLetter: defaultDeadLetter() };

export const handler = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => processStreamBatch(deps, event.Records);
