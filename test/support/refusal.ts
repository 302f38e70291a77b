import { AppError } from '#shared/errors.ts';

/** The app status and HTTP status a call was refused with; fails the test if it was not refused. */
export async function refusal(call: Promise<unknown> | (() => unknown)): Promise<{ status: number; http: number }> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, http: error.http };
    throw error;
  }
  throw new Error('expected a refusal, but the call succeeded');
}
