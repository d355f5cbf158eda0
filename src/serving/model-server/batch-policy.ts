/**
 * The dynamic batcher's policy as a pure function: given the queue and the time, what to dispatch,
 * what has expired, and when to look again. No clock, timers or I/O here; the driver does those.
 */

/** What the policy sees of one queued request. */
export interface QueuedRequestView {
  /** Requests batch together only when their keys are equal (same non-batch dims). */
  key: string;
  /** Rows (size of the batch dim) this request contributes. */
  rows: number;
  enqueuedAt: number;
  /** Absolute time after which the request times out; Infinity for none. */
  deadline: number;
}

/** Batching knobs, Triton's names in milliseconds. */
export interface BatchPolicyConfig {
  /** 0 = the model does not batch: one request per dispatch. */
  maxBatchSize: number;
  /** Ascending. */
  preferredBatchSizes: readonly number[];
  maxQueueDelayMs: number;
}

/** The policy's decision. Indices refer to the queue passed in. */
export interface BatchDecision {
  /** Requests to run now as one batch, in queue order (empty = nothing to run). */
  dispatch: number[];
  /** Requests whose deadline passed; answer them with a timeout. */
  expired: number[];
  /** When to decide again if nothing else happens (undefined = only on new arrivals). */
  wakeAt?: number;
}

/** Decides the next batch. `busy` = the model is executing and cannot take a batch now. */
export function decideBatch(
  queue: readonly QueuedRequestView[],
  now: number,
  busy: boolean,
  cfg: BatchPolicyConfig,
): BatchDecision {
  const expired: number[] = [];
  const live: number[] = [];
  let nextDeadline = Infinity;
  for (let i = 0; i < queue.length; i++) {
    if (queue[i].deadline <= now) expired.push(i);
    else {
      live.push(i);
      if (queue[i].deadline < nextDeadline) nextDeadline = queue[i].deadline;
    }
  }
  const wake = (t: number): number | undefined => (Number.isFinite(t) ? t : undefined);
  if (live.length === 0) return { dispatch: [], expired };
  if (busy) return { dispatch: [], expired, wakeAt: wake(nextDeadline) };
  if (cfg.maxBatchSize <= 0) return { dispatch: [live[0]], expired };

  const head = queue[live[0]];
  const gathered: number[] = [];
  let rows = 0;
  for (const i of live) {
    const q = queue[i];
    if (q.key !== head.key) continue;
    // FIFO within a key: stop at the first request that no longer fits.
    if (rows + q.rows > cfg.maxBatchSize) break;
    gathered.push(i);
    rows += q.rows;
  }
  if (rows >= cfg.maxBatchSize) return { dispatch: gathered, expired };

  const prefs = cfg.preferredBatchSizes;
  const largestPref = prefs.length > 0 ? prefs[prefs.length - 1] : undefined;
  if (largestPref !== undefined && rows >= largestPref) {
    return { dispatch: longestPrefixWithin(queue, gathered, largestPref), expired };
  }
  const delayEnds = head.enqueuedAt + cfg.maxQueueDelayMs;
  if (now >= delayEnds) return { dispatch: gathered, expired };
  return { dispatch: [], expired, wakeAt: Math.min(delayEnds, nextDeadline) };
}

function longestPrefixWithin(queue: readonly QueuedRequestView[], gathered: number[], limit: number): number[] {
  const out: number[] = [];
  let rows = 0;
  for (const i of gathered) {
    if (rows + queue[i].rows > limit) break;
    out.push(i);
    rows += queue[i].rows;
  }
  // A single request larger than the preferred size still has to run.
  return out.length > 0 ? out : [gathered[0]];
}
