import type { TestProject } from 'vitest/node';
import { type DynamoLocal, startDynamoLocal } from '../../infra/local/dynamodb-local.ts';

/**
 * In-memory DynamoDB Locals on free ports, one per worker, for the whole run; each test file makes
 * its own table, without a stream, on the one of its worker (`dynamoEndpoint()` in db.ts says why
 * streaming tables live elsewhere). One instance shared by
 * files running side by side slows every file down: a 10,000-member clean-up that takes 12 s on its
 * own took over 120 s beside two other files, and other files' writes ran into DynamoDB Local's
 * 10 s lock timeout. Every project that needs them lists this setup, and each project loads its
 * setup files apart, so the instances are kept on the run's global object and stopped when their
 * last user ends.
 */
interface Shared {
  readonly locals: Promise<DynamoLocal[]>;
  users: number;
}

const SHARED = Symbol.for('im-group-service.test.dynamoLocals');
const registry = globalThis as { [SHARED]?: Shared };

async function startAll(count: number): Promise<DynamoLocal[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startDynamoLocal()));
  const locals = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(locals.map((local) => local.stop()));
    throw failed.reason;
  }
  return locals;
}

export default async function setup(project: TestProject) {
  registry[SHARED] ??= { locals: startAll(Math.max(1, project.config.maxWorkers)), users: 0 };
  const shared = registry[SHARED];
  shared.users += 1;
  const locals = await shared.locals;
  project.provide(
    'dynamoEndpoints',
    locals.map((local) => local.endpoint),
  );
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[SHARED];
    await Promise.all(locals.map((local) => local.stop()));
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoints: string[];
  }
}
