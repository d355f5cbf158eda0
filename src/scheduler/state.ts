// Builds the working state from a snapshot and keeps it current as workloads arrive, finish or
// are evicted. `schedule()` builds it once per call; the simulator builds it once per run.
import type { CQState, NodeState, PodSetAdmission, PodSetState, SchedulerState, ShapeTrie, SparseReq, WlState } from './internal-types.js';
import type { PodSet, ScheduleOptions, SchedulerSnapshot, Workload } from './types.js';
import { addUsage, buildCohort } from './quota.js';
import { allocateRecordedPod, cpuBucketOf, gpuBucketOf, MILLI, releasePod } from './node-index.js';
import { matchesLabelSelector } from './node-matching.js';
import { insertSorted, queueComparator } from './queue-order.js';
import { emptyMix, recordShape } from './fragmentation.js';

/** Fill in option defaults. */
export function resolveOptions(o: ScheduleOptions = {}): SchedulerState['options'] {
  return {
    placement: o.placement ?? 'binpack',
    queueOrder: o.queueOrder ?? 'priority',
    fairSharing: o.fairSharing ?? false,
    preemption: o.preemption ?? true,
    lookahead: o.lookahead ?? 1000,
    meanDurationMs: o.meanDurationMs ?? {},
    explain: o.explain ?? true,
    gpuResource: o.gpuResource ?? 'nvidia.com/gpu',
    gpuMilliResource: o.gpuMilliResource ?? GPU_MILLI,
  };
}

/** Default resource name of a shared GPU slice, in milli-GPU. */
export const GPU_MILLI = 'capstan.dev/gpu-milli';

/** `namespace/name`, the workload's identity inside the core. */
export function workloadKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** `namespace/name` of a workload in the state (built on demand: only messages need it). */
export function keyOf(ws: WlState): string {
  return `${ws.wl.namespace}/${ws.wl.name}`;
}

/** The workload of that namespace and name in the state, if any. */
export function findWorkload(state: SchedulerState, namespace: string, name: string): WlState | undefined {
  // The name index is built on the first lookup: a one-shot schedule() never needs it.
  if (state.unindexed.length > 0) {
    for (const ws of state.unindexed) {
      let inNs = state.workloads.get(ws.wl.namespace);
      if (!inNs) { inNs = new Map(); state.workloads.set(ws.wl.namespace, inNs); }
      inNs.set(ws.wl.name, ws);
    }
    state.unindexed = [];
  }
  return state.workloads.get(namespace)?.get(name);
}

function collectResources(snap: SchedulerSnapshot, gpu: string): string[] {
  const set = new Set<string>(['cpu', 'memory', gpu]);
  for (const n of snap.nodes) for (const r in n.allocatable) set.add(r);
  for (const cq of snap.clusterQueues) for (const g of cq.resourceGroups) for (const r of g.coveredResources) set.add(r);
  for (const w of snap.workloads) for (const ps of w.podSets) for (const r in ps.requests) set.add(r);
  return [...set];
}

function buildCQs(state: SchedulerState, snap: SchedulerSnapshot): void {
  const R = state.R;
  const size = state.flavors.length * R;
  for (const spec of snap.clusterQueues) {
    const cq: CQState = {
      idx: state.cqs.length, name: spec.name, spec, groups: [], groupOfResource: new Int32Array(R).fill(-1),
      has: new Uint8Array(size), quotaKeys: [], nominal: new Float64Array(size), borrowLimit: new Float64Array(size),
      lendable: new Float64Array(size), usage: new Float64Array(size), lastFailedSearch: undefined, pending: [], pendingDirty: false, admittedSet: new Set(),
      weight: spec.fairSharing?.weight ?? 1, strict: (spec.queueingStrategy ?? 'BestEffortFIFO') === 'StrictFIFO',
      stopped: (spec.stopPolicy ?? 'None') !== 'None',
    };
    for (const g of spec.resourceGroups) {
      const gi = cq.groups.length;
      const resources = g.coveredResources.map((r) => state.resIdx.get(r) as number);
      const flavors = g.flavors.map((fq) => state.flavorIdx.get(fq.name) as number);
      cq.groups.push({ resources, flavors });
      for (const r of resources) cq.groupOfResource[r] = gi;
      for (const fq of g.flavors) {
        const f = state.flavorIdx.get(fq.name) as number;
        for (const rq of fq.resources) {
          const r = state.resIdx.get(rq.name);
          if (r === undefined) continue;
          const key = f * R + r;
          if (!cq.has[key]) cq.quotaKeys.push(key);
          cq.has[key] = 1;
          cq.nominal[key] = rq.nominalQuota;
          cq.borrowLimit[key] = spec.cohort ? (rq.borrowingLimit ?? Infinity) : 0;
          cq.lendable[key] = Math.min(rq.nominalQuota, rq.lendingLimit ?? rq.nominalQuota);
        }
      }
    }
    state.cqs.push(cq);
    state.cqByName.set(cq.name, cq);
  }
  const byCohort = new Map<string, CQState[]>();
  for (const cq of state.cqs) if (cq.spec.cohort) byCohort.set(cq.spec.cohort, [...(byCohort.get(cq.spec.cohort) ?? []), cq]);
  for (const [name, members] of byCohort) state.cohorts.set(name, buildCohort(name, members, R, size));
}

function buildNodes(state: SchedulerState, snap: SchedulerSnapshot): void {
  for (const spec of snap.nodes) {
    const alloc = new Float64Array(state.R);
    for (const r in spec.allocatable) alloc[state.resIdx.get(r) as number] = spec.allocatable[r];
    const ready = spec.ready !== false;
    const gpus = state.gpuRes >= 0 ? alloc[state.gpuRes] : 0;
    if (state.milliRes >= 0 && spec.allocatable[state.options.gpuMilliResource] === undefined) alloc[state.milliRes] = gpus * MILLI;
    const node: NodeState = {
      idx: state.nodes.length, name: spec.name, spec, alloc, free: alloc.slice(),
      gpuFree: Array.from({ length: gpus }, (_, i) => i), devFree: new Int32Array(gpus).fill(MILLI), milliRes: state.milliRes, scratchFree: undefined, scratchDev: undefined, scratchEpoch: 0,
      usable: ready && !spec.unschedulable, ready, pools: [], gpuBucket: 0, cpuBucket: 0,
    };
    state.maxGpuBucket = Math.max(state.maxGpuBucket, gpus);
    state.maxCpuBucket = Math.max(state.maxCpuBucket, Math.floor(alloc[state.cpuRes] / 1000));
    state.nodes.push(node);
    state.nodeByName.set(spec.name, node);
    if (!node.usable) state.unusableNodes.push(node);
  }
  state.maxCpuBucket = Math.min(state.maxCpuBucket, 1024);
  for (const n of state.nodes) {
    n.gpuBucket = gpuBucketOf(state, n);
    n.cpuBucket = cpuBucketOf(state, n.free[state.cpuRes]);
  }
}

/** Build the working state for a snapshot. Never mutates the snapshot. */
export function createSchedulerState(snap: SchedulerSnapshot, options?: ScheduleOptions): SchedulerState {
  const opts = resolveOptions(options);
  const resources = collectResources(snap, opts.gpuResource);
  const resIdx = new Map(resources.map((r, i) => [r, i]));
  const state: SchedulerState = {
    options: opts, resources, resIdx, gpuRes: resIdx.get(opts.gpuResource) as number, milliRes: resIdx.get(opts.gpuMilliResource) ?? -1, cpuRes: resIdx.get('cpu') as number,
    flavors: [], flavorIdx: new Map(), R: resources.length, cqs: [], cqByName: new Map(), cohorts: new Map(),
    localQueues: new Map(),
    namespaces: snap.namespaces ?? {}, priorityClasses: new Map((snap.priorityClasses ?? []).map((p) => [p.name, p.value])),
    nodes: [], nodeByName: new Map(), unusableNodes: [], neverFit: new Map(), pools: new Map(), maxGpuBucket: 0, maxCpuBucket: 0,
    workloads: new Map(), unindexed: [], unqueued: [], version: 0, scratchEpoch: 0, searchMemo: true, pendingEvictions: [], seq: 0, shapeIds: new Map(), shapeTrie: { next: new Map() }, mix: emptyMix(), scratchDev: new Int32Array(16), staticCombos: new Map(), scratchR: new Float64Array(resources.length),
  };
  for (const lq of snap.localQueues) {
    let inNs = state.localQueues.get(lq.namespace);
    if (!inNs) { inNs = new Map(); state.localQueues.set(lq.namespace, inNs); }
    inNs.set(lq.name, lq.clusterQueue);
  }
  for (const rf of snap.resourceFlavors) {
    state.flavorIdx.set(rf.name, state.flavors.length);
    state.flavors.push({ idx: state.flavors.length, name: rf.name, nodeLabels: rf.nodeLabels, nodeTaints: rf.nodeTaints, tolerations: rf.tolerations, missing: false });
  }
  for (const cq of snap.clusterQueues) for (const g of cq.resourceGroups) for (const fq of g.flavors) {
    if (!state.flavorIdx.has(fq.name)) {
      state.flavorIdx.set(fq.name, state.flavors.length);
      state.flavors.push({ idx: state.flavors.length, name: fq.name, missing: true });
    }
  }
  buildCQs(state, snap);
  buildNodes(state, snap);
  // Bulk load: append, then sort each queue once (insertion one by one would be quadratic).
  for (const w of snap.workloads) addWorkload(state, w, true);
  const cmp = queueComparator(opts.queueOrder);
  for (const cq of state.cqs) cq.pending.sort(cmp);
  return state;
}

function intern(state: SchedulerState, shape: string): number {
  let id = state.shapeIds.get(shape);
  if (id === undefined) { id = state.shapeIds.size; state.shapeIds.set(shape, id); }
  return id;
}

/** What equal podSet shapes share: the sparse requests, the signature and its interned id. */
interface ParsedShape { req: SparseReq; shape: string; shapeId: number; gpuPerPod: number }

// Shapes without selectors or tolerations are found through a trie of numbers (count, then resource
// index and amount pairs), so building the state for 50k workloads allocates no signature strings.
function parsePodSetShape(state: SchedulerState, spec: PodSet): ParsedShape {
  const plain = !spec.nodeSelector && !spec.tolerations;
  let node: ShapeTrie = state.shapeTrie;
  if (plain) {
    node = trieStep(node, spec.count);
    for (const r in spec.requests) {
      const a = spec.requests[r];
      if (a > 0) node = trieStep(trieStep(node, state.resIdx.get(r) as number), a);
    }
    if (node.leaf) return node.leaf as ParsedShape;
  }
  const req: SparseReq = [];
  let shape = `${spec.count}x`;
  for (const r in spec.requests) {
    const a = spec.requests[r];
    if (a > 0) { const ri = state.resIdx.get(r) as number; req.push([ri, a]); shape += `${ri}:${a},`; }
  }
  if (!plain) shape += JSON.stringify([spec.nodeSelector, spec.tolerations]);
  const parsed: ParsedShape = { req, shape, shapeId: intern(state, shape), gpuPerPod: state.gpuRes >= 0 ? (spec.requests[state.options.gpuResource] ?? 0) : 0 };
  if (plain) node.leaf = parsed;
  return parsed;
}

function trieStep(node: ShapeTrie, k: number): ShapeTrie {
  let next = node.next.get(k);
  if (!next) { next = { next: new Map() }; node.next.set(k, next); }
  return next;
}

function parseWorkload(state: SchedulerState, w: Workload): WlState {
  const prio = w.priority ?? (w.priorityClassName ? state.priorityClasses.get(w.priorityClassName) : undefined) ?? 0;
  const podSets: PodSetState[] = [];
  for (let i = 0; i < w.podSets.length; i++) {
    const spec = w.podSets[i];
    const p = parsePodSetShape(state, spec);
    podSets.push({ spec, count: spec.count, req: p.req, shape: p.shape, shapeId: p.shapeId, gpuPerPod: p.gpuPerPod });
  }
  const ws: WlState = {
    wl: w, seq: state.seq++, cq: undefined, unqueuedReason: undefined, priority: prio, created: w.creationTimestamp,
    durationMs: w.expectedDurationMs, podSets, admitted: undefined, admittedAt: w.status?.admittedAt, evicting: w.status?.evicting === true,
    shapeId: podSets.length === 1 ? podSets[0].shapeId : intern(state, podSets.map((p) => p.shape).join(';')),
    requeuedFromFailure: undefined, cycleReason: undefined, cycleAdmitted: false,
  };
  const cqName = state.localQueues.get(w.namespace)?.get(w.queueName);
  const cq = cqName === undefined ? undefined : state.cqByName.get(cqName);
  if (!cq) {
    ws.unqueuedReason = { code: 'QueueNotFound', message: cqName === undefined
      ? `LocalQueue ${w.queueName} not found in namespace ${w.namespace}`
      : `ClusterQueue ${cqName} (from LocalQueue ${w.queueName}) not found` };
  } else if (cq.spec.namespaceSelector && !matchesLabelSelector(state.namespaces[w.namespace] ?? {}, cq.spec.namespaceSelector)) {
    ws.unqueuedReason = { code: 'NamespaceNotAllowed', message: `namespace ${w.namespace} is not selected by ClusterQueue ${cq.name}'s namespaceSelector` };
  } else ws.cq = cq;
  return ws;
}

function applyRecordedAdmission(state: SchedulerState, ws: WlState, cq: CQState): boolean {
  const adm = ws.wl.status?.admission;
  if (!adm) return false;
  for (const psa of adm.podSetAssignments) for (const p of psa.placements ?? []) {
    const node = state.nodeByName.get(p.node);
    if (node && !node.ready) {
      state.pendingEvictions.push({ wl: ws, message: `node ${node.name} failed; workload evicted and requeued` });
      ws.requeuedFromFailure = node.name;
      return false;
    }
  }
  const parts: PodSetAdmission[] = [];
  for (const psa of adm.podSetAssignments) {
    const ps = ws.podSets.find((p) => p.spec.name === psa.name);
    const flavorOfResource = new Map<number, number>();
    for (const r in psa.flavors) {
      const ri = state.resIdx.get(r); const fi = state.flavorIdx.get(psa.flavors[r]);
      if (ri !== undefined && fi !== undefined) flavorOfResource.set(ri, fi);
    }
    const usage: [number, number][] = [];
    const totals: Record<string, number> = Object.keys(psa.resourceUsage ?? {}).length > 0 ? psa.resourceUsage
      : Object.fromEntries(Object.entries(ps?.spec.requests ?? {}).map(([r, a]) => [r, a * (psa.count ?? ps?.count ?? 0)]));
    for (const r in totals) {
      const ri = state.resIdx.get(r); const fi = flavorOfResource.get(ri ?? -1);
      if (ri === undefined || fi === undefined || totals[r] <= 0) continue;
      usage.push([fi * state.R + ri, totals[r]]);
      addUsage(cq, fi * state.R + ri, totals[r]);
    }
    const pods = [];
    for (const p of psa.placements ?? []) {
      const node = state.nodeByName.get(p.node);
      if (!node || !ps) continue;
      pods.push({ node, gpus: allocateRecordedPod(state, node, ps.req, p.gpus ?? [], ps.gpuPerPod) });
    }
    parts.push({ flavorOfResource, usage, pods });
  }
  ws.admitted = parts;
  cq.admittedSet.add(ws);
  state.version++;
  return true;
}

/** Add a workload (pending or already admitted) to the state. */
export function addWorkload(state: SchedulerState, w: Workload, unsorted = false): WlState {
  const ws = parseWorkload(state, w);
  if (state.options.placement === 'fgd') for (const ps of ws.podSets) recordShape(state, ps.req, ps.count);
  state.unindexed.push(ws);
  if (!ws.cq) {
    state.unqueued.push(ws);
    return ws;
  }
  const adm = w.status?.admission;
  const admCq = adm ? state.cqByName.get(adm.clusterQueue) ?? ws.cq : ws.cq;
  if (adm && applyRecordedAdmission(state, ws, admCq)) {
    ws.cq = admCq;
    return ws;
  }
  if (unsorted) ws.cq.pending.push(ws);
  else insertSorted(ws.cq.pending, ws, queueComparator(state.options.queueOrder));
  return ws;
}

/** Release everything an admitted workload holds (quota and node/GPU allocations). */
export function releaseAdmission(state: SchedulerState, ws: WlState): void {
  if (!ws.admitted || !ws.cq) return;
  for (let i = 0; i < ws.admitted.length; i++) {
    const part = ws.admitted[i];
    for (const [key, amount] of part.usage) addUsage(ws.cq, key, -amount);
    const ps = ws.podSets[i];
    if (ps) for (const pod of part.pods) releasePod(state, pod.node, ps.req, pod.gpus);
  }
  ws.cq.admittedSet.delete(ws);
  state.version++;
  ws.admitted = undefined;
  ws.admittedAt = undefined;
}

/** A workload finished or was deleted: free its resources and forget it. */
export function removeWorkload(state: SchedulerState, namespace: string, name: string): void {
  const ws = findWorkload(state, namespace, name);
  if (!ws) return;
  if (ws.admitted) releaseAdmission(state, ws);
  else if (!ws.cq) state.unqueued = state.unqueued.filter((u) => u !== ws);
  else {
    const i = ws.cq.pending.indexOf(ws);
    if (i >= 0) ws.cq.pending.splice(i, 1);
  }
  state.workloads.get(namespace)?.delete(name); // findWorkload above indexed everything
}

/** Evict an admitted workload (preempted or node failure) and put it back in its queue. */
export function evictWorkload(state: SchedulerState, namespace: string, name: string): void {
  const ws = findWorkload(state, namespace, name);
  if (!ws || !ws.admitted || !ws.cq) return;
  releaseAdmission(state, ws);
  ws.evicting = false;
  insertSorted(ws.cq.pending, ws, queueComparator(state.options.queueOrder));
}

/**
 * Change a workload's priority (the simulator's shortest-remaining-time-first keeps priority =
 * −remaining time). A pending workload moves to its new place in the queue; an admitted one is
 * re-ranked as a preemption candidate.
 */
export function setWorkloadPriority(state: SchedulerState, namespace: string, name: string, priority: number): void {
  const ws = findWorkload(state, namespace, name);
  if (!ws || ws.priority === priority) return;
  const cq = ws.cq;
  const at = !ws.admitted && cq ? cq.pending.indexOf(ws) : -1;
  if (at >= 0) (cq as CQState).pending.splice(at, 1);
  ws.priority = priority;
  if (at >= 0) insertSorted((cq as CQState).pending, ws, queueComparator(state.options.queueOrder));
  state.version++;
}
