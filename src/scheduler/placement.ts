// Node placement of a gang: filter (capacity incl. GPUs, nodeSelector, taints) and score.
// binpack / spread walk the pool's capacity buckets (free GPUs, or free cores for CPU-only pods) from
// "just enough" up (binpack) or from the top down (spread); in the first bucket with room they score
// up to SCORE_WINDOW fitting nodes on every resource (node-score.ts) and take the fullest (binpack)
// or emptiest (spread) after placement, lowest node index on ties. firstfit = the first node in
// node-index order with room (what several published simulators call yarn-style); bestfit /
// worstfit = the node left fullest / emptiest over every resource, among ALL nodes of the pool;
// fgd = the node whose GPU fragmentation for the workload mix grows least (fragmentation.ts);
// topology = one node for the whole podSet if any can hold it, else nodes with the most room first.
import type { NodeState, PodAlloc, PodSetState, Pool, SchedulerState } from './internal-types.js';
import type { PlacementStrategy, Toleration } from './types.js';
import { allocatePod, podsThatFit, releasePod, type NodeBucket } from './node-index.js';
import { matchesNodeSelector, toleratesAll } from './node-matching.js';
import { remainingAfter } from './node-score.js';
import { fragmentationDelta } from './fragmentation.js';

/** Fitting nodes scored per pod in the first bucket with room (bounded like kube-scheduler's percentageOfNodesToScore). */
const SCORE_WINDOW = 16;

interface Ctx {
  state: SchedulerState;
  ps: PodSetState;
  tolerations: Toleration[] | undefined;
  rejected: Set<NodeState>;
  useGpu: boolean;
  start: number;
  buckets: NodeBucket[];
}

function nodeOk(c: Ctx, n: NodeState): boolean {
  if (c.rejected.has(n)) return false;
  const sel = c.ps.spec.nodeSelector;
  if ((sel && !matchesNodeSelector(n.spec.labels, sel)) || !toleratesAll(n.spec.taints, c.tolerations)) {
    c.rejected.add(n);
    return false;
  }
  return true;
}

function place(c: Ctx, n: NodeState, k: number, out: PodAlloc[]): void {
  for (let i = 0; i < k; i++) out.push({ node: n, gpus: allocatePod(c.state, n, c.ps.req, c.ps.gpuPerPod) });
}

function firstFit(c: Ctx, ascending: boolean, need: number, minStart: number): NodeState | undefined {
  const max = c.buckets.length - 1;
  const lo = Math.min(max, minStart);
  for (let b = ascending ? lo : max; ascending ? b <= max : b >= lo; b += ascending ? 1 : -1) {
    const nodes = c.buckets[b].nodes;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (c.rejected.has(n)) continue;
      if (podsThatFit(n, c.ps.req) < need) {
        // Within one placement free capacity only shrinks, so a single-pod miss is final.
        if (need === 1) c.rejected.add(n);
        continue;
      }
      if (nodeOk(c, n)) return n;
    }
  }
  return undefined;
}

/** binpack / spread for one pod: the first bucket (in walking order) with a fitting node, best of up to SCORE_WINDOW there. */
function bucketScored(c: Ctx, ascending: boolean): NodeState | undefined {
  const max = c.buckets.length - 1;
  const lo = Math.min(max, c.start);
  for (let b = ascending ? lo : max; ascending ? b <= max : b >= lo; b += ascending ? 1 : -1) {
    const nodes = c.buckets[b].nodes;
    let best: NodeState | undefined;
    let bestScore = 0;
    let seen = 0;
    for (let i = 0; i < nodes.length && seen < SCORE_WINDOW; i++) {
      const n = nodes[i];
      if (c.rejected.has(n)) continue;
      if (podsThatFit(n, c.ps.req) < 1) { c.rejected.add(n); continue; }
      if (!nodeOk(c, n)) continue;
      seen++;
      const s = remainingAfter(n, c.ps.req, c.state.gpuRes);
      if (!best || (ascending ? s < bestScore : s > bestScore)) { best = n; bestScore = s; }
    }
    if (best) return best;
  }
  return undefined;
}

/** firstfit / bestfit / worstfit / fgd for one pod: a scan of the whole pool in node-index order. */
function scanned(c: Ctx, pool: Pool, strategy: 'firstfit' | 'bestfit' | 'worstfit' | 'fgd'): NodeState | undefined {
  let best: NodeState | undefined;
  let bestScore = 0;
  let bestFrag = 0;
  const nodes = pool.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (c.rejected.has(n)) continue;
    if (podsThatFit(n, c.ps.req) < 1) { c.rejected.add(n); continue; }
    if (!nodeOk(c, n)) continue;
    if (strategy === 'firstfit') return n;
    const s = remainingAfter(n, c.ps.req, c.state.gpuRes);
    if (strategy === 'fgd') {
      const f = fragmentationDelta(c.state, n, c.ps.req, c.ps.gpuPerPod);
      if (!best || f < bestFrag || (f === bestFrag && s < bestScore)) { best = n; bestScore = s; bestFrag = f; }
      continue;
    }
    if (!best || (strategy === 'bestfit' ? s < bestScore : s > bestScore)) { best = n; bestScore = s; }
  }
  return best;
}

/** Place every pod of a podSet or none: returns the allocations, or undefined after rolling back. */
export function placePodSet(
  state: SchedulerState,
  pool: Pool,
  ps: PodSetState,
  tolerations: Toleration[] | undefined,
  strategy: PlacementStrategy,
): PodAlloc[] | undefined {
  const useGpu = ps.gpuPerPod > 0 && state.gpuRes >= 0;
  const cpuReq = state.cpuRes >= 0 ? (ps.req.find(([r]) => r === state.cpuRes)?.[1] ?? 0) : 0;
  const start = useGpu ? ps.gpuPerPod : Math.floor(cpuReq / 1000);
  const c: Ctx = { state, ps, tolerations, rejected: new Set(), useGpu, start, buckets: useGpu ? pool.gpuBuckets : pool.cpuBuckets };
  const out: PodAlloc[] = [];
  let remaining = ps.count;
  if (strategy === 'topology' && remaining > 1) {
    const whole = firstFit(c, true, remaining, start * remaining);
    if (whole) { place(c, whole, remaining, out); return out; }
    const max = c.buckets.length - 1;
    for (let b = max; b >= Math.min(start, max) && remaining > 0; b--) {
      const nodes = c.buckets[b].nodes;
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i];
        const k = Math.min(remaining, podsThatFit(n, ps.req));
        if (k <= 0 || !nodeOk(c, n)) continue;
        place(c, n, k, out);
        // The node moved to a lower bucket (walked later, as a Set would): stay on this index.
        if (nodes[i] !== n) i--;
        remaining -= k;
        if (remaining === 0) break;
      }
    }
  } else {
    while (remaining > 0) {
      const n = strategy === 'binpack' || strategy === 'spread' || strategy === 'topology' ? bucketScored(c, strategy !== 'spread') : scanned(c, pool, strategy);
      if (!n) break;
      place(c, n, 1, out);
      remaining--;
    }
  }
  if (remaining > 0) {
    rollback(state, ps, out);
    return undefined;
  }
  return out;
}

/** Undo allocations made for a podSet. */
export function rollback(state: SchedulerState, ps: PodSetState, pods: PodAlloc[]): void {
  for (let i = pods.length - 1; i >= 0; i--) releasePod(state, pods[i].node, ps.req, pods[i].gpus);
}
