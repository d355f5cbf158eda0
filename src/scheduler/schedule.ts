// The pure entry point: snapshot + time in, decisions out. Builds a fresh working state each call,
// so the caller's snapshot is never mutated and equal inputs give equal outputs.
import type { ScheduleDecisions, ScheduleOptions, SchedulerSnapshot } from './types.js';
import { createSchedulerState } from './state.js';
import { runAdmissionCycle } from './cycle.js';

/** Run one admission cycle over a snapshot at time `now` (epoch ms). */
export function schedule(snapshot: SchedulerSnapshot, now: number, options?: ScheduleOptions): ScheduleDecisions {
  return runAdmissionCycle(createSchedulerState(snapshot, options), now);
}
