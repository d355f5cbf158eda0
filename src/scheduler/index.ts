// Public surface of the scheduling core. Everything here is pure: no I/O, no clock, no randomness.
export type * from './types.js';
export { schedule } from './schedule.js';
export { clusterQueueUsage, summarizeQueueUsage, type QueueUsageRow } from './usage-summary.js';
export { parseQuantity, parseQuantityValue, parseResourceList, formatQuantity, QuantityError } from './quantity.js';
export { createSchedulerState, addWorkload, removeWorkload, evictWorkload, setWorkloadPriority, workloadKey, resolveOptions } from './state.js';
export { runAdmissionCycle } from './cycle.js';
export type { SchedulerState } from './internal-types.js';
export { workloadNeverFits } from './diagnose.js';
