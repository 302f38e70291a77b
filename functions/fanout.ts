import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { defaultDb } from '#shared/db/client.ts';
import { withInvocation } from '#shared/log.ts';
import { defaultDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { notificationReactors } from '#shared/outbox/reactors.ts';
import { defaultRongCloud } from '#shared/rongcloud/default.ts';
import { loadRongCloudSettings } from '#shared/rongcloud/settings.ts';

const reactors = notificationReactors({
  rongcloud: defaultRongCloud,
  systemUserId: async () => (await loadRongCloudSettings()).systemUserId,
});

const deps = { db: defaultDb(), reactors, deadLetter: defaultDeadLetter() };

export const handler = (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
  withInvocation(context.awsRequestId, { records: event.Records.length }, () => processStreamBatch(deps, event.Records));
