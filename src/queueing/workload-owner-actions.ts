/**
 * What a Workload's owner writes back: "my processes have stopped after an eviction" (the
 * workload returns to its queue) and "finished" (its quota is released for good).
 */
import { setCondition } from '../api/conditions.js';
import type { KubeObject } from '../api/meta.js';
import { WorkloadKind, type WorkloadStatus } from '../api/kinds/workload.js';
import type { ResourceClient } from '../client/resource-client.js';

/** Status after the owner stopped an evicted workload: no admission, quota released, pending again. */
export function releasedStatus(cur: WorkloadStatus, now: Date, message: string): WorkloadStatus {
  const ts = now.toISOString();
  let conditions = setCondition(cur.conditions, { type: 'QuotaReserved', status: 'False', reason: 'Pending', message }, ts);
  conditions = setCondition(conditions, { type: 'Admitted', status: 'False', reason: 'Pending', message }, ts);
  const { admission: _a, ...rest } = cur;
  return { ...rest, requeueCount: (cur.requeueCount ?? 0) + 1, conditions };
}

/** Call after stopping every process of an evicted workload: it goes back to its queue. Idempotent. */
export async function releaseEvictedWorkload(client: ResourceClient, namespace: string, name: string, now: () => Date = () => new Date()): Promise<KubeObject | undefined> {
  for (let i = 0; i < 8; i++) {
    const cur = await client.tryGet(WorkloadKind, namespace, name);
    if (!cur) return undefined;
    const st = (cur.status ?? {}) as WorkloadStatus;
    if (!st.admission) return cur;
    try {
      return await client.updateStatus(WorkloadKind, { ...cur, status: releasedStatus(st, now(), 'Evicted; requeued after the owner stopped it') });
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'Conflict') throw err;
    }
  }
  throw new Error(`could not release workload ${namespace}/${name}: too many conflicts`);
}

/** Marks the workload Finished (succeeded or failed); the queue frees its quota at once. Idempotent. */
export async function markWorkloadFinished(client: ResourceClient, namespace: string, name: string, result: { succeeded: boolean; message?: string }, now: () => Date = () => new Date()): Promise<KubeObject | undefined> {
  for (let i = 0; i < 8; i++) {
    const cur = await client.tryGet(WorkloadKind, namespace, name);
    if (!cur) return undefined;
    const st = (cur.status ?? {}) as WorkloadStatus;
    if (st.conditions?.some((c) => c.type === 'Finished' && c.status === 'True')) return cur;
    const conditions = setCondition(st.conditions, {
      type: 'Finished', status: 'True', reason: result.succeeded ? 'Succeeded' : 'Failed', message: result.message ?? (result.succeeded ? 'the workload succeeded' : 'the workload failed'),
    }, now().toISOString());
    try {
      return await client.updateStatus(WorkloadKind, { ...cur, status: { ...st, conditions } });
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'Conflict') throw err;
    }
  }
  throw new Error(`could not mark workload ${namespace}/${name} finished: too many conflicts`);
}
