import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** The Lambda settings the local runtime reports to handlers; the stack sets its own per function. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_FUNCTION_TIMEOUT_MS = 29_000;
const MEMORY_MB = '256';

/**
 * A context shaped like the one Lambda passes: a fresh request id per invocation and a deadline,
 * so handlers that log `awsRequestId` or budget their time behave as in AWS.
 */
export function lambdaContext(functionName: string, region: string, timeoutMs = LOCAL_FUNCTION_TIMEOUT_MS): Context {
  const deadline = Date.now() + timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = () => {
    throw new Error('the callback-style context methods are not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: MEMORY_MB,
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
