import type { MethodName } from '#shared/api/registry.ts';
import type { RecordedCall } from './capacity-meter.ts';

/**
 * What the capacity phase hands the CPU phase: each typical call with the requests it made and
 * the whole table as it was just before (a few hundred items), so the CPU phase can run the call
 * again and again from the same state on a table of the same name.
 */
export interface TypicalCall {
  method: MethodName;
  label: string;
  params: Record<string, string | number>;
  calls: RecordedCall[];
  before: Record<string, unknown>[];
}

export const CAPACITY_TABLE = 'bench-capacity';
export const TYPICAL_CALLS_FILE = 'capacity-calls.bin';
