import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { defaultDb } from '#shared/db/client.ts';
import { withInvocation } from '#shared/log.ts';
import { defaultDeadLetter } from '#shared/outbox/dead-letter.ts';
import { processStreamBatch } from '#shared/outbox/fanout.ts';
import { UPKEEP } from '#shared/outbox/reactors.ts';

const deps = { db: defaultDb(), ...UPKEEP, deadLetter: defaultDeadLetter() };

export const handler = (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
  withInvocation(context.awsRequestId, { records: event.Records.length }, () => processStreamBatch(deps, event.Records));
