// Quota arithmetic of ClusterQueues and cohorts (Kueue semantics):
// a queue may use its nominal quota, plus borrow from its cohort's lendable pool up to its
// borrowingLimit; lendingLimit keeps part of a queue's nominal quota (nominal − lendingLimit,
// the "guaranteed" part) out of the pool.
import type { CQState, CohortState, SchedulerState } from './internal-types.js';

/** Quota this queue can still take for a flavor×resource key right now (may be ≤ 0). */
export function available(cq: CQState, key: number): number {
  if (!cq.has[key]) return 0;
  const usage = cq.usage[key];
  const co = cq.cohort;
  if (!co) return cq.nominal[key] - usage;
  const guaranteed = cq.nominal[key] - cq.lendable[key];
  const localFree = Math.max(0, guaranteed - usage);
  const cohortFree = co.pool[key] - co.poolUsage[key];
  const byLimit = cq.nominal[key] + cq.borrowLimit[key] - usage;
  return Math.min(byLimit, localFree + cohortFree);
}

/** The most this queue could ever hold for a key if the whole cohort lent to it. */
export function maxCapacity(cq: CQState, key: number): number {
  if (!cq.has[key]) return 0;
  const co = cq.cohort;
  if (!co) return cq.nominal[key];
  const othersLendable = co.pool[key] - cq.lendable[key];
  return cq.nominal[key] + Math.min(cq.borrowLimit[key], Math.max(0, othersLendable));
}

/** Add (or with a negative amount, release) usage of a key, keeping the cohort pool in step. */
export function addUsage(cq: CQState, key: number, amount: number): void {
  const before = cq.usage[key];
  const after = before + amount;
  cq.usage[key] = after;
  const co = cq.cohort;
  if (co) {
    const g = cq.nominal[key] - cq.lendable[key];
    co.poolUsage[key] += Math.max(0, after - g) - Math.max(0, before - g);
  }
}

/** Whether the queue uses more than its nominal quota for a key. */
export function isBorrowing(cq: CQState, key: number): boolean {
  return cq.usage[key] > cq.nominal[key];
}

/**
 * Weighted dominant resource share (Kueue fair sharing): for each resource, what the queue borrows
 * above nominal across flavors divided by what the cohort can lend of it; the max, ×1000 / weight.
 * `extra` adds a prospective workload's usage (key, amount) pairs (negative to take one away).
 */
export function dominantShare(state: SchedulerState, cq: CQState, extra?: [number, number][]): number {
  const co = cq.cohort;
  if (!co) return 0;
  const R = state.R;
  const borrowed = state.scratchR;
  borrowed.fill(0);
  const keys = cq.quotaKeys;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let u = cq.usage[key];
    if (extra) for (let j = 0; j < extra.length; j++) if (extra[j][0] === key) u += extra[j][1];
    if (u > cq.nominal[key]) borrowed[key % R] += u - cq.nominal[key];
  }
  return shareOfBorrowed(state, co, cq);
}

/** `dominantShare` of the queue with the given admitted parts taken away (allocation-free form for the victim search). */
export function dominantShareWithout(state: SchedulerState, cq: CQState, parts: { usage: [number, number][] }[]): number {
  const co = cq.cohort;
  if (!co) return 0;
  const R = state.R;
  const borrowed = state.scratchR;
  borrowed.fill(0);
  const keys = cq.quotaKeys;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    let u = cq.usage[key];
    for (let p = 0; p < parts.length; p++) {
      const usage = parts[p].usage;
      for (let j = 0; j < usage.length; j++) if (usage[j][0] === key) u -= usage[j][1];
    }
    if (u > cq.nominal[key]) borrowed[key % R] += u - cq.nominal[key];
  }
  return shareOfBorrowed(state, co, cq);
}

/** The weighted dominant share from `state.scratchR` (borrowed per resource). */
function shareOfBorrowed(state: SchedulerState, co: CohortState, cq: CQState): number {
  const borrowed = state.scratchR;
  let worst = 0;
  for (let r = 0; r < state.R; r++) {
    if (borrowed[r] <= 0) continue;
    const denom = co.lendablePerResource[r];
    const ratio = denom > 0 ? borrowed[r] / denom : Infinity;
    if (ratio > worst) worst = ratio;
  }
  if (worst === 0) return 0;
  return cq.weight > 0 ? (worst * 1000) / cq.weight : Infinity;
}

/** Build a cohort's pools from its members' quotas. */
export function buildCohort(name: string, members: CQState[], R: number, size: number): CohortState {
  const co: CohortState = {
    name,
    members,
    pool: new Float64Array(size),
    poolUsage: new Float64Array(size),
    lendablePerResource: new Float64Array(R),
  };
  for (const m of members) {
    m.cohort = co;
    for (let key = 0; key < size; key++) {
      if (!m.has[key]) continue;
      co.pool[key] += m.lendable[key];
      co.lendablePerResource[key % R] += m.lendable[key];
    }
  }
  return co;
}
