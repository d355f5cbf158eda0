/** Pure reads of a Workload's status for its owner (TrainingJob controller, pipelines, serving). */
import { getCondition } from '../api/conditions.js';
import type { KubeObject } from '../api/meta.js';
import { workloadPhase, type WorkloadAdmission, type WorkloadStatus } from '../api/kinds/workload.js';

export { workloadPhase };

function status(wl: KubeObject): WorkloadStatus {
  return (wl.status ?? {}) as WorkloadStatus;
}

/** True when the workload holds quota and may run: admitted, not being evicted, not finished. */
export function isAdmitted(wl: KubeObject): boolean {
  return workloadPhase(wl) === 'Admitted';
}

/** True when the queue asked for the workload to stop (preempted or its node failed): the owner must stop its processes, then call releaseEvictedWorkload. */
export function isEvictionRequested(wl: KubeObject): boolean {
  return workloadPhase(wl) === 'Evicting';
}

/** True once the owner marked it Finished. */
export function isFinished(wl: KubeObject): boolean {
  return workloadPhase(wl) === 'Finished';
}

/** The admission (ClusterQueue, flavors, nodes, GPU indices), when admitted or evicting. */
export function workloadAdmission(wl: KubeObject): WorkloadAdmission | undefined {
  return status(wl).admission;
}

/** Where each pod of a podSet runs: `[{node, gpus}]` in pod order (empty when not admitted or unknown). */
export function podSetPlacements(wl: KubeObject, podSet: string): { node: string; gpus: number[] }[] {
  return status(wl).admission?.podSetAssignments.find((p) => p.name === podSet)?.placements ?? [];
}

/** Why the queue stopped the workload (the Evicted condition's message), if it did. */
export function evictionMessage(wl: KubeObject): string | undefined {
  const c = getCondition(status(wl).conditions, 'Evicted');
  return c?.status === 'True' ? c.message : undefined;
}

/**
 * One sentence for a pending workload, for the owner's own status: why it waits, its position and
 * estimated start ("Pending in ClusterQueue research (position 3): waiting for ...; estimated start 2025-...").
 * Empty when the workload is not pending.
 */
export function workloadPendingMessage(wl: KubeObject): string {
  const phase = workloadPhase(wl);
  if (phase === 'Evicting') return `Stopping: ${evictionMessage(wl) ?? 'evicted by the queue'}`;
  if (phase !== 'Pending') return '';
  const p = status(wl).pending;
  if (!p) return `Waiting for the queue to consider workload ${wl.metadata.name}`;
  const where = p.clusterQueue ? ` in ClusterQueue ${p.clusterQueue}` : '';
  const pos = p.position ? ` (position ${p.position})` : '';
  const eta = p.estimatedStart ? `; estimated start ${p.estimatedStart}` : '';
  return `Pending${where}${pos}: ${p.message}${eta}`;
}

/** The reason code of a pending workload (QuotaExceeded, NoNodeFits, ...), or undefined. */
export function workloadPendingReason(wl: KubeObject): string | undefined {
  return workloadPhase(wl) === 'Pending' ? status(wl).pending?.reason : undefined;
}
