import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStack, synthStack } from '../support/synth.ts';

interface Acknowledgment {
  path: string;
  id: string;
  reason: unknown;
  onStack: boolean;
}

/** A finding as `<rule id> <construct path>`, readable in a failed assertion. */
type Finding = string;

let synthesized: SynthesizedStack;

function findings(ignoreAcknowledgments: boolean): Finding[] {
  const pack = new AwsSolutionsChecks();
  // The pack's own lookup of acknowledgments, turned off to see what each one hides.
  if (ignoreAcknowledgments) Object.assign(pack, { isAcknowledged: () => false });
  return pack
    .validateScope(synthesized.app)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`));
}

function acknowledgments(): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  const visit = (node: IConstruct) => {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        // CDK records rule ids under its annotation namespace, the way the pack reads them back.
        const id = qualified.replace(/^annotation::/i, '');
        found.push({ path: node.node.path, id, reason, onStack: Stack.isStack(node) || node.node.scope === undefined });
      }
    }
    for (const child of node.node.children) visit(child);
  };
  visit(synthesized.app);
  return found;
}

beforeAll(() => {
  // Rule checks read the template only, so the functions' code need not be bundled.
  synthesized = synthStack({ bundling: false });
}, 120_000);

describe('cdk-nag AwsSolutions checks', () => {
  it('leave no error or warning unacknowledged', () => {
    expect(findings(false)).toEqual([]);
  });

  it('are acknowledged only on resources, each with a written reason', () => {
    const all = acknowledgments();
    expect(all.length).toBeGreaterThan(0);
    for (const ack of all) {
      expect(ack.onStack, `${ack.id} on ${ack.path}`).toBe(false);
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(typeof ack.reason === 'string' ? ack.reason.length : 0, `${ack.id} on ${ack.path}`).toBeGreaterThan(40);
    }
  });

  it('acknowledge only findings that exist, so none outlives the change that needed it', () => {
    const raw = findings(true);
    for (const ack of acknowledgments()) {
      const hidden = raw.filter((f) => {
        const [, rule, path] = f.split(' ');
        return rule === ack.id && (path === ack.path || path?.startsWith(`${ack.path}/`));
      });
      expect(hidden.length, `${ack.id} on ${ack.path}`).toBeGreaterThan(0);
    }
  });

  it('are fixed rather than acknowledged where a fix is cheap', () => {
    const raw = findings(true);
    // Access logs on the API stage, TLS-only queue and topic, least-privilege function roles.
    for (const rule of [
      'AwsSolutions-APIG1',
      'AwsSolutions-SQS4',
      'AwsSolutions-SNS2',
      'AwsSolutions-SNS3',
      'AwsSolutions-IAM4',
    ]) {
      expect(raw.filter((f) => f.split(' ')[1]?.startsWith(rule))).toEqual([]);
    }
  });
});
