import type { Context } from 'aws-lambda';
import { defaultDb } from '#shared/db/client.ts';
import { log, withInvocation } from '#shared/log.ts';
import { sweepSubscriptions } from '#shared/subscriptions/sweep.ts';

const db = defaultDb();

/** The expiry sweep, invoked by its schedule: lapsed subscriptions removed, ending ones warned. */
export const handler = (_event: unknown, context: Context) =>
  withInvocation(context.awsRequestId, {}, async () => {
    const result = await sweepSubscriptions(db);
    log('info', 'subscriptions swept', { ...result });
    return result;
  });
