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
    // Generous: every file shares one DynamoDB Local, and a busy machine stretches its transactions.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file per core: every file shares one DynamoDB Local, whose transactions wait on each
    // other's locks, and a third file's burst made a lock wait time out there (a 500 AWS never sends).
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
      // The soak starts runtimes of its own, each with its DynamoDB Local, and kills them.
      { extends: true, test: { name: 'soak', include: ['test/soak/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], globalSetup: ['test/support/infra-setup.ts'] },
      },
    ],
  },
});
