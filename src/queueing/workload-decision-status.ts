/**
 * The scheduling core's decisions → Workload statuses. Pure (time passed in); each function
 * returns the next status, or undefined when nothing would change, so the admission controller
 * writes only real changes.
 */
import { setCondition } from '../api/conditions.js';
import type { WorkloadStatus } from '../api/kinds/workload.js';
import { formatQuantity } from '../scheduler/quantity.js';
import type { AdmissionDecision, EvictionDecision, PendingInfo, PreemptionDecision } from '../scheduler/types.js';
import { canonicalEqual } from './status-equality.js';

/** Estimated starts closer than this to the recorded one are not rewritten (they drift with time). */
export const ETA_TOLERANCE_MS = 60_000;

/** Status of a workload the core just admitted: admission (quantities as strings) and QuotaReserved/Admitted True. */
export function admittedStatus(cur: WorkloadStatus, dec: AdmissionDecision, priority: number, now: string): WorkloadStatus {
  const cq = dec.admission.clusterQueue;
  const msg = `Quota reserved in ClusterQueue ${cq}${dec.borrowing ? ' (borrowing from its cohort)' : ''}`;
  let conditions = setCondition(cur.conditions, { type: 'QuotaReserved', status: 'True', reason: 'QuotaReserved', message: msg }, now);
  conditions = setCondition(conditions, { type: 'Admitted', status: 'True', reason: 'Admitted', message: `The workload is admitted by ClusterQueue ${cq}` }, now);
  for (const type of ['Evicted', 'Preempted']) {
    if (conditions.some((c) => c.type === type && c.status === 'True')) conditions = setCondition(conditions, { type, status: 'False', reason: 'QuotaReserved', message: 'Admitted again' }, now);
  }
  const { pending: _p, ...rest } = cur;
  return {
    ...rest,
    priority,
    admission: {
      clusterQueue: cq,
      podSetAssignments: dec.admission.podSetAssignments.map((p) => ({
        name: p.name,
        flavors: p.flavors,
        count: p.count,
        resourceUsage: Object.fromEntries(Object.entries(p.resourceUsage).map(([r, a]) => [r, formatQuantity(a, r)])),
        ...(p.placements ? { placements: p.placements } : {}),
      })),
    },
    conditions,
  };
}

/** Status of a workload still waiting: reason, position, estimated start; undefined when unchanged. */
export function pendingStatus(cur: WorkloadStatus, info: PendingInfo, priority: number, now: string): WorkloadStatus | undefined {
  let estimatedStart = info.estimatedStart !== undefined ? new Date(info.estimatedStart).toISOString() : undefined;
  const prevEta = cur.pending?.estimatedStart ? Date.parse(cur.pending.estimatedStart) : undefined;
  if (estimatedStart && prevEta !== undefined && Math.abs(Date.parse(estimatedStart) - prevEta) < ETA_TOLERANCE_MS) estimatedStart = cur.pending?.estimatedStart;
  const pending = {
    reason: info.reason,
    message: info.message,
    ...(info.position ? { position: info.position } : {}),
    ...(info.clusterQueue ? { clusterQueue: info.clusterQueue } : {}),
    ...(estimatedStart ? { estimatedStart } : {}),
  };
  const conditions = setCondition(cur.conditions, { type: 'QuotaReserved', status: 'False', reason: info.reason, message: info.message }, now);
  const next: WorkloadStatus = { ...cur, priority, pending, conditions };
  return canonicalEqual(cur, next) ? undefined : next;
}

/** What evicting a workload says and why. */
export interface EvictionCause {
  /** Evicted condition reason: Preempted or NodeFailure. */
  reason: 'Preempted' | 'NodeFailure';
  /** Preempted condition reason (InClusterQueue, InCohortReclamation, ...) for preemptions. */
  preemptionReason?: string;
  message: string;
}

/** The eviction cause of a preemption decision, with a message naming the preemptor and why. */
export function preemptionCause(d: PreemptionDecision): EvictionCause {
  const why: Record<PreemptionDecision['reason'], string> = {
    InClusterQueue: 'a higher-priority workload in the same ClusterQueue needs its quota',
    InCohortReclamation: 'its ClusterQueue borrowed quota that the lending ClusterQueue reclaims',
    InCohortReclaimWhileBorrowing: 'a higher-priority workload borrowing in the cohort needs its quota',
    InCohortFairSharing: 'its ClusterQueue is above its fair share of the cohort',
  };
  return { reason: 'Preempted', preemptionReason: d.reason, message: `Preempted by ${d.preemptor.namespace}/${d.preemptor.name}: ${why[d.reason]} (${d.message})` };
}

/** The eviction cause of a node failure. */
export function nodeFailureCause(d: EvictionDecision): EvictionCause {
  return { reason: 'NodeFailure', message: d.message };
}

/** Status of a workload asked to stop: Evicted (and Preempted) True; the admission stays until its owner stops it. */
export function evictedStatus(cur: WorkloadStatus, cause: EvictionCause, now: string): WorkloadStatus {
  let conditions = setCondition(cur.conditions, { type: 'Evicted', status: 'True', reason: cause.reason, message: cause.message }, now);
  if (cause.preemptionReason) conditions = setCondition(conditions, { type: 'Preempted', status: 'True', reason: cause.preemptionReason, message: cause.message }, now);
  return { ...cur, conditions };
}
