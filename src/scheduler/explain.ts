// Why each pending workload waits, where it stands, and when it may start. The estimate replays
// the queue against its quota: running workloads with a known end (declared duration, deadline or
// the queue's learned mean) give their quota back in time order, and pending workloads take it in
// queue order. It ignores other queues' future releases, so it is an estimate, not a promise.
import type { CQState, SchedulerState, WlState } from './internal-types.js';
import type { PendingInfo, PendingReasonCode } from './types.js';
import { PREEMPT, podSetCombos, shortfallMessage } from './flavor-assign.js';
import { available } from './quota.js';
import { firstViable } from './diagnose.js';
import { MinHeap } from './min-heap.js';
import { keyOf } from './state.js';

interface Release { t: number; usage: [number, number][] }

function durationOf(state: SchedulerState, cq: CQState, ws: WlState): number | undefined {
  return ws.durationMs ?? state.options.meanDurationMs[cq.name];
}

function endOf(state: SchedulerState, cq: CQState, ws: WlState): number | undefined {
  const d = durationOf(state, cq, ws);
  const byDuration = d !== undefined && ws.admittedAt !== undefined ? ws.admittedAt + d : undefined;
  const dl = ws.wl.deadline;
  if (byDuration === undefined) return dl;
  return dl === undefined ? byDuration : Math.min(dl, byDuration);
}

interface DemandInfo {
  usage: [number, number][];
  mode: number;
  short?: { key: number; need: number; avail: number };
  /** Set when no flavor combo could ever serve it (quota or nodes): why. */
  never?: string;
}

function demandOf(state: SchedulerState, cq: CQState, ws: WlState): DemandInfo | undefined {
  const acc = new Map<number, number>();
  const usage: [number, number][] = [];
  let mode = 0;
  let short: { key: number; need: number; avail: number } | undefined;
  let never: string | undefined;
  for (const ps of ws.podSets) {
    const combos = podSetCombos(state, cq, ps, acc);
    if (!Array.isArray(combos) || combos.length === 0) return undefined;
    // The best combo it could ever get; when none, keep the first for the arithmetic and say why.
    const v = firstViable(state, cq, ps, combos, acc);
    const c = 'combo' in v ? v.combo : combos[0];
    if ('never' in v) never ??= v.never;
    if (c.mode > mode) { mode = c.mode; short = c.short; }
    for (const [k, a] of c.usage) { usage.push([k, a]); acc.set(k, (acc.get(k) ?? 0) + a); }
  }
  return { usage, mode, short, never };
}

type Demand = ReturnType<typeof demandOf>;

function explainQueue(state: SchedulerState, cq: CQState, now: number, tried: number, out: PendingInfo[]): void {
  // Quota does not move while explaining, so workloads of one shape share demand and quota message.
  const demands = new Map<number, Demand>();
  const quotaMessages = new Map<number, string>();
  const waiting: WlState[] = [];
  const origIdx: number[] = [];
  cq.pending.forEach((w, j) => { if (!w.cycleAdmitted) { waiting.push(w); origIdx.push(j); } });
  if (waiting.length === 0) return;
  const releases = new MinHeap<Release>((a, b) => a.t - b.t);
  for (const ws of cq.admittedSet) {
    const t = endOf(state, cq, ws);
    if (t !== undefined) releases.push({ t: Math.max(t, now), usage: (ws.admitted ?? []).flatMap((p) => p.usage) });
  }
  const avail = new Map<number, number>();
  const availOf = (k: number) => { let v = avail.get(k); if (v === undefined) { v = available(cq, k); avail.set(k, v); } return v; };
  let t = now;
  let known = true;
  const head = waiting[0];
  for (let i = 0; i < waiting.length; i++) {
    const ws = waiting[i];
    let demand = demands.get(ws.shapeId);
    if (demand === undefined && !demands.has(ws.shapeId)) { demand = demandOf(state, cq, ws); demands.set(ws.shapeId, demand); }
    let code: PendingReasonCode;
    let message: string;
    if (ws.cycleReason) {
      code = ws.cycleReason.code as PendingReasonCode;
      message = ws.cycleReason.message;
    } else if (demand?.never) {
      code = 'Inadmissible';
      message = demand.never;
    } else if (demand && demand.mode >= PREEMPT && demand.short) {
      code = 'QuotaExceeded';
      let m = quotaMessages.get(ws.shapeId);
      if (m === undefined) { m = shortfallMessage(state, cq, demand.short); quotaMessages.set(ws.shapeId, m); }
      message = m;
    } else if (cq.strict && i > 0) {
      code = 'WaitingInQueue';
      message = `waiting behind ${i} workload(s) in StrictFIFO ClusterQueue ${cq.name}; head ${keyOf(head)}: ${head.cycleReason?.message ?? 'pending'}`;
    } else {
      code = origIdx[i] >= tried ? 'NotYetConsidered' : 'WaitingInQueue';
      message = `waiting in ClusterQueue ${cq.name} behind ${i} workload(s)`;
    }
    const info: PendingInfo = { namespace: ws.wl.namespace, name: ws.wl.name, clusterQueue: cq.name, position: i + 1, reason: code, message };
    const neverFits = code === 'Inadmissible' || !demand || demand.never !== undefined;
    // In StrictFIFO nothing passes a head that can never start, so nobody behind it has an ETA.
    if (neverFits && cq.strict) known = false;
    if (code === 'Preempting') info.estimatedStart = now;
    else if (known && demand && !neverFits && code !== 'ClusterQueueStopped') {
      let start = t;
      if (code === 'NoNodeFits' && start === now) {
        // Quota is there but nodes are not: nothing can change before something finishes.
        const next = releases.peek();
        if (next) start = Math.max(start, next.t); else known = false;
      }
      for (const [k, a] of demand.usage) {
        while (known && availOf(k) < a) {
          const r = releases.pop();
          if (!r) { known = false; break; }
          for (const [rk, ra] of r.usage) avail.set(rk, availOf(rk) + ra);
          if (r.t > start) start = r.t;
        }
      }
      if (known) {
        info.estimatedStart = start;
        t = start;
        for (const [k, a] of demand.usage) avail.set(k, availOf(k) - a);
        const d = durationOf(state, cq, ws);
        if (d !== undefined) releases.push({ t: start + d, usage: demand.usage });
      }
    }
    out.push(info);
  }
}

/** Pending reasons, positions and ETAs for every waiting workload after a cycle. */
export function explainPending(state: SchedulerState, now: number, cursor: Int32Array): PendingInfo[] {
  const out: PendingInfo[] = [];
  for (const ws of state.unqueued) {
    const u = ws.unqueuedReason as NonNullable<WlState['unqueuedReason']>;
    out.push({ namespace: ws.wl.namespace, name: ws.wl.name, position: 0, reason: u.code, message: u.message });
  }
  for (const cq of state.cqs) explainQueue(state, cq, now, cursor[cq.idx], out);
  return out;
}
