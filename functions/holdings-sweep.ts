import type { Context } from 'aws-lambda';
import { defaultDb } from '#shared/db/client.ts';
import { sweepGraceEnds } from '#shared/holdings/sweep.ts';
import { withInvocation } from '#shared/log.ts';

/** Run every minute by a schedule: removes the members whose grace ended with the balance still short. */
export const handler = (_event: unknown, context: Context) =>
  withInvocation(context.awsRequestId, {}, () => sweepGraceEnds(defaultDb()));
