// Per flavor × resource view of a ClusterQueue: quota, what it uses, what it borrows or lends,
// and what it could still take. Feeds `capstan queues describe`, the dashboard and metrics.
import type { SchedulerState } from './internal-types.js';
import type { ScheduleOptions, SchedulerSnapshot } from './types.js';
import { available } from './quota.js';
import { createSchedulerState } from './state.js';

/** One row of a ClusterQueue usage summary (integers in the resource's base unit). */
export interface QueueUsageRow {
  flavor: string;
  resource: string;
  nominalQuota: number;
  borrowingLimit?: number;
  lendingLimit?: number;
  usage: number;
  /** Usage above nominal, taken from the cohort. */
  borrowed: number;
  /** Unused nominal quota currently lent to others in the cohort. */
  lent: number;
  /** What this queue could still admit now (own free quota plus what the cohort can lend). */
  available: number;
}

/** Usage vs quota vs borrowed for each flavor and resource of a ClusterQueue in a working state. */
export function summarizeQueueUsage(state: SchedulerState, clusterQueue: string): QueueUsageRow[] {
  const cq = state.cqByName.get(clusterQueue);
  if (!cq) return [];
  const rows: QueueUsageRow[] = [];
  for (const g of cq.spec.resourceGroups) for (const fq of g.flavors) for (const rq of fq.resources) {
    const f = state.flavorIdx.get(fq.name);
    const r = state.resIdx.get(rq.name);
    if (f === undefined || r === undefined) continue;
    const key = f * state.R + r;
    const usage = cq.usage[key];
    let lent = 0;
    if (cq.cohort) {
      // The pool is used first by members beyond their guaranteed part; attribute proportionally.
      const unusedLendable = Math.max(0, Math.min(cq.lendable[key], cq.nominal[key] - usage));
      const co = cq.cohort;
      const borrowedByOthers = co.members.reduce((s, m) => s + (m === cq ? 0 : Math.max(0, m.usage[key] - m.nominal[key])), 0);
      const othersUnused = co.members.reduce((s, m) => s + (m === cq ? 0 : Math.max(0, Math.min(m.lendable[key], m.nominal[key] - m.usage[key]))), 0);
      const total = unusedLendable + othersUnused;
      lent = total > 0 ? Math.round((borrowedByOthers * unusedLendable) / total) : 0;
    }
    rows.push({
      flavor: fq.name, resource: rq.name, nominalQuota: rq.nominalQuota, borrowingLimit: rq.borrowingLimit, lendingLimit: rq.lendingLimit,
      usage, borrowed: Math.max(0, usage - cq.nominal[key]), lent, available: Math.max(0, available(cq, key)),
    });
  }
  return rows;
}

/** Same summary straight from a snapshot (pure; builds a working state). */
export function clusterQueueUsage(snapshot: SchedulerSnapshot, clusterQueue: string, options?: ScheduleOptions): QueueUsageRow[] {
  return summarizeQueueUsage(createSchedulerState(snapshot, { ...options, explain: false }), clusterQueue);
}
