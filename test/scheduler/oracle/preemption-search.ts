// TEST ORACLE: the victim search exactly as it was before the scale work of issue 21 (commit
// 3985538, src/scheduler/preemption.ts), kept verbatim so property tests can check that the faster
// search picks the same victims. Not used by the product.
//
// Victim selection (Kueue's preemptor): candidates allowed by the ClusterQueue's policies,
// ordered already-evicting → other queues (reclaiming borrowed quota first) → lowest priority →
// most recently admitted; take them one by one until the preemptor fits (quota and nodes), then
// put back every victim that turns out not to be needed, so the set is minimal.
import type { CQState, SchedulerState, WlState } from '../../../src/scheduler/internal-types.js';
import type { PreemptionDecision } from '../../../src/scheduler/types.js';
import type { Combo } from '../../../src/scheduler/flavor-assign.js';
import { addUsage, available, dominantShare, isBorrowing } from '../../../src/scheduler/quota.js';
import { poolFor } from '../../../src/scheduler/node-index.js';
import { podTolerations, restore, suspend, type VictimSearchFailure } from '../../../src/scheduler/preemption.js';
import { placePodSet, rollback } from '../../../src/scheduler/placement.js';

/** Whether the workload's combos fit now: quota for every key, then a trial placement rolled back. */
function oracleFitsNow(state: SchedulerState, w: WlState, cq: CQState, combos: Combo[]): boolean {
  const need = new Map<number, number>();
  for (const c of combos) for (const [k, a] of c.usage) need.set(k, (need.get(k) ?? 0) + a);
  for (const [k, a] of need) if (a > available(cq, k)) return false;
  const placed: { i: number; pods: NonNullable<ReturnType<typeof placePodSet>> }[] = [];
  let ok = true;
  for (let i = 0; i < w.podSets.length; i++) {
    const ps = w.podSets[i];
    const pool = poolFor(state, combos[i].flavorsUsed);
    const pods = placePodSet(state, pool, ps, podTolerations(state, ps.spec.tolerations, combos[i].flavorsUsed), state.options.placement);
    if (!pods) { ok = false; break; }
    placed.push({ i, pods });
  }
  for (const p of placed.reverse()) rollback(state, w.podSets[p.i], p.pods);
  return ok;
}

type Kind = PreemptionDecision['reason'];

/**
 * Choose victims for `w` targeting `combos`; a failure says why none frees enough.
 * `describeNodes` (explain mode) is called with every candidate suspended when quota would then
 * suffice but the nodes still have no room, so the reason can say what the nodes look like then.
 */
export function oracleFindVictims(state: SchedulerState, w: WlState, cq: CQState, combos: Combo[], describeNodes?: () => string, alternatives: Combo[] = []): { victim: WlState; reason: Kind }[] | VictimSearchFailure {
  // The preemptor is admitted next cycle with whichever flavor fits first, so the search stops (and
  // spares victims) as soon as the target or any alternative combo of a one-podSet preemptor fits:
  // a victim holding two flavors can free room on a flavor other than the one targeted.
  const fits = () => oracleFitsNow(state, w, cq, combos) || alternatives.some((c) => oracleFitsNow(state, w, cq, [c]));
  const p = cq.spec.preemption ?? {};
  const within = p.withinClusterQueue ?? 'Never';
  const reclaim = p.reclaimWithinCohort ?? 'Never';
  const bwc = p.borrowWithinCohort;
  const fair = state.options.fairSharing;
  const keys = new Map<number, number>();
  for (const c of combos) for (const [k, a] of c.usage) keys.set(k, (keys.get(k) ?? 0) + a);
  let wouldBorrow = false;
  for (const [k, a] of keys) if (cq.usage[k] + a > cq.nominal[k]) wouldBorrow = true;
  const touches = (v: WlState) => {
    // Work admitted in this same cycle is never a victim (Kueue: it would just not have been admitted).
    if (v.cycleAdmitted) return false;
    for (const part of v.admitted ?? []) for (const [k] of part.usage) if (keys.has(k)) return true;
    return false;
  };
  const cands: { v: WlState; own: boolean }[] = [];
  if (within !== 'Never') {
    for (const v of cq.admittedSet) {
      if (!touches(v)) continue;
      if (v.priority < w.priority || (within === 'LowerOrNewerEqualPriority' && v.priority === w.priority && v.created > w.created)) cands.push({ v, own: true });
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
        if (fair) { cands.push({ v, own: false }); continue; }
        if (!wouldBorrow) {
          if (reclaim === 'Any' || v.priority < w.priority) cands.push({ v, own: false });
        } else if (bwc?.policy === 'LowerPriority' && v.priority < w.priority && (bwc.maxPriorityThreshold === undefined || v.priority <= bwc.maxPriorityThreshold)) {
          cands.push({ v, own: false });
        }
      }
    }
  }
  if (cands.length === 0) return { blocked: 'none', candidates: 0 };
  // Cheap bound first: even every candidate gone must free enough quota, or there is no point.
  for (const [k, a] of keys) {
    let freeable = Math.max(0, available(cq, k));
    for (const { v } of cands) for (const part of v.admitted ?? []) for (const [vk, va] of part.usage) if (vk === k) freeable += va;
    if (freeable < a) return { blocked: 'quota', candidates: cands.length };
  }
  cands.sort((a, b) =>
    Number(b.v.evicting) - Number(a.v.evicting) || Number(a.own) - Number(b.own) || a.v.priority - b.v.priority ||
    (b.v.admittedAt ?? 0) - (a.v.admittedAt ?? 0) || b.v.seq - a.v.seq);
  const removed: { victim: WlState; reason: Kind }[] = [];
  let found = false;
  for (const { v, own } of cands) {
    const vcq = v.cq as CQState;
    if (!own && !stillBorrowing(vcq)) continue;
    if (!own && fair) {
      const after = dominantShare(state, vcq, (v.admitted ?? []).flatMap((x) => x.usage.map(([k, a]) => [k, -a] as [number, number])));
      if (preemptorShare > after) continue;
    }
    suspend(state, v);
    removed.push({ victim: v, reason: own ? 'InClusterQueue' : fair ? 'InCohortFairSharing' : wouldBorrow ? 'InCohortReclaimWhileBorrowing' : 'InCohortReclamation' });
    if (fits()) { found = true; break; }
  }
  if (!found) {
    let quotaOk = true;
    for (const [k, a] of keys) if (a > available(cq, k)) quotaOk = false;
    const failure: VictimSearchFailure = { blocked: quotaOk ? 'nodes' : 'quota', candidates: removed.length };
    if (quotaOk && describeNodes) failure.nodes = describeNodes();
    for (let i = removed.length - 1; i >= 0; i--) restore(state, removed[i].victim);
    return failure;
  }
  // Fill-back pass: a victim whose return still leaves room for the preemptor is spared.
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
