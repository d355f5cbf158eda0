// One admission cycle over the working state: ClusterQueue heads compete in a heap (Kueue's
// order: non-borrowing first, then priority, then age — or weighted dominant resource share under
// fair sharing); the winner gets flavors, nodes and GPUs as one gang, or preempts, or waits with a
// reason. An admitted queue offers its next workload at once, so one cycle drains all that fits.
import type { CQState, PodSetAdmission, SchedulerState, WlState } from './internal-types.js';
import type { Admission, ScheduleDecisions } from './types.js';
import { FIT, NOFIT, podSetCombos, shortfallMessage, type Combo } from './flavor-assign.js';
import { addUsage, dominantShare } from './quota.js';
import { poolFor } from './node-index.js';
import { placePodSet, rollback } from './placement.js';
import { findVictims, podTolerations, type VictimSearchFailure } from './preemption.js';
import { comboNever, describeNodes, diagnoseNodes, firstViable, flavorNames, podSetLabel } from './diagnose.js';
import { MinHeap } from './min-heap.js';
import { keyOf } from './state.js';
import { explainPending } from './explain.js';

const EMPTY: Map<number, number> = new Map();

interface Head { cq: CQState; ws: WlState; borrowing: boolean; share: number }

type Outcome = { kind: 'admitted' | 'preempting' | 'failed' | 'failed-preemptible' };

/** Kueue-shaped admission record for a decision. */
export function toAdmission(state: SchedulerState, ws: WlState): Admission {
  return {
    clusterQueue: (ws.cq as CQState).name,
    podSetAssignments: (ws.admitted ?? []).map((part, i) => {
      const flavors: Record<string, string> = {};
      for (const [r, f] of part.flavorOfResource) if (ws.podSets[i].req.some(([rr]) => rr === r)) flavors[state.resources[r]] = state.flavors[f].name;
      const resourceUsage: Record<string, number> = {};
      for (const [k, a] of part.usage) resourceUsage[state.resources[k % state.R]] = a;
      return { name: ws.podSets[i].spec.name, flavors, resourceUsage, count: ws.podSets[i].count, placements: part.pods.map((p) => ({ node: p.node.name, gpus: p.gpus })) };
    }),
  };
}

/** Scratch shared by the attempts of one cycle. */
interface CycleCaches {
  /** `pool key|podSet shape` that found no nodes this cycle (free capacity only shrinks). */
  failedShapes: Set<string>;
  /** Same key → the nodes clause of a NoNodeFits message. */
  nodeNotes: Map<string, string>;
}

/** A shortfall of one podSet restated for the whole workload: the earlier podSets' share of the key is added back (they were rolled back). */
function withEarlier(short: NonNullable<Combo['short']>, acc: Map<number, number>): NonNullable<Combo['short']> {
  return acc.size === 0 ? short : { ...short, need: short.need + (acc.get(short.key) ?? 0) };
}

/** What a failed preemption search adds to a reason. */
function preemptionNote(search: VictimSearchFailure | undefined): string {
  if (!search) return '';
  if (search.blocked === 'none') return '; nothing it may preempt under the ClusterQueue\'s preemption policy';
  return `; preempting all ${search.candidates} workload(s) it may preempt would not free enough quota`;
}

function attempt(state: SchedulerState, ws: WlState, now: number, dec: ScheduleDecisions, reservations: [CQState, number, number][], mayPreempt: boolean, caches: CycleCaches): Outcome {
  const cq = ws.cq as CQState;
  // Only multi-podSet workloads need to carry earlier podSets' usage into later flavor checks.
  const acc = ws.podSets.length > 1 ? new Map<number, number>() : EMPTY;
  const parts: PodSetAdmission[] = [];
  const chosen: Combo[] = [];
  const undo = () => {
    parts.forEach((part, i) => {
      for (const [k, a] of part.usage) addUsage(cq, k, -a);
      rollback(state, ws.podSets[i], part.pods);
    });
  };
  for (let i = 0; i < ws.podSets.length; i++) {
    const ps = ws.podSets[i];
    // Earlier podSets' usage is already added to the queue (addUsage below), so quota modes need no
    // `acc`; `acc` only feeds what never changes (the most the queue could ever hold) and messages.
    const combos = podSetCombos(state, cq, ps, EMPTY);
    if (!Array.isArray(combos)) { undo(); ws.cycleReason = { code: 'Inadmissible', message: combos.message }; return { kind: 'failed' }; }
    let placed = false;
    for (const c of combos) {
      if (c.mode !== FIT) break;
      const pool = (c.base.pool ??= poolFor(state, c.flavorsUsed));
      // Free capacity only shrinks during a cycle, so a shape that found no nodes still finds none.
      const shapeKey = `${pool.key}|${ps.shape}`;
      if (caches.failedShapes.has(shapeKey)) continue;
      const pods = placePodSet(state, pool, ps, podTolerations(state, ps.spec.tolerations, c.flavorsUsed), state.options.placement);
      // Only a failure on the cycle's own state is cached: with earlier podSets of this workload
      // placed (rolled back below) the nodes had less room than anyone else will see.
      if (!pods) { if (i === 0) caches.failedShapes.add(shapeKey); continue; }
      for (const [k, a] of c.usage) { addUsage(cq, k, a); if (acc !== EMPTY) acc.set(k, (acc.get(k) ?? 0) + a); }
      parts.push({ flavorOfResource: c.flavorOfResource, usage: c.usage, pods });
      chosen.push(c);
      placed = true;
      break;
    }
    if (placed) continue;
    // The best combo it could ever be admitted with; none = it can never fit (no point preempting).
    const viable = firstViable(state, cq, ps, combos, acc);
    if ('never' in viable) { undo(); ws.cycleReason = { code: 'Inadmissible', message: viable.never }; return { kind: 'failed' }; }
    const primary = viable.combo;
    // Fit = quota is there but no node is (preempting may make room); Preempt = quota after preemption.
    const target = primary.mode !== NOFIT ? primary : undefined;
    const explain = state.options.explain;
    const nodesClause = (c: Combo) => {
      const pool = (c.base.pool ??= poolFor(state, c.flavorsUsed));
      return describeNodes(state, diagnoseNodes(state, pool, c.flavorsUsed, ps, podTolerations(state, ps.spec.tolerations, c.flavorsUsed)), c.flavorsUsed, ps);
    };
    // Nodes as this podSet found them: with the gang's earlier podSets still placed (not cached: that state is this workload's own).
    let earlierClause: string | undefined;
    if (explain && i > 0 && primary.mode === FIT) {
      earlierClause = `${nodesClause(primary)} (with podSet(s) ${ws.podSets.slice(0, i).map((p) => p.spec.name).join(', ')} of the same workload placed first)`;
    }
    undo();
    let search: VictimSearchFailure | undefined;
    if (target && mayPreempt && state.options.preemption && ws.podSets.length === i + 1) {
      // A search that failed on exactly this state (same version, same preemptor) fails again: reuse it.
      const memo = cq.lastFailedSearch;
      let found: ReturnType<typeof findVictims>;
      if (state.searchMemo && memo && memo.ws === ws && memo.version === state.version && memo.explain === explain) found = memo.result;
      else {
        const alternatives = chosen.length === 0 ? combos.filter((c) => c !== target && c.mode !== NOFIT && comboNever(state, cq, ps, c, acc) === undefined) : [];
        found = findVictims(state, ws, cq, [...chosen, target], explain ? () => nodesClause(target) : undefined, alternatives);
        cq.lastFailedSearch = Array.isArray(found) ? undefined : { ws, version: state.version, explain, result: found };
      }
      if (Array.isArray(found)) {
        for (const { victim, reason } of found) {
          dec.preemptions.push({
            namespace: victim.wl.namespace, name: victim.wl.name, clusterQueue: (victim.cq as CQState).name,
            preemptor: { namespace: ws.wl.namespace, name: ws.wl.name }, reason,
            message: `preempted to make room for ${keyOf(ws)} (priority ${ws.priority}) in ClusterQueue ${cq.name}`,
          });
          victim.evicting = true;
        }
        // Hold the preemptor's quota for the rest of the cycle so nobody else takes what is being freed.
        for (const c of [...chosen, target]) for (const [k, a] of c.usage) { addUsage(cq, k, a); reservations.push([cq, k, a]); }
        state.version++;
        ws.cycleReason = { code: 'Preempting', message: `preempting ${found.length} workload(s) (${found.map((v) => keyOf(v.victim)).join(', ')}) to fit in ClusterQueue ${cq.name}` };
        return { kind: 'preempting' };
      }
      search = found;
    }
    const noNode = primary.mode === FIT || search?.blocked === 'nodes';
    if (!explain) {
      // Nobody reads messages this cycle (simulator): skip building them, they cost node scans.
      ws.cycleReason = { code: noNode ? 'NoNodeFits' : 'QuotaExceeded', message: '' };
    } else if (primary.mode === FIT) {
      const key = `${(primary.base.pool as NonNullable<typeof primary.base.pool>).key}|${ps.shape}`;
      let clause = earlierClause ?? caches.nodeNotes.get(key);
      if (clause === undefined) { clause = nodesClause(primary); caches.nodeNotes.set(key, clause); }
      const fl = flavorNames(state, primary.flavorsUsed);
      const note = search?.blocked === 'nodes' ? `; preempting all ${search.candidates} workload(s) it may preempt would not make room either` : preemptionNote(search);
      ws.cycleReason = { code: 'NoNodeFits', message: `waiting for nodes for ${podSetLabel(state, ps)} of flavor ${fl} in queue ${cq.name}: quota is available but no node has room; ${clause}${note}` };
    } else if (search?.blocked === 'nodes') {
      const fl = flavorNames(state, primary.flavorsUsed);
      ws.cycleReason = { code: 'NoNodeFits', message: `waiting for nodes for ${podSetLabel(state, ps)} of flavor ${fl} in queue ${cq.name}: preempting ${search.candidates} workload(s) would free the quota, but no node would have room even then; ${search.nodes ?? ''}` };
    } else {
      ws.cycleReason = { code: 'QuotaExceeded', message: shortfallMessage(state, cq, withEarlier(primary.short as NonNullable<Combo['short']>, acc)) + preemptionNote(search) };
    }
    return { kind: target ? 'failed-preemptible' : 'failed' };
  }
  ws.admitted = parts;
  ws.admittedAt = now;
  state.version++;
  ws.evicting = false;
  ws.cycleAdmitted = true;
  cq.admittedSet.add(ws);
  dec.admissions.push({ namespace: ws.wl.namespace, name: ws.wl.name, admission: toAdmission(state, ws), borrowing: chosen.some((c) => c.borrowing) });
  return { kind: 'admitted' };
}

function headKey(state: SchedulerState, cq: CQState, ws: WlState): Head {
  if (!state.options.fairSharing && !cq.cohort) return { cq, ws, borrowing: false, share: 0 };
  if (ws.podSets.length === 1) {
    const combos = podSetCombos(state, cq, ws.podSets[0], EMPTY);
    if (!Array.isArray(combos) || combos.length === 0) return { cq, ws, borrowing: false, share: 0 };
    return { cq, ws, borrowing: combos[0].borrowing, share: state.options.fairSharing ? dominantShare(state, cq, combos[0].usage) : 0 };
  }
  const acc = new Map<number, number>();
  let borrowing = false;
  const usage: [number, number][] = [];
  for (const ps of ws.podSets) {
    const combos = podSetCombos(state, cq, ps, acc);
    if (!Array.isArray(combos) || combos.length === 0) continue;
    borrowing ||= combos[0].borrowing;
    for (const [k, a] of combos[0].usage) { usage.push([k, a]); acc.set(k, (acc.get(k) ?? 0) + a); }
  }
  return { cq, ws, borrowing, share: state.options.fairSharing ? dominantShare(state, cq, usage) : 0 };
}

/** Run one admission cycle at `now`, applying admissions to the state. Deterministic. */
export function runAdmissionCycle(state: SchedulerState, now: number): ScheduleDecisions {
  const dec: ScheduleDecisions = { admissions: [], preemptions: [], evictions: [], pending: [] };
  const skip = new Set<WlState>();
  const touched: WlState[] = [];
  const caches: CycleCaches = { failedShapes: new Set(), nodeNotes: new Map() };
  const failedVerdicts = new Map<number, { code: string; message: string }>();
  const nq = state.cqs.length;
  for (const e of state.pendingEvictions) {
    dec.evictions.push({ namespace: e.wl.wl.namespace, name: e.wl.wl.name, reason: 'NodeFailure', message: e.message });
    e.wl.cycleReason = { code: 'WaitingInQueue', message: `${e.message}; eligible again next cycle` };
    skip.add(e.wl);
    touched.push(e.wl);
  }
  state.pendingEvictions = [];
  const reservations: [CQState, number, number][] = [];
  const fair = state.options.fairSharing;
  const heap = new MinHeap<Head>((a, b) =>
    (fair ? a.share - b.share : Number(a.borrowing) - Number(b.borrowing)) || b.ws.priority - a.ws.priority || a.ws.created - b.ws.created || a.ws.seq - b.ws.seq);
  const cursor = new Int32Array(state.cqs.length);
  const failures = new Int32Array(state.cqs.length);
  // Like Kueue (one head per queue per cycle), each queue gets one preemption search per cycle: its
  // highest-ordered workload that needs one. This bounds the cost of long BestEffortFIFO queues.
  const preemptTried = new Uint8Array(state.cqs.length);
  const pushNext = (cq: CQState) => {
    while (cursor[cq.idx] < cq.pending.length && skip.has(cq.pending[cursor[cq.idx]])) cursor[cq.idx]++;
    if (cursor[cq.idx] >= cq.pending.length) return;
    const ws = cq.pending[cursor[cq.idx]];
    // A head that will reuse a failure verdict needs no precise ordering key.
    heap.push(failedVerdicts.has(ws.shapeId * nq + cq.idx) ? { cq, ws, borrowing: true, share: Infinity } : headKey(state, cq, ws));
  };
  for (const cq of state.cqs) {
    if (cq.stopped) {
      for (const ws of cq.pending) { ws.cycleReason = { code: 'ClusterQueueStopped', message: `ClusterQueue ${cq.name} is stopped (stopPolicy ${cq.spec.stopPolicy})` }; touched.push(ws); }
      continue;
    }
    pushNext(cq);
  }
  for (let h = heap.pop(); h; h = heap.pop()) {
    const { cq, ws } = h;
    // Quota and free capacity only shrink within a cycle, and the queue is in priority order, so a
    // workload shaped exactly like one that already failed here fails the same way: reuse the verdict.
    const verdictKey = ws.shapeId * nq + cq.idx;
    const verdict = failedVerdicts.get(verdictKey);
    let out: Outcome;
    if (verdict && preemptTried[cq.idx] === 1) {
      ws.cycleReason = verdict;
      out = { kind: 'failed' };
    } else {
      out = attempt(state, ws, now, dec, reservations, preemptTried[cq.idx] === 0, caches);
      if ((out.kind === 'failed' || out.kind === 'failed-preemptible') && ws.cycleReason) failedVerdicts.set(verdictKey, ws.cycleReason);
    }
    touched.push(ws);
    if (out.kind === 'preempting' || out.kind === 'failed-preemptible') preemptTried[cq.idx] = 1;
    cursor[cq.idx]++;
    if (out.kind === 'admitted') { cq.pendingDirty = true; pushNext(cq); continue; }
    if (cq.strict) continue;
    if (++failures[cq.idx] < state.options.lookahead) pushNext(cq);
  }
  for (const [cq, k, a] of reservations) addUsage(cq, k, -a);
  // Reservations are gone and this cycle's admissions become preemptible: a new state for the memo.
  if (reservations.length > 0 || dec.admissions.length > 0) state.version++;
  if (state.options.explain) dec.pending = explainPending(state, now, cursor);
  // Clean-up touches only what this cycle touched, so a long backlog costs nothing per cycle.
  for (const cq of state.cqs) {
    if (!cq.pendingDirty) continue;
    for (let i = Math.min(cursor[cq.idx], cq.pending.length - 1); i >= 0; i--) if (cq.pending[i].cycleAdmitted) cq.pending.splice(i, 1);
    cq.pendingDirty = false;
  }
  for (const ws of touched) { ws.cycleReason = undefined; ws.cycleAdmitted = false; }
  return dec;
}
