import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Starts the run's DynamoDB Local; only the projects that talk to it list it, so unit tests never start Java. */
const DYNAMO_LOCAL = 'test/support/global-setup.ts';

/**
 * Vitest's order (longest first once it has timed a run, else largest first), except that the
 * infra files go last: they wait for the bundling their global setup started, which by then is done.
 */
class InfraLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const infra = (file: TestSpecification) => file.project.name === 'infra';
    return [...sorted.filter((file) => !infra(file)), ...sorted.filter(infra)];
  }
}

export default defineConfig({
  test: {
    env: { TABLE_NAME: 'unit-test-table', AWS_REGION: 'us-east-1', LOG_LEVEL: 'silent' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file per core (vitest's default is one fewer: a single file at a time on two cores). Each
    // worker has a DynamoDB Local of its own, which does much of the work, so more files than cores
    // only make each one slower: a third on two cores made the run longer, not shorter.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: InfraLast },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/{integration,fuzz,property,docs}/**/*.test.ts'],
          globalSetup: [DYNAMO_LOCAL],
        },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], globalSetup: [DYNAMO_LOCAL] } },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], globalSetup: ['test/support/infra-setup.ts'] },
      },
    ],
  },
});
