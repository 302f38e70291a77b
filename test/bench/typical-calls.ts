import type { MethodName } from '#shared/api/registry.ts';
import type { RecordedCall } from './capacity-meter.ts';

/**
 * What the capacity phase hands the CPU phase: each typical call with the requests it made and
 * the replies it got. Replies name the table (BatchGet answers per table), so the CPU phase's
 * handlers must believe they use the same one.
 */
export interface TypicalCall {
  method: MethodName;
  label: string;
  params: Record<string, string | number>;
  calls: RecordedCall[];
}

export const CAPACITY_TABLE = 'bench-capacity';
export const TYPICAL_CALLS_FILE = 'capacity-calls.bin';
