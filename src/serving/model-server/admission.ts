/**
 * Admission by expected wait: a request is accepted only if the work queued ahead of it (at its
 * priority or higher) plus what is computing now is expected to finish within its queue budget.
 * Rejected requests are answered at once (503 + Retry-After / gRPC UNAVAILABLE) instead of waiting
 * to time out. Also the default budget when the config sets none. Pure: time and estimates come in.
 */
import { estimateComputeMs, type ComputeProfile } from './compute-profile.js';

/** The default queue budget is this many times the compute time of a full batch... */
export const DEFAULT_BUDGET_BATCHES = 3;
/** ...and never below this (timer granularity, GC pauses and event-loop jitter are of this order). */
export const MIN_DEFAULT_BUDGET_MS = 2;

/**
 * Default queue budget of a model: the configured batching delay plus DEFAULT_BUDGET_BATCHES × t(full
 * batch), the latter at least MIN_DEFAULT_BUDGET_MS.
 */
export function defaultQueueBudgetMs(profile: ComputeProfile, maxBatchSize: number, maxQueueDelayMs = 0): number {
  return maxQueueDelayMs + Math.max(MIN_DEFAULT_BUDGET_MS, DEFAULT_BUDGET_BATCHES * estimateComputeMs(profile, Math.max(1, maxBatchSize)));
}

/** Slack added to an automatic budget before a queued request expires (stalls, mis-estimates). */
export const AUTO_EXPIRY_SLACK_MS = 100;

/**
 * When a request admitted under an automatic budget expires in the queue: admission already keeps
 * the wait near the budget, so expiry is only a backstop (a descheduled process or a compute time
 * that jumped must not turn every queued request into a 503): 4 × budget + AUTO_EXPIRY_SLACK_MS.
 */
export function autoExpiryMs(budgetMs: number): number {
  return 4 * budgetMs + AUTO_EXPIRY_SLACK_MS;
}

/** What admission sees. */
export interface AdmissionView {
  /** Rows queued at the request's priority or higher, ahead of it. */
  rowsAhead: number;
  /** Requests queued ahead (for models that do not batch: one run each). */
  requestsAhead: number;
  /** Expected remaining time of the batch computing now (0 when idle). */
  busyRemainingMs: number;
  /** 0 = no batching. */
  maxBatchSize: number;
  profile: ComputeProfile;
}

/** Expected time until the request's batch starts. */
export function expectedWaitMs(v: AdmissionView, rows: number): number {
  if (v.maxBatchSize <= 0) return v.busyRemainingMs + v.requestsAhead * estimateComputeMs(v.profile, 1);
  // Batches that must run before the one this request joins, each as full as the limit allows.
  const fullAhead = Math.floor((v.rowsAhead + rows - 1) / v.maxBatchSize);
  if (fullAhead <= 0) return v.busyRemainingMs;
  return v.busyRemainingMs + fullAhead * estimateComputeMs(v.profile, v.maxBatchSize);
}

/** Whether to admit: expected wait within the budget (budget ≤ 0 or Infinity = always). */
export function admit(v: AdmissionView, rows: number, budgetMs: number): boolean {
  if (!(budgetMs > 0) || !Number.isFinite(budgetMs)) return true;
  return expectedWaitMs(v, rows) <= budgetMs;
}
