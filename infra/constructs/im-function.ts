import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: handler entries, package.json (for `#shared/*`) and the lock file live here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * ESM bundles still meet CommonJS code inside some dependencies that calls `require` for Node
 * built-ins; ESM has no `require`, so the bundle recreates one.
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** How every function is bundled; exported so the benchmark measures exactly what ships. */
export const IM_BUNDLING = {
  // The local esbuild (a devDependency) bundles; synth never needs Docker or a network.
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  minify: true,
  // None: turned on at init (`--enable-source-maps`), a map adds about a fifth to a function's import CPU
  // (test/bench/REPORT.md, "Bundles and cold import"). Errors are logged with their name and message.
  sourceMap: false,
  // The AWS SDK v3 is bundled rather than taken from the runtime: a pinned, tree-shaken copy.
  externalModules: [],
  banner: ESM_REQUIRE_BANNER,
  // The methods' reply shapes and refusals are for the OpenAPI document and the tests: no handler
  // reads them, so the bundles leave them out (shared/api/method-def.ts).
  define: { 'process.env.IM_DOCS': JSON.stringify('off') },
} satisfies BundlingOptions;

export interface ImFunctionProps {
  /** The handler module, relative to the project root (as the registry gives it). */
  readonly entry: string;
  /** The table every function works on; its name reaches the code as TABLE_NAME. */
  readonly table: ITable;
  /** API handlers stay well under the HTTP API's 30 s integration limit; stream consumers get more. */
  readonly timeout?: Duration;
  readonly environment?: Record<string, string>;
  /**
   * The application log level Lambda filters by (each line's `level`); embedded metrics are written
   * at INFO, so a level above INFO drops them too.
   */
  readonly logLevel?: ApplicationLogLevel;
}

/**
 * Every Lambda of the service, with the runtime, architecture, logging, tracing and bundling
 * profile fixed in one place. Grants are left to the caller so that each function gets only
 * what its own code needs.
 */
export class ImFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ImFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      // Logs are not the record of anything; the table and its point-in-time backups are.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role instead of the managed basic execution policy, whose log rights cover every
    // log group of the account: this one may write to its own group only.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only for actions IAM cannot scope to a resource: the X-Ray trace writes of active tracing and, for the ' +
        'stream consumer, dynamodb:ListStreams.',
    });
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: props.logLevel ?? ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        ...props.environment,
        TABLE_NAME: props.table.tableName,
        // Empty, so unused, in AWS. `sam local --env-vars` only overrides variables the template
        // declares; declared here, it can point a function at DynamoDB Local.
        DYNAMODB_ENDPOINT: '',
      },
      bundling: IM_BUNDLING,
    });
  }
}
