/**
 * Mean run time per ClusterQueue learned from finished workloads (admitted → Finished), so
 * start estimates exist even when workloads declare no duration. Pure.
 */
import { getCondition } from '../api/conditions.js';
import type { KubeObject } from '../api/meta.js';
import type { WorkloadStatus } from '../api/kinds/workload.js';

/** How many of the most recent finished workloads per queue the mean is taken over. */
export const LEARNED_DURATION_WINDOW = 50;

/** ClusterQueue name → mean ms from quota reservation to Finished, over its latest finished workloads. */
export function learnedMeanDurations(workloads: KubeObject[]): Record<string, number> {
  const samples = new Map<string, { end: number; ms: number }[]>();
  for (const w of workloads) {
    const st = (w.status ?? {}) as WorkloadStatus;
    const fin = getCondition(st.conditions, 'Finished');
    const res = getCondition(st.conditions, 'QuotaReserved');
    const cq = st.admission?.clusterQueue;
    if (!cq || fin?.status !== 'True' || fin.reason !== 'Succeeded' || res?.status !== 'True' || !fin.lastTransitionTime || !res.lastTransitionTime) continue;
    const end = Date.parse(fin.lastTransitionTime);
    const ms = end - Date.parse(res.lastTransitionTime);
    if (!(ms >= 0)) continue;
    const list = samples.get(cq) ?? [];
    list.push({ end, ms });
    samples.set(cq, list);
  }
  const out: Record<string, number> = {};
  for (const [cq, list] of samples) {
    const recent = list.sort((a, b) => b.end - a.end).slice(0, LEARNED_DURATION_WINDOW);
    out[cq] = Math.round(recent.reduce((s, x) => s + x.ms, 0) / recent.length);
  }
  return out;
}
