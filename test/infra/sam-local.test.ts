import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '#infra/constructs/im-function.ts';
import { DEFAULT_TABLE } from '#infra/local/local-env.ts';
import { methodNames } from '#shared/api/registry.ts';
import { bundledAssembly, SYNTH_TIMEOUT_MS } from '../support/synth.ts';

/**
 * `sam local start-api -t cdk.out/ImGroupStack.template.json` runs the synthesized template
 * without a deploy. SAM finds each function's code through the asset metadata `cdk synth` writes,
 * mounts that folder of the cloud assembly and loads the module the function's Handler names; it
 * routes by the HTTP API's routes and integrations; and its `--env-vars` file only overrides
 * variables the template declares. These tests check all of that on the template, no Docker needed.
 */

interface Resource {
  Type: string;
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties as synthesized, read field by field
  Properties: Record<string, any>;
  Metadata?: Record<string, unknown>;
}

let resources: Record<string, Resource>;
let assemblyDir: string;

const ENV_FILE = path.join(PROJECT_ROOT, 'infra', 'local', 'sam-env.json');

const functions = () => Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

/** The function a route invokes: route → integration → `Fn::GetAtt [function, Arn]`. */
function functionOfRoute(route: Resource): string | undefined {
  const target = JSON.stringify(route.Properties.Target);
  const integrationId = /integrations\/","?\{"Ref":"(\w+)"\}/.exec(target)?.[1] ?? /"Ref":"(\w+)"/.exec(target)?.[1];
  const integration = integrationId === undefined ? undefined : resources[integrationId];
  const uri = integration?.Properties.IntegrationUri as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return uri?.['Fn::GetAtt']?.[1] === 'Arn' ? uri['Fn::GetAtt'][0] : undefined;
}

beforeAll(async () => {
  const bundled = await bundledAssembly();
  resources = bundled.template.toJSON().Resources;
  assemblyDir = bundled.dir;
}, SYNTH_TIMEOUT_MS);

describe('the synthesized template for sam local', () => {
  it('marks every function’s code as a bundled asset of the cloud assembly', () => {
    // The methods, the two stream consumers, the expiry sweep and the grace sweep.
    expect(functions()).toHaveLength(methodNames.length + 4);
    for (const [id, fn] of functions()) {
      expect(fn.Metadata?.['aws:asset:property'], id).toBe('Code');
      const assetPath = fn.Metadata?.['aws:asset:path'];
      expect(assetPath, id).toMatch(/^asset\.[0-9a-f]{64}$/);
      expect(existsSync(path.join(assemblyDir, assetPath as string)), id).toBe(true);
    }
  });

  it('has in each asset folder the bundled module its Handler names, exporting that handler', () => {
    for (const [id, fn] of functions()) {
      const handler = fn.Properties.Handler as string;
      const dot = handler.lastIndexOf('.');
      const [moduleName, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
      const folder = path.join(assemblyDir, fn.Metadata?.['aws:asset:path'] as string);
      const file = ['.mjs', '.js', '.cjs'].map((ext) => path.join(folder, `${moduleName}${ext}`)).find((f) => existsSync(f));
      expect(file, `${id}: ${handler} in ${folder}`).toBeDefined();
      const code = readFileSync(file!, 'utf8');
      expect(code, id).toMatch(
        new RegExp(`export\\s*\\{[^}]*\\bas\\s+${exportName}\\b|export\\s+(const|let|var|function)\\s+${exportName}\\b`),
      );
      expect(fn.Properties.Runtime, id).toMatch(/^nodejs\d+\.x$/);
    }
  });

  it('routes every method, by each verb it answers, to a function with a bundled asset', () => {
    const routes = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
    const byKey = new Map(routes.map((route) => [route.Properties.RouteKey as string, functionOfRoute(route)]));
    for (const name of methodNames) {
      const fnId = byKey.get(`POST /im/${name}`);
      expect(fnId, name).toBeDefined();
      expect(resources[fnId!]?.Metadata?.['aws:asset:path'], name).toBeDefined();
    }
  });
});

describe('the committed env file infra/local/sam-env.json', () => {
  const { Parameters: shared, ...perFunction } = JSON.parse(readFileSync(ENV_FILE, 'utf8')) as Record<
    string,
    Record<string, string>
  >;
  const methodFunctionIds = () =>
    functions()
      .filter(([, fn]) => String(fn.Metadata?.['aws:cdk:path']).startsWith('ImGroupStack/Fn_'))
      .map(([id]) => id);
  const declared = (id: string) => Object.keys(resources[id]?.Properties.Environment?.Variables ?? {});

  it('sets the variables every method shares once, under Parameters, and every method declares them', () => {
    expect(methodFunctionIds()).toHaveLength(methodNames.length);
    expect(Object.keys(shared ?? {}).sort()).toEqual(['DYNAMODB_ENDPOINT', 'TABLE_NAME']);
    for (const id of methodFunctionIds()) {
      for (const name of Object.keys(shared ?? {})) expect(declared(id), `${id} ${name}`).toContain(name);
    }
  });

  it('names only method functions by logical id, with variables each declares, since sam local ignores any other', () => {
    for (const [id, values] of Object.entries(perFunction)) {
      expect(methodFunctionIds(), id).toContain(id);
      for (const name of Object.keys(values)) expect(declared(id), `${id} ${name}`).toContain(name);
    }
  });

  it('points every method at the local runtime’s table on DynamoDB Local on the host', () => {
    expect(shared?.TABLE_NAME).toBe(DEFAULT_TABLE);
    expect(shared?.DYNAMODB_ENDPOINT).toMatch(/^http:\/\/host\.docker\.internal:\d+$/);
    for (const [id, values] of Object.entries(perFunction)) {
      expect(values.TABLE_NAME ?? DEFAULT_TABLE, id).toBe(DEFAULT_TABLE);
      expect(values.DYNAMODB_ENDPOINT, id).toBeUndefined();
    }
  });
});
