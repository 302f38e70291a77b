import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { readyLine, required } from './ready-line.ts';

/**
 * The local runtime as the soak runs it: `npm start`'s runtime in a process of its own, so it can
 * be killed with SIGKILL and started again on the same data directory and port. Its fan-out calls
 * the soak's RongCloud stand-in, which outlives it, and its stream is read by the soak's poller
 * process, which can be killed on its own.
 */
const runtime = await startLocalRuntime({
  port: Number(required('SOAK_PORT')),
  dataDir: required('SOAK_DATA_DIR'),
  rongcloudUrl: required('SOAK_RONGCLOUD_URL'),
  streamPoller: false,
});
console.log(
  readyLine({
    url: runtime.url,
    dynamoEndpoint: runtime.dynamoEndpoint,
    tableName: runtime.tableName,
    timings: runtime.timings,
  }),
);

// The soak stops the last runtime this way; every other one dies by SIGKILL.
process.once('SIGTERM', () => {
  runtime.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
