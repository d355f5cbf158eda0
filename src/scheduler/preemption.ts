// Victim selection (Kueue's preemptor): candidates allowed by the ClusterQueue's policies,
// ordered already-evicting → other queues (reclaiming borrowed quota first) → lowest priority →
// most recently admitted; take them one by one until the preemptor fits (quota and nodes), then
// put back every victim that turns out not to be needed, so the set is minimal.
import type { CQState, PodSetState, SchedulerState, WlState } from './internal-types.js';
import { matchesNodeSelector, toleratesAll } from './node-matching.js';
import type { PreemptionDecision } from './types.js';
import type { Combo } from './flavor-assign.js';
import { addUsage, available, dominantShare, dominantShareWithout, isBorrowing } from './quota.js';
import { allocateRecordedPod, podsThatFit, podsThatFitOn, poolFor, releaseOn, releasePod } from './node-index.js';
import { placePodSet, rollback } from './placement.js';

/** Take a workload's quota and pods off the books without forgetting its admission. */
export function suspend(state: SchedulerState, v: WlState): void {
  suspendQuota(v);
  suspendPods(state, v);
}

function suspendQuota(v: WlState): void {
  const cq = v.cq as CQState;
  for (const part of v.admitted ?? []) for (const [k, a] of part.usage) addUsage(cq, k, -a);
}

function suspendPods(state: SchedulerState, v: WlState): void {
  const parts = v.admitted ?? [];
  for (let i = 0; i < parts.length; i++) for (const pod of parts[i].pods) releasePod(state, pod.node, v.podSets[i].req, pod.gpus);
}

/** Undo `suspend`, reclaiming the same GPU indices. */
export function restore(state: SchedulerState, v: WlState): void {
  restoreQuota(v);
  restorePods(state, v);
}

function restoreQuota(v: WlState): void {
  const cq = v.cq as CQState;
  for (const part of v.admitted ?? []) for (const [k, a] of part.usage) addUsage(cq, k, a);
}

function restorePods(state: SchedulerState, v: WlState): void {
  const parts = v.admitted ?? [];
  for (let i = 0; i < parts.length; i++) {
    const ps = v.podSets[i];
    for (const pod of parts[i].pods) pod.gpus = allocateRecordedPod(state, pod.node, ps.req, pod.gpus, ps.gpuPerPod);
  }
}

/** Whether the quota of these combos (summed) is available now. */
function quotaFits(cq: CQState, combos: Combo[]): boolean {
  if (combos.length === 1) {
    const u = combos[0].usage;
    for (let i = 0; i < u.length; i++) if (u[i][1] > available(cq, u[i][0])) return false;
    return true;
  }
  const need = new Map<number, number>();
  for (const c of combos) for (const [k, a] of c.usage) need.set(k, (need.get(k) ?? 0) + a);
  for (const [k, a] of need) if (a > available(cq, k)) return false;
  return true;
}

/** Whether the workload's combos fit now: quota for every key, then a trial placement rolled back. */
export function fitsNow(state: SchedulerState, w: WlState, cq: CQState, combos: Combo[]): boolean {
  return quotaFits(cq, combos) && placesNow(state, w, combos);
}

/** Whether a trial placement of every podSet on its combo's nodes succeeds (rolled back). */
function placesNow(state: SchedulerState, w: WlState, combos: Combo[]): boolean {
  const placed: { i: number; pods: NonNullable<ReturnType<typeof placePodSet>> }[] = [];
  let ok = true;
  for (let i = 0; i < w.podSets.length; i++) {
    const ps = w.podSets[i];
    const c = combos[i];
    const pool = (c.base.pool ??= poolFor(state, c.flavorsUsed));
    const pods = placePodSet(state, pool, ps, podTolerations(state, ps.spec.tolerations, c.flavorsUsed), state.options.placement);
    if (!pods) { ok = false; break; }
    placed.push({ i, pods });
  }
  for (let j = placed.length - 1; j >= 0; j--) rollback(state, w.podSets[placed[j].i], placed[j].pods);
  return ok;
}

/**
 * Free capacity of every node hosting a candidate as it would be with all of them gone, written to
 * the nodes' scratch copies stamped with a fresh epoch (the nodes' real books are untouched).
 */
function freedCapacity(state: SchedulerState, cands: { v: WlState }[]): number {
  const epoch = ++state.scratchEpoch;
  for (const { v } of cands) {
    const parts = v.admitted ?? [];
    for (let i = 0; i < parts.length; i++) {
      for (const pod of parts[i].pods) {
        const n = pod.node;
        if (n.scratchEpoch !== epoch) {
          n.scratchEpoch = epoch;
          if (!n.scratchFree) { n.scratchFree = new Float64Array(n.free.length); n.scratchDev = new Int32Array(n.devFree.length); }
          n.scratchFree.set(n.free);
          (n.scratchDev as Int32Array).set(n.devFree);
        }
        releaseOn(n.scratchFree as Float64Array, n.scratchDev as Int32Array, n.milliRes, state.gpuRes, v.podSets[i].req, pod.gpus);
      }
    }
  }
  return epoch;
}

/** Whether the pool of a combo holds the podSet's `count` identical pods with the freed capacity of `epoch` added (selector and taints as placement checks them). */
function roomWith(state: SchedulerState, ps: PodSetState, c: Combo, epoch: number): boolean {
  const pool = (c.base.pool ??= poolFor(state, c.flavorsUsed));
  const tolerations = podTolerations(state, ps.spec.tolerations, c.flavorsUsed);
  const sel = ps.spec.nodeSelector;
  let pods = 0;
  for (const n of pool.nodes) {
    const k = n.scratchEpoch === epoch ? podsThatFitOn(n.scratchFree as Float64Array, n.scratchDev as Int32Array, n.milliRes, ps.req) : podsThatFit(n, ps.req);
    if (k <= 0) continue;
    if ((sel && !matchesNodeSelector(n.spec.labels, sel)) || !toleratesAll(n.spec.taints, tolerations)) continue;
    pods += k;
    if (pods >= ps.count) return true;
  }
  return false;
}

/** Pod tolerations plus those its flavors add. */
export function podTolerations(state: SchedulerState, own: WlState['podSets'][number]['spec']['tolerations'], flavors: number[]) {
  let out = own;
  for (const f of flavors) {
    const t = state.flavors[f].tolerations;
    if (t && t.length > 0) out = [...(out ?? []), ...t];
  }
  return out;
}

type Kind = PreemptionDecision['reason'];

/** A preemption candidate with its sort keys copied out (evicting first, other queues first, lowest priority, newest admission, newest). */
interface Cand { v: WlState; own: boolean; ev: number; pr: number; at: number; seq: number }

/** Why no victim set was found: no allowed candidate, their quota is not enough, or nodes still lack room with all of them gone. */
export interface VictimSearchFailure {
  blocked: 'none' | 'quota' | 'nodes';
  /** Workloads the policies allow it to preempt. */
  candidates: number;
  /** For `nodes`: what the nodes say with every candidate gone (from `describeNodes`, when asked). */
  nodes?: string;
}

/**
 * Choose victims for `w` targeting `combos`; a failure says why none frees enough.
 * `describeNodes` (explain mode) is called with every candidate suspended when quota would then
 * suffice but the nodes still have no room, so the reason can say what the nodes look like then.
 */
export function findVictims(state: SchedulerState, w: WlState, cq: CQState, combos: Combo[], describeNodes?: () => string, alternatives: Combo[] = []): { victim: WlState; reason: Kind }[] | VictimSearchFailure {
  // The preemptor is admitted next cycle with whichever flavor fits first, so the search stops (and
  // spares victims) as soon as the target or any alternative combo of a one-podSet preemptor fits:
  // a victim holding two flavors can free room on a flavor other than the one targeted.
  // Victims leave the quota books at once but the nodes only when quota would suffice: until then no
  // placement is tried, so node releases would be wasted work (`released` of `removed` are off nodes).
  const removed: { victim: WlState; reason: Kind }[] = [];
  let released = 0;
  const releaseAll = () => { while (released < removed.length) suspendPods(state, removed[released++].victim); };
  const tryCombos = (list: Combo[]) => { if (!quotaFits(cq, list)) return false; releaseAll(); return placesNow(state, w, list); };
  const fits = () => tryCombos(combos) || alternatives.some((c) => tryCombos([c]));
  const p = cq.spec.preemption ?? {};
  const within = p.withinClusterQueue ?? 'Never';
  const reclaim = p.reclaimWithinCohort ?? 'Never';
  const bwc = p.borrowWithinCohort;
  const fair = state.options.fairSharing;
  const keys = new Map<number, number>();
  const mark = new Uint8Array(state.flavors.length * state.R);
  for (const c of combos) for (const [k, a] of c.usage) { keys.set(k, (keys.get(k) ?? 0) + a); mark[k] = 1; }
  let wouldBorrow = false;
  for (const [k, a] of keys) if (cq.usage[k] + a > cq.nominal[k]) wouldBorrow = true;
  const touches = (v: WlState) => {
    // Work admitted in this same cycle is never a victim (Kueue: it would just not have been admitted).
    if (v.cycleAdmitted) return false;
    const parts = v.admitted;
    if (parts) for (let i = 0; i < parts.length; i++) { const u = parts[i].usage; for (let j = 0; j < u.length; j++) if (mark[u[j][0]] === 1) return true; }
    return false;
  };
  const cands: Cand[] = [];
  if (within !== 'Never') {
    for (const v of cq.admittedSet) {
      if ((v.priority < w.priority || (within === 'LowerOrNewerEqualPriority' && v.priority === w.priority && v.created > w.created)) && touches(v)) cands.push({ v, own: true, ev: 0, pr: 0, at: 0, seq: 0 });
    }
  }
  const stillBorrowing = (o: CQState) => { for (const k of keys.keys()) if (isBorrowing(o, k)) return true; return false; };
  const preemptorShare = fair ? dominantShare(state, cq, [...keys]) : 0;
  if (cq.cohort && reclaim !== 'Never') {
    for (const other of cq.cohort.members) {
      if (other === cq) continue;
      // Only queues above nominal can lose workloads to others; under fair sharing only those whose
      // share is at least what the preemptor's would become.
      if (!stillBorrowing(other) || (fair && dominantShare(state, other) < preemptorShare)) continue;
      for (const v of other.admittedSet) {
        if (!touches(v)) continue;
        if (fair) { cands.push({ v, own: false, ev: 0, pr: 0, at: 0, seq: 0 }); continue; }
        if (!wouldBorrow) {
          if (reclaim === 'Any' || v.priority < w.priority) cands.push({ v, own: false, ev: 0, pr: 0, at: 0, seq: 0 });
        } else if (bwc?.policy === 'LowerPriority' && v.priority < w.priority && (bwc.maxPriorityThreshold === undefined || v.priority <= bwc.maxPriorityThreshold)) {
          cands.push({ v, own: false, ev: 0, pr: 0, at: 0, seq: 0 });
        }
      }
    }
  }
  if (cands.length === 0) return { blocked: 'none', candidates: 0 };
  // Cheap bound first: even every candidate gone must free enough quota, or there is no point.
  const freeable = new Float64Array(mark.length);
  for (const k of keys.keys()) freeable[k] = Math.max(0, available(cq, k));
  for (let c = 0; c < cands.length; c++) {
    const parts = cands[c].v.admitted;
    if (parts) for (let i = 0; i < parts.length; i++) { const u = parts[i].usage; for (let j = 0; j < u.length; j++) if (mark[u[j][0]] === 1) freeable[u[j][0]] += u[j][1]; }
  }
  for (const [k, a] of keys) if (freeable[k] < a) return { blocked: 'quota', candidates: cands.length };
  // Under fair sharing a candidate whose queue would drop below the preemptor's share without it is
  // skipped by the loop below; suspending others of its queue only lowers that share further, so it
  // would be skipped at any point: leave it out before sorting (it still counted in the bound above).
  const live = fair ? cands.filter(({ v, own }) => own || preemptorShare <= dominantShareWithout(state, v.cq as CQState, v.admitted ?? [])) : cands;
  for (const c of live) { c.ev = c.v.evicting ? 1 : 0; c.pr = c.v.priority; c.at = c.v.admittedAt ?? 0; c.seq = c.v.seq; }
  live.sort((a, b) => b.ev - a.ev || Number(a.own) - Number(b.own) || a.pr - b.pr || b.at - a.at || b.seq - a.seq);
  // One podSet of identical pods fits iff the nodes hold `count` of them in all, whatever the order
  // of placement, so if it does not fit with EVERY candidate off the nodes, no subset the loop could
  // suspend makes room: the loop then only needs the quota bookkeeping (which decides 'quota' vs
  // 'nodes'), not a trial placement per victim.
  let hopeless = false;
  if (w.podSets.length === 1 && combos.length === 1 && live.length > 1) {
    const freed = freedCapacity(state, live);
    hopeless = !roomWith(state, w.podSets[0], combos[0], freed) && !alternatives.some((c) => roomWith(state, w.podSets[0], c, freed));
  }
  let found = false;
  for (const { v, own } of live) {
    const vcq = v.cq as CQState;
    if (!own && !stillBorrowing(vcq)) continue;
    if (!own && fair) {
      const after = dominantShareWithout(state, vcq, v.admitted ?? []);
      if (preemptorShare > after) continue;
    }
    suspendQuota(v);
    removed.push({ victim: v, reason: own ? 'InClusterQueue' : fair ? 'InCohortFairSharing' : wouldBorrow ? 'InCohortReclaimWhileBorrowing' : 'InCohortReclamation' });
    if (!hopeless && fits()) { found = true; break; }
  }
  if (!found) {
    let quotaOk = true;
    for (const [k, a] of keys) if (a > available(cq, k)) quotaOk = false;
    const failure: VictimSearchFailure = { blocked: quotaOk ? 'nodes' : 'quota', candidates: removed.length };
    if (quotaOk && describeNodes) { releaseAll(); failure.nodes = describeNodes(); }
    for (let i = removed.length - 1; i >= 0; i--) {
      restoreQuota(removed[i].victim);
      if (i < released) restorePods(state, removed[i].victim);
    }
    return failure;
  }
  // Fill-back pass: a victim whose return still leaves room for the preemptor is spared. (The
  // preemptor was placed on trial, so every victim is off the nodes by now.)
  const victims = [removed[removed.length - 1]];
  for (let i = removed.length - 2; i >= 0; i--) {
    restore(state, removed[i].victim);
    if (fits()) continue;
    suspend(state, removed[i].victim);
    victims.push(removed[i]);
  }
  for (const v of victims) restore(state, v.victim);
  return victims.reverse();
}
