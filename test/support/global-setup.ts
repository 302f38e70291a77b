import type { TestProject } from 'vitest/node';
import { type DynamoLocal, startDynamoLocal } from '../../infra/local/dynamodb-local.ts';

/**
 * One in-memory DynamoDB Local on a free port for the whole run; each test file makes its own
 * table. Every project that needs it lists this setup, and each project loads its setup files
 * apart, so the instance is kept on the run's global object and stopped when its last user ends.
 */
interface Shared {
  readonly local: Promise<DynamoLocal>;
  users: number;
}

const SHARED = Symbol.for('im-group-service.test.dynamoLocal');
const registry = globalThis as { [SHARED]?: Shared };

export default async function setup(project: TestProject) {
  registry[SHARED] ??= { local: startDynamoLocal(), users: 0 };
  const shared = registry[SHARED];
  shared.users += 1;
  const local = await shared.local;
  project.provide('dynamoEndpoint', local.endpoint);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete registry[SHARED];
    await local.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
