import { performance } from 'node:perf_hooks';
import { type LocalRuntime, startLocalRuntime } from '#infra/local/runtime.ts';
import { DEMO_COINS, DEMO_FUNDED_USERS, DEMO_USERS, DEMO_WALLET_PASSWORD, demoSessionKey } from '#infra/local/seed.ts';

/** `npm start`: the local runtime on PORT (3000) with its data in IM_DATA_DIR (`.im-data/`, or `memory`). */

function portFromEnv(): number {
  const text = process.env.PORT ?? '3000';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new Error(`PORT must be a port number, not "${text}"`);
  return port;
}

const phases = (timings: Readonly<Record<string, number>>) =>
  Object.entries(timings)
    .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
    .join(', ');

function banner(runtime: LocalRuntime, seconds: string): string {
  const { url } = runtime;
  const coins = DEMO_COINS.map((coin) => `${coin.grant} ${coin.name}`).join(' and ');
  const data = runtime.dataDir
    ? `${runtime.dataDir} (IM_DATA_DIR=memory keeps nothing)`
    : 'in memory: nothing is kept after Ctrl-C';
  return [
    '',
    `IM group service (local) on ${url}, ready in ${seconds} s (${phases(runtime.timings)})`,
    `  data            ${data}`,
    `  DynamoDB Local  ${runtime.dynamoEndpoint}, table ${runtime.tableName}`,
    `  methods         ${url}/  (POST ${url}/im/<method>; read-only methods also answer GET)`,
    `  demo sessions   ${demoSessionKey(1)} .. ${demoSessionKey(DEMO_USERS)} for users 1..${DEMO_USERS}; users 1..${DEMO_FUNDED_USERS} hold ${coins}; wallet password ${DEMO_WALLET_PASSWORD}`,
    `  RongCloud       ${url}/_local/rongcloud  (calls it accepted; server API at ${url}/_local/rongcloud/api/<resource>.json)`,
    `  logos           ${url}/_local/logos/<file>`,
    `  dead letters    ${url}/_local/dlq`,
    runtime.dataDir
      ? '  operator CLI    npm run ops -- <command>  (finds this runtime through runtime.json in the data directory)'
      : `  operator CLI    npm run ops -- <command> --local-url ${url}  (an in-memory runtime has no runtime.json to find it by)`,
    '',
    `  try: curl -s ${url}/im/group_create -d session_key=${demoSessionKey(1)} -d user_list=2,3`,
    '',
    'Ctrl-C stops.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const began = performance.now();
  const runtime = await startLocalRuntime({ port: portFromEnv(), dataDir: process.env.IM_DATA_DIR || '.im-data' });
  console.log(banner(runtime, ((performance.now() - began) / 1000).toFixed(1)));

  // Ctrl-C can reach this process twice, from the terminal and relayed by a launcher such as tsx:
  // only a second signal a moment later means "stop waiting".
  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince < 1000) return;
      console.error(`[local] ${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stoppingSince = performance.now();
    console.log(`\n[local] ${signal}: stopping the stream pollers, the HTTP server and DynamoDB Local...`);
    runtime.stop().then(
      () => {
        console.log('[local] stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('[local] stopping failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  // A crash must still stop DynamoDB Local: its Java process would otherwise outlive this one.
  const crash = (error: unknown) => {
    console.error('[local] crashed:', error);
    process.exitCode = 1;
    runtime.stop().finally(() => process.exit(1));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  const message =
    code === 'EADDRINUSE'
      ? `port ${process.env.PORT ?? 3000} is in use: set PORT to another one`
      : error instanceof Error
        ? error.message
        : String(error);
  console.error(`[local] could not start: ${message}`);
  process.exit(1);
});
