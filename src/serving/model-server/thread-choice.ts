/**
 * The default intra-op thread count. Rule: a replica may use `cpuBudget` cores (the machine's, or
 * its share when several replicas run on one machine); one of them is left to the event loop
 * (parsing, encoding, writing), so onnxruntime gets at most cpuBudget - 1, and at least 1. Within
 * that, a load-time calibration picks the fewest threads whose full-batch rows/s is within
 * THREAD_TOLERANCE of the best (more threads that do not pay take cores from I/O and other
 * replicas). On 2 cores this is always 1 thread, which measured 1.9-2.7x faster under concurrent
 * load than 2. Pure.
 */

/** A thread count within this fraction of the best throughput counts as good as the best. */
export const THREAD_TOLERANCE = 0.1;

/** Thread counts worth calibrating for a budget: 1, powers of two, and the largest allowed. */
export function threadCandidates(cpuBudget: number): number[] {
  const max = Math.max(1, Math.floor(cpuBudget) - 1);
  const out = new Set<number>([1]);
  for (let t = 2; t < max; t *= 2) out.add(t);
  out.add(max);
  return [...out].sort((a, b) => a - b);
}

/** A calibrated candidate. */
export interface ThreadTrial {
  threads: number;
  /** Rows/s at the calibration's largest batch. */
  rowsPerSec: number;
}

/** Fewest threads within THREAD_TOLERANCE of the best rows/s. */
export function chooseThreads(trials: readonly ThreadTrial[]): number {
  if (trials.length === 0) return 1;
  const best = Math.max(...trials.map((t) => t.rowsPerSec));
  const ok = trials.filter((t) => t.rowsPerSec >= best * (1 - THREAD_TOLERANCE)).map((t) => t.threads);
  return Math.min(...ok);
}
