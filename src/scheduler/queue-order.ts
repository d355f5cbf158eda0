// Order of workloads inside a ClusterQueue: Kueue's priority-then-FIFO, plain FIFO, or
// shortest-declared-duration first (for the simulator's sjf policy). Ties break on creation time
// then insertion sequence so the order is total and runs are reproducible.
import type { WlState } from './internal-types.js';
import type { QueueOrder } from './types.js';

/** Comparator for a queue order; negative = a goes first. */
export function queueComparator(order: QueueOrder): (a: WlState, b: WlState) => number {
  if (order === 'fifo') return (a, b) => a.created - b.created || a.seq - b.seq;
  if (order === 'sjf') {
    return (a, b) =>
      (a.durationMs ?? Infinity) - (b.durationMs ?? Infinity) || b.priority - a.priority || a.created - b.created || a.seq - b.seq;
  }
  return (a, b) => b.priority - a.priority || a.created - b.created || a.seq - b.seq;
}

/** Insert into a sorted array keeping it sorted (binary search, stable for equal keys). */
export function insertSorted<T>(arr: T[], item: T, cmp: (a: T, b: T) => number): void {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp(arr[mid], item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, item);
}
