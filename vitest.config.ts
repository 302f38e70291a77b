import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Starts the run's DynamoDB Locals, one per worker; only the projects that talk to them list it, so unit tests never start Java. */
const DYNAMO_LOCAL = 'test/support/global-setup.ts';

/**
 * Vitest's order within a project (longest first once it has timed a run, else largest first),
 * projects in the order soak (the longest file), e2e, integration, infra, unit. The infra files wait for the bundling their
 * global setup started, which by then is done; the unit files are short and fill in at the end.
 */
const PROJECT_ORDER = ['soak', 'e2e', 'integration', 'infra', 'unit'];

class ProjectsInOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => PROJECT_ORDER.indexOf(file.project.name);
    // Array.prototype.sort is stable, so vitest's order holds within each project.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    env: { TABLE_NAME: 'unit-test-table', AWS_REGION: 'us-east-1', LOG_LEVEL: 'silent' },
    // Generous: a machine busy with other work stretches DynamoDB Local's transactions several times over.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file per core (vitest's default is one fewer: a single file at a time on two cores). Each
    // worker has a DynamoDB Local of its own, which does much of the work, so more files than cores
    // only make each one slower: a third on two cores made the run longer, not shorter.
    maxWorkers: availableParallelism(),
    sequence: { sequencer: ProjectsInOrder },
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
      // Each local runtime starts a DynamoDB Local of its own (its table streams: see test/support/db.ts).
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
      // The soak starts runtimes of its own, each with its DynamoDB Local, and kills them.
      { extends: true, test: { name: 'soak', include: ['test/soak/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'infra', include: ['test/infra/**/*.test.ts'], globalSetup: ['test/support/infra-setup.ts'] },
      },
    ],
  },
});
