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

/** How many more pods with these requests fit on the node by capacity alone. */
export function podsThatFit(node: NodeState, req: SparseReq): number {
  let k = Infinity;
  for (let i = 0; i < req.length; i++) {
    const [r, a] = req[i];
    if (a <= 0) continue;
    const f = Math.floor(node.free[r] / a);
    if (f < k) k = f;
    if (k === 0) return 0;
  }
  return k;
}

/** Take one pod's requests from a node; returns the concrete GPU indices handed out. */
export function allocatePod(state: SchedulerState, node: NodeState, req: SparseReq, gpus: number): number[] {
  for (let i = 0; i < req.length; i++) node.free[req[i][0]] -= req[i][1];
  let got: number[] = [];
  if (gpus > 0) {
    // Lowest indices first keeps assignments stable and readable; splice keeps the free list sorted.
    got = node.gpuFree.splice(0, gpus);
    if (got.length !== gpus) throw new Error(`bug: node ${node.name} has ${got.length} free GPU indices, need ${gpus}`);
  }
  rebucket(state, node);
  return got;
}

/** Give one pod's requests back to a node. */
export function releasePod(state: SchedulerState, node: NodeState, req: SparseReq, gpus: number[]): void {
  for (let i = 0; i < req.length; i++) node.free[req[i][0]] += req[i][1];
  if (gpus.length > 0) {
    for (const g of gpus) {
      if (node.gpuFree.includes(g)) throw new Error(`bug: GPU ${g} on ${node.name} released twice`);
      node.gpuFree.push(g);
    }
    node.gpuFree.sort((a, b) => a - b);
  }
  rebucket(state, node);
}

/** Claim specific GPU indices recorded in an existing admission (falls back to any free ones). */
export function allocateRecordedPod(state: SchedulerState, node: NodeState, req: SparseReq, gpus: number[], want: number): number[] {
  for (let i = 0; i < req.length; i++) node.free[req[i][0]] -= req[i][1];
  const got: number[] = [];
  for (const g of gpus) {
    const at = node.gpuFree.indexOf(g);
    if (at >= 0) { node.gpuFree.splice(at, 1); got.push(g); }
  }
  // A recorded index that is unknown or already taken is replaced so no GPU is counted twice.
  while (got.length < want && node.gpuFree.length > 0) got.push(node.gpuFree.shift() as number);
  rebucket(state, node);
  return got;
}
