import { defineConfig } from 'vitest/config';

/** Starts the run's DynamoDB Local; only the projects that talk to it list it, so unit tests never start Java. */
const DYNAMO_LOCAL = 'test/support/global-setup.ts';

export default defineConfig({
  test: {
    env: { TABLE_NAME: 'unit-test-table', AWS_REGION: 'us-east-1', LOG_LEVEL: 'silent' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
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
