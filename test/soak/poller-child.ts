import { join } from 'node:path';
import { createDb } from '#shared/db/client.ts';
import { applyLocalEnvironment, LOCAL_REGION } from '../../infra/local/local-env.ts';
import { createLocalLog } from '../../infra/local/local-log.ts';
import { startRuntimePoller } from '../../infra/local/runtime.ts';
import { readyLine, required } from './ready-line.ts';

/**
 * The runtime's stream poller and fan-out in a process of their own, as the soak runs them, so a
 * SIGKILL can stop them in the middle of a batch, as a crashed or timed-out Lambda would be.
 * Shard positions live in the table, so the next poller resumes where this one stopped.
 */
const dynamoEndpoint = required('SOAK_DYNAMO_ENDPOINT');
const tableName = required('SOAK_TABLE');
const dataDir = required('SOAK_DATA_DIR');
applyLocalEnvironment({
  tableName,
  dynamoEndpoint,
  region: LOCAL_REGION,
  url: required('SOAK_RUNTIME_URL'),
  logoDir: join(dataDir, 'logos'),
  rongcloudUrl: required('SOAK_RONGCLOUD_URL'),
});
const db = createDb({ table: tableName, endpoint: dynamoEndpoint, region: LOCAL_REGION });
const poller = await startRuntimePoller({ db, dynamoEndpoint, persisted: true, log: createLocalLog() });
console.log(readyLine({ streamArn: poller.streamArn }));

process.once('SIGTERM', () => {
  poller.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
