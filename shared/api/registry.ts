import type { MethodDef } from '#shared/api/method-def.ts';
import { groupMethods } from '#shared/api/methods/groups.ts';
import { inviteLinkMethods } from '#shared/api/methods/invite-links.ts';
import { managementMethods } from '#shared/api/methods/management.ts';
import { moderationMethods } from '#shared/api/methods/moderation.ts';
import { walletMethods } from '#shared/api/methods/wallet.ts';

/**
 * The one registry of `im/*` methods. The CDK stack makes a function and routes per entry, the
 * local runtime serves the same entries, and the handler of `name` lives at `functions/im/<name>.ts`.
 */
export const METHODS = {
  ...groupMethods,
  ...managementMethods,
  ...moderationMethods,
  ...inviteLinkMethods,
  ...walletMethods,
} as const;

export type MethodName = keyof typeof METHODS;

export const methodNames = Object.keys(METHODS) as MethodName[];

export const isMethodName = (name: string): name is MethodName => Object.hasOwn(METHODS, name);

export const methodDef = (name: MethodName): MethodDef => METHODS[name];

/** Where a method's handler module lives, relative to the project root. */
export const handlerEntry = (name: MethodName): string => `functions/im/${name}.ts`;

/** The stream's fan-out to RongCloud, relative to the project root. */
export const FANOUT_ENTRY = 'functions/fanout.ts';
/** The stream's other consumer: the table's own upkeep after each change (folds, postings, clean-up, holdings). */
export const UPKEEP_ENTRY = 'functions/upkeep.ts';
/** The scheduled sweep of ended grace periods (holdings re-checked when they change). */
export const GRACE_SWEEP_ENTRY = 'functions/holdings-sweep.ts';

/** The subscription expiry sweep's module, run on a schedule in AWS and on a timer locally. */
export const SWEEP_ENTRY = 'functions/sweep.ts';

/** How often the expiry sweep runs in AWS: a lapsed membership is removed within this much time. */
export const SWEEP_EVERY_MINUTES = 5;
