// Node capacity index: every usable node sits in buckets keyed by its free GPUs and free whole
// cores, per pool (a pool = the nodes matching one combination of flavors). Placement walks
// buckets from "just enough" upwards (binpack) or from the top down (spread), so a pod is placed
// after looking at a handful of nodes instead of all of them.
import type { FlavorInfo, NodeState, Pool, SchedulerState, SparseReq } from './internal-types.js';
import { matchesNodeSelector } from './node-matching.js';

/** Bucket index for free millicores (whole cores, capped). */
export function cpuBucketOf(state: SchedulerState, freeMilli: number): number {
  const b = Math.floor(freeMilli / 1000);
  return b < 0 ? 0 : b > state.maxCpuBucket ? state.maxCpuBucket : b;
}

/** Bucket index for free GPUs. */
export function gpuBucketOf(state: SchedulerState, node: NodeState): number {
  return state.gpuRes < 0 ? 0 : Math.max(0, Math.min(state.maxGpuBucket, node.free[state.gpuRes]));
}

/**
 * Nodes of one bucket kept in node-index order, so equal candidates are taken lowest index first and
 * a node that leaves and re-enters a bucket (a trial placement rolled back, a victim suspended and
 * restored) is back where it was: searches that change nothing leave no trace on later placements.
 */
export class NodeBucket {
  readonly nodes: NodeState[] = [];
  get size(): number { return this.nodes.length; }
  private find(idx: number): number {
    const a = this.nodes;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid].idx < idx) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
  add(n: NodeState): void {
    const i = this.find(n.idx);
    if (this.nodes[i] !== n) this.nodes.splice(i, 0, n);
  }
  delete(n: NodeState): void {
    const i = this.find(n.idx);
    if (this.nodes[i] === n) this.nodes.splice(i, 1);
  }
}

function newBuckets(n: number): NodeBucket[] {
  const out: NodeBucket[] = [];
  for (let i = 0; i <= n; i++) out.push(new NodeBucket());
  return out;
}

/** Pool for a set of flavors (built lazily, cached in the state). */
export function poolFor(state: SchedulerState, flavors: number[]): Pool {
  const sorted = [...new Set(flavors)].sort((a, b) => a - b);
  const key = sorted.join(',');
  let pool = state.pools.get(key);
  if (pool) return pool;
  const infos: FlavorInfo[] = sorted.map((f) => state.flavors[f]);
  pool = { key, nodes: [], gpuBuckets: newBuckets(state.maxGpuBucket), cpuBuckets: newBuckets(state.maxCpuBucket) };
  for (const n of state.nodes) {
    if (!n.usable) continue;
    let ok = true;
    for (const fi of infos) if (!matchesNodeSelector(n.spec.labels, fi.nodeLabels)) { ok = false; break; }
    if (!ok) continue;
    pool.nodes.push(n);
    n.pools.push(pool);
    pool.gpuBuckets[n.gpuBucket].add(n);
    pool.cpuBuckets[n.cpuBucket].add(n);
  }
  state.pools.set(key, pool);
  return pool;
}

function rebucket(state: SchedulerState, node: NodeState): void {
  const g = gpuBucketOf(state, node);
  const c = state.cpuRes < 0 ? 0 : cpuBucketOf(state, node.free[state.cpuRes]);
  if (g !== node.gpuBucket) {
    for (const p of node.pools) { p.gpuBuckets[node.gpuBucket].delete(node); p.gpuBuckets[g].add(node); }
    node.gpuBucket = g;
  }
  if (c !== node.cpuBucket) {
    for (const p of node.pools) { p.cpuBuckets[node.cpuBucket].delete(node); p.cpuBuckets[c].add(node); }
    node.cpuBucket = c;
  }
}

/** The milli-GPU amount of a request (one shared GPU slice), 0 when it asks none. */
export function milliOf(req: SparseReq, milliRes: number): number {
  if (milliRes < 0) return 0;
  for (let i = 0; i < req.length; i++) if (req[i][0] === milliRes) return req[i][1];
  return 0;
}

/** How many more pods with these requests fit on the node by capacity alone (shared GPUs counted per device). */
export function podsThatFit(node: NodeState, req: SparseReq): number {
  return podsThatFitOn(node.free, node.devFree, node.milliRes, req);
}

/** `podsThatFit` on given free amounts and per-device free milli-GPU. */
export function podsThatFitOn(free: Float64Array, devFree: Int32Array, milliRes: number, req: SparseReq): number {
  let k = Infinity;
  for (let i = 0; i < req.length; i++) {
    const [r, a] = req[i];
    if (a <= 0) continue;
    const f = Math.floor(free[r] / a);
    if (f < k) k = f;
    if (k === 0) return 0;
  }
  const m = milliOf(req, milliRes);
  if (m > 0) {
    // A slice lives on one device: count what each device can hold.
    let onDevices = 0;
    for (let d = 0; d < devFree.length; d++) onDevices += Math.floor(devFree[d] / m);
    if (onDevices < k) k = onDevices;
  }
  return k;
}

/** Apply the release of one pod to copies of a node's free amounts and devices (what `releasePod` would do, without touching the node). */
export function releaseOn(free: Float64Array, devFree: Int32Array, milliRes: number, gpuRes: number, req: SparseReq, gpus: number[]): void {
  for (let i = 0; i < req.length; i++) free[req[i][0]] += req[i][1];
  const m = milliOf(req, milliRes);
  if (m > 0) {
    for (const d of gpus) { devFree[d] += m; if (devFree[d] === MILLI && gpuRes >= 0) free[gpuRes] += 1; }
  } else {
    for (const g of gpus) { devFree[g] = MILLI; if (milliRes >= 0) free[milliRes] += MILLI; }
  }
}

/** The device a shared slice of `m` milli-GPU goes to: the fullest one that still has room (lowest index on ties), or −1. */
export function sliceDevice(devFree: ArrayLike<number>, m: number): number {
  let best = -1;
  for (let d = 0; d < devFree.length; d++) if (devFree[d] >= m && (best < 0 || devFree[d] < devFree[best])) best = d;
  return best;
}

function takeWhole(node: NodeState, d: number): void {
  node.devFree[d] = 0;
  if (node.milliRes >= 0) node.free[node.milliRes] -= MILLI;
}

function takeSlice(state: SchedulerState, node: NodeState, d: number, m: number): void {
  if (node.devFree[d] === MILLI) {
    const at = node.gpuFree.indexOf(d);
    if (at >= 0) node.gpuFree.splice(at, 1);
    if (state.gpuRes >= 0) node.free[state.gpuRes] -= 1;
  }
  node.devFree[d] -= m;
}

/** Milli-GPU per device. */
export const MILLI = 1000;

/** Take one pod's requests from a node; returns the concrete GPU indices handed out (the shared device for a slice). */
export function allocatePod(state: SchedulerState, node: NodeState, req: SparseReq, gpus: number): number[] {
  for (let i = 0; i < req.length; i++) node.free[req[i][0]] -= req[i][1];
  let got: number[] = [];
  if (gpus > 0) {
    // Lowest indices first keeps assignments stable and readable; splice keeps the free list sorted.
    got = node.gpuFree.splice(0, gpus);
    if (got.length !== gpus) throw new Error(`bug: node ${node.name} has ${got.length} free GPU indices, need ${gpus}`);
    for (const d of got) takeWhole(node, d);
  }
  const m = milliOf(req, node.milliRes);
  if (m > 0) {
    const d = sliceDevice(node.devFree, m);
    if (d < 0) throw new Error(`bug: node ${node.name} has no GPU with ${m} milli-GPU free`);
    takeSlice(state, node, d, m);
    got = [d];
  }
  rebucket(state, node);
  return got;
}

/** Give one pod's requests back to a node. */
export function releasePod(state: SchedulerState, node: NodeState, req: SparseReq, gpus: number[]): void {
  for (let i = 0; i < req.length; i++) node.free[req[i][0]] += req[i][1];
  const m = milliOf(req, node.milliRes);
  if (m > 0) {
    for (const d of gpus) {
      if (node.devFree[d] + m > MILLI) throw new Error(`bug: ${m} milli-GPU of GPU ${d} on ${node.name} released twice`);
      node.devFree[d] += m;
      if (node.devFree[d] === MILLI) {
        node.gpuFree.push(d);
        node.gpuFree.sort((a, b) => a - b);
        if (state.gpuRes >= 0) node.free[state.gpuRes] += 1;
      }
    }
  } else if (gpus.length > 0) {
    for (const g of gpus) {
      if (node.gpuFree.includes(g)) throw new Error(`bug: GPU ${g} on ${node.name} released twice`);
      node.gpuFree.push(g);
      node.devFree[g] = MILLI;
      if (node.milliRes >= 0) node.free[node.milliRes] += MILLI;
    }
    node.gpuFree.sort((a, b) => a - b);
  }
  rebucket(state, node);
}

/** Claim specific GPU indices recorded in an existing admission (falls back to any free ones). */
export function allocateRecordedPod(state: SchedulerState, node: NodeState, req: SparseReq, gpus: number[], want: number): number[] {
  for (let i = 0; i < req.length; i++) node.free[req[i][0]] -= req[i][1];
  const m = milliOf(req, node.milliRes);
  if (m > 0) {
    // The recorded device if it still has room, else the one a new slice would get.
    let d = gpus.length > 0 && gpus[0] < node.devFree.length && node.devFree[gpus[0]] >= m ? gpus[0] : sliceDevice(node.devFree, m);
    if (d < 0) d = 0;
    if (node.devFree.length > 0) takeSlice(state, node, d, Math.min(m, node.devFree[d]));
    rebucket(state, node);
    return node.devFree.length > 0 ? [d] : [];
  }
  const got: number[] = [];
  for (const g of gpus) {
    const at = node.gpuFree.indexOf(g);
    if (at >= 0) { node.gpuFree.splice(at, 1); got.push(g); }
  }
  // A recorded index that is unknown or already taken is replaced so no GPU is counted twice.
  while (got.length < want && node.gpuFree.length > 0) got.push(node.gpuFree.shift() as number);
  for (const d of got) takeWhole(node, d);
  rebucket(state, node);
  return got;
}
