// Why a podSet has no node, in numbers, and whether it could ever have one. `diagnoseNodes` walks
// the nodes of the podSet's flavors and counts which ones the pod's nodeSelector or an untolerated
// taint excluded, which resource the rest lack, how many of the gang's pods fit in all, and the
// closest node's free resources. `neverFitsNodes` asks the same of the nodes' full allocatable
// capacity (every node empty): if even then the gang has no room, waiting cannot help.
// Both only run on the failure path; never-fit verdicts are cached per (pool, podSet shape).
import type { CQState, NodeState, PodSetState, Pool, SchedulerState } from './internal-types.js';
import type { Taint, Toleration } from './types.js';
import { podSetCombos, quotaNever, quotaNeverMessage, type Combo } from './flavor-assign.js';
import { findWorkload } from './state.js';
import { poolFor } from './node-index.js';
import { podTolerations } from './preemption.js';
import { formatSelector, formatTaint, matchesNodeSelector, untoleratedTaint } from './node-matching.js';
import { formatQuantity } from './quantity.js';

/** What the nodes of a pool say about one podSet. */
export interface NodeDiagnosis {
  /** Usable nodes carrying the flavors' labels (all of them are checked). */
  checked: number;
  /** Cordoned or NotReady nodes carrying the flavors' labels (take nothing new). */
  unusable: number;
  /** Excluded by the podSet's nodeSelector. */
  bySelector: number;
  /** Excluded by a taint the pod (with its flavors' tolerations) does not tolerate. */
  byTaint: number;
  /** The most frequent excluding taint, kubectl-style. */
  taint?: string;
  /** Nodes left after selector and taints. */
  eligible: number;
  /** Eligible nodes with room for one pod now. */
  fitOne: number;
  /** Pods of the podSet that fit now, each node counted alone (capped at the podSet's count). */
  podsNow: number;
  /** resource index → eligible nodes too short of it for one pod. */
  shortOf: Map<number, number>;
  /** resource index → free amount summed over eligible nodes (to tell fragmentation from scarcity). */
  totalFree: Map<number, number>;
  /** The eligible node nearest to taking the gang (most pods, then smallest relative shortfall). */
  closest?: NodeState;
}

function podsOn(amounts: Float64Array, ps: PodSetState): number {
  let k = Infinity;
  for (const [r, a] of ps.req) {
    if (a <= 0) continue;
    const f = Math.floor(amounts[r] / a);
    if (f < k) k = f;
    if (k <= 0) return 0;
  }
  return k;
}

/** Count nodes by what stops them taking a pod of `ps` (selector, taint, capacity). O(nodes of the pool). */
export function diagnoseNodes(state: SchedulerState, pool: Pool, flavors: number[], ps: PodSetState, tolerations: Toleration[] | undefined): NodeDiagnosis {
  const d: NodeDiagnosis = { checked: pool.nodes.length, unusable: 0, bySelector: 0, byTaint: 0, eligible: 0, fitOne: 0, podsNow: 0, shortOf: new Map(), totalFree: new Map() };
  for (const n of state.unusableNodes) {
    if (flavors.every((f) => matchesNodeSelector(n.spec.labels, state.flavors[f].nodeLabels))) d.unusable++;
  }
  const sel = ps.spec.nodeSelector;
  const taints = new Map<string, number>();
  let best = -Infinity;
  for (const n of pool.nodes) {
    if (sel && !matchesNodeSelector(n.spec.labels, sel)) { d.bySelector++; continue; }
    const t: Taint | undefined = untoleratedTaint(n.spec.taints, tolerations);
    if (t) { d.byTaint++; const s = formatTaint(t); taints.set(s, (taints.get(s) ?? 0) + 1); continue; }
    d.eligible++;
    let deficit = 0;
    for (const [r, a] of ps.req) {
      if (a <= 0) continue;
      d.totalFree.set(r, (d.totalFree.get(r) ?? 0) + Math.max(0, n.free[r]));
      if (n.free[r] < a) { d.shortOf.set(r, (d.shortOf.get(r) ?? 0) + 1); deficit += (a - Math.max(0, n.free[r])) / a; }
    }
    const k = Math.min(ps.count, podsOn(n.free, ps));
    if (k > 0) d.fitOne++;
    d.podsNow = Math.min(ps.count, d.podsNow + k);
    const score = k * 1e6 - deficit;
    if (score > best) { best = score; d.closest = n; }
  }
  let most = 0;
  for (const [s, c] of taints) if (c > most) { most = c; d.taint = s; }
  return d;
}

/** "podSet main (3 × 4 nvidia.com/gpu, 1 cpu)". */
export function podSetLabel(state: SchedulerState, ps: PodSetState): string {
  const req = ps.req.map(([r, a]) => `${formatQuantity(a, state.resources[r])} ${state.resources[r]}`).join(', ');
  return `podSet ${ps.spec.name} (${ps.count} × ${req || 'no resources'})`;
}

export function flavorNames(state: SchedulerState, flavors: number[]): string {
  return flavors.length === 0 ? 'any (it requests no resources)' : [...new Set(flavors)].map((f) => state.flavors[f].name).join('+');
}

function exclusions(d: NodeDiagnosis, ps: PodSetState): string[] {
  const out: string[] = [];
  if (d.bySelector > 0) out.push(`${d.bySelector} excluded by nodeSelector ${formatSelector(ps.spec.nodeSelector ?? {})}`);
  if (d.byTaint > 0) out.push(`${d.byTaint} by untolerated taint ${d.taint}${d.byTaint > 1 && d.taint ? ' (or others)' : ''}`);
  return out;
}

/** The diagnosis as one clause: "checked 8 nodes of flavor h100: 2 excluded by ...; closest node n3 has ... free". */
export function describeNodes(state: SchedulerState, d: NodeDiagnosis, flavors: number[], ps: PodSetState): string {
  const q = (r: number, a: number) => `${formatQuantity(Math.max(0, a), state.resources[r])} ${state.resources[r]}`;
  const head = `checked ${d.checked} node(s) of flavor ${flavorNames(state, flavors)}${d.unusable > 0 ? ` (${d.unusable} more cordoned or not ready)` : ''}`;
  if (d.checked === 0) {
    // Say what the flavor selects on, so "0 nodes" reads as a missing label or cluster, not a mystery.
    const labels = [...new Set(flavors)].flatMap((f) => Object.entries(state.flavors[f].nodeLabels ?? {}).map(([k, v]) => `${k}=${v}`));
    return labels.length ? `${head} (no node has its labels ${labels.join(',')})` : head;
  }
  const parts = exclusions(d, ps);
  if (d.eligible === 0) return `${head}: ${parts.join(', ')}, none left`;
  let rest = `${d.fitOne} of the ${d.eligible} eligible have room for one pod`;
  if (ps.count > 1 && d.fitOne > 0) rest += `, room for ${d.podsNow} of ${ps.count} pods in all`;
  const shorts = [...d.shortOf].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  if (shorts.length > 0) rest += `; short of ${shorts.map(([r, c]) => `${state.resources[r]} on ${c}`).join(', ')}`;
  // Enough free in total but not where it is needed: fragmentation, not scarcity.
  const total = ps.req.filter(([, a]) => a > 0);
  if (total.length > 0 && total.every(([r, a]) => (d.totalFree.get(r) ?? 0) >= a * ps.count)) rest += ' (enough free in total, but fragmented across nodes)';
  if (d.closest) rest += `; closest node ${d.closest.name} has ${ps.req.map(([r]) => q(r, (d.closest as NodeState).free[r])).join(', ')} free`;
  return `${head}: ${[...parts, rest].join(', ')}`;
}

/**
 * Whether the podSet could never be placed on the pool's usable nodes, even with all of them
 * empty: the message saying why, or undefined when it could. Cached per (pool, podSet shape); the
 * shape includes the nodeSelector and tolerations, and the pool fixes the flavors' tolerations.
 */
export function neverFitsNodes(state: SchedulerState, pool: Pool, flavors: number[], ps: PodSetState, tolerations: Toleration[] | undefined): string | undefined {
  const key = `${pool.key}|${ps.shapeId}`;
  const hit = state.neverFit.get(key);
  if (hit !== undefined) return hit ?? undefined;
  let pods = 0;
  let eligible = 0;
  let largest: NodeState | undefined;
  let largestPods = -1;
  let largestDeficit = Infinity;
  const sel = ps.spec.nodeSelector;
  for (const n of pool.nodes) {
    if (sel && !matchesNodeSelector(n.spec.labels, sel)) continue;
    if (untoleratedTaint(n.spec.taints, tolerations)) continue;
    eligible++;
    const k = podsOn(n.alloc, ps);
    // The largest node for this pod: most pods, then the smallest relative shortfall.
    let deficit = 0;
    if (k === 0) for (const [r, a] of ps.req) if (a > 0 && n.alloc[r] < a) deficit += (a - n.alloc[r]) / a;
    if (k > largestPods || (k === largestPods && deficit < largestDeficit)) { largestPods = k; largest = n; largestDeficit = deficit; }
    pods += k;
    if (pods >= ps.count) { state.neverFit.set(key, null); return undefined; }
  }
  let msg: string;
  const fl = flavorNames(state, flavors);
  if (eligible === 0) {
    const d = diagnoseNodes(state, pool, flavors, ps, tolerations);
    msg = `${podSetLabel(state, ps)} has no node to run on: ${describeNodes(state, d, flavors, ps)}`;
  } else if (largestPods === 0) {
    const n = largest as NodeState;
    const q = (r: number, a: number) => `${formatQuantity(a, state.resources[r])} ${state.resources[r]}`;
    msg = `one pod of ${podSetLabel(state, ps)} is larger than any of the ${eligible} eligible node(s) of flavor ${fl}: the largest, ${n.name}, has ${ps.req.map(([r]) => q(r, n.alloc[r])).join(', ')} allocatable`;
  } else {
    msg = `${podSetLabel(state, ps)} is a gang larger than the cluster can hold: the ${eligible} eligible node(s) of flavor ${fl} have room for at most ${pods} of its ${ps.count} pods even when empty`;
  }
  state.neverFit.set(key, msg);
  return msg;
}

/** Why one flavor combo can never serve the podSet (quota beyond what the queue could ever hold, or no room on its nodes even empty). */
export function comboNever(state: SchedulerState, cq: CQState, ps: PodSetState, c: Combo, acc: Map<number, number>): string | undefined {
  const q = quotaNever(cq, c, acc);
  if (q) return quotaNeverMessage(state, cq, q);
  const pool = (c.base.pool ??= poolFor(state, c.flavorsUsed));
  return neverFitsNodes(state, pool, c.flavorsUsed, ps, podTolerations(state, ps.spec.tolerations, c.flavorsUsed));
}

/** The first combo (in preference order) the podSet could ever be admitted with, or the reasons none can. */
export function firstViable(state: SchedulerState, cq: CQState, ps: PodSetState, combos: Combo[], acc: Map<number, number>): { combo: Combo } | { never: string } {
  const reasons: string[] = [];
  for (const c of combos) {
    const why = comboNever(state, cq, ps, c, acc);
    if (why === undefined) return { combo: c };
    if (!reasons.includes(why)) reasons.push(why);
  }
  return { never: `can never fit: ${reasons.join('; ')}` };
}

/**
 * Why a queued workload can never be admitted as the cluster and its queue stand (its "can never
 * fit" message), or undefined when it could be some day. Independent of current usage.
 */
export function workloadNeverFits(state: SchedulerState, namespace: string, name: string): string | undefined {
  const ws = findWorkload(state, namespace, name);
  const cq = ws?.cq;
  if (!ws || !cq) return undefined;
  const acc = new Map<number, number>();
  for (const ps of ws.podSets) {
    const combos = podSetCombos(state, cq, ps, acc);
    if (!Array.isArray(combos)) return combos.message;
    const v = firstViable(state, cq, ps, combos, acc);
    if ('never' in v) return v.never;
    for (const [k, a] of v.combo.usage) acc.set(k, (acc.get(k) ?? 0) + a);
  }
  return undefined;
}
