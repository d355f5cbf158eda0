// Fragmentation-aware placement, after "Beware of Fragmentation: Scheduling GPU-Sharing Workloads
// with Fragmentation Gradient Descent" (Weng et al., USENIX ATC 2023). For a node and the workload
// mix seen so far (pod shapes that ask for GPUs, weighted by how often they arrived), the node's
// fragmentation is the expected amount of free GPU capacity (milli-GPU) that a pod drawn from the
// mix could NOT use there:
//   - all of the node's free GPU capacity, when that pod does not fit at all (too few whole GPUs, no
//     device with room for its slice, or cpu/memory short — GPUs stranded by cpu count as well);
//   - otherwise the free capacity on devices too small for it (partly used GPUs for a whole-GPU pod,
//     devices with less than its slice free for a shared pod).
// Placing a pod changes only its node's fragmentation; `fgd` takes the node where it grows least
// (the "gradient" step), then the fullest node over every resource, then the lowest index.
import type { NodeState, SchedulerState, SparseReq } from './internal-types.js';
import { MILLI, milliOf, sliceDevice } from './node-index.js';

/** One pod shape of the mix: per-pod cpu, memory, whole GPUs and milli-GPU slice, and its weight. */
export interface MixEntry { cpu: number; memory: number; gpus: number; milli: number; weight: number }

/** Shapes kept in the mix: the most frequent ones (bounded so a placement stays O(nodes × MAX_MIX × devices)). */
const MAX_MIX = 16;

/** The workload mix a state has seen, by pod shape. */
export interface WorkloadMix { byKey: Map<string, MixEntry>; top: MixEntry[]; total: number; dirty: boolean }

/** An empty mix. */
export function emptyMix(): WorkloadMix {
  return { byKey: new Map(), top: [], total: 0, dirty: false };
}

/** Count `pods` arrivals of a pod shape that asks for GPUs (shapes without GPUs do not fragment them). */
export function recordShape(state: SchedulerState, req: SparseReq, pods: number): void {
  let cpu = 0; let memory = 0; let gpus = 0;
  const milli = milliOf(req, state.milliRes);
  const memRes = state.resIdx.get('memory') ?? -1;
  for (const [r, a] of req) {
    if (r === state.cpuRes) cpu = a;
    else if (r === memRes) memory = a;
    else if (r === state.gpuRes) gpus = a;
  }
  if (gpus <= 0 && milli <= 0) return;
  const key = `${cpu}|${memory}|${gpus}|${milli}`;
  const mix = state.mix;
  const e = mix.byKey.get(key);
  if (e) e.weight += pods; else mix.byKey.set(key, { cpu, memory, gpus, milli, weight: pods });
  mix.total += pods;
  mix.dirty = true;
}

function topOf(mix: WorkloadMix): MixEntry[] {
  if (mix.dirty) {
    mix.top = [...mix.byKey.values()].sort((a, b) => b.weight - a.weight).slice(0, MAX_MIX);
    mix.dirty = false;
  }
  return mix.top;
}

/** Expected unusable free milli-GPU of a node in the given condition (free devices, cpu, memory). */
function fragmentation(devFree: ArrayLike<number>, cpu: number, memory: number, top: MixEntry[]): number {
  let free = 0; let whole = 0;
  for (let d = 0; d < devFree.length; d++) { free += devFree[d]; if (devFree[d] === MILLI) whole++; }
  if (free === 0) return 0;
  let sum = 0; let weights = 0;
  for (const m of top) {
    weights += m.weight;
    if (m.cpu > cpu || m.memory > memory) { sum += m.weight * free; continue; }
    let frag = 0;
    if (m.gpus > 0) {
      if (whole < m.gpus) frag = free;
      else for (let d = 0; d < devFree.length; d++) if (devFree[d] < MILLI) frag += devFree[d];
    } else {
      let fits = false;
      for (let d = 0; d < devFree.length; d++) { if (devFree[d] >= m.milli) fits = true; else frag += devFree[d]; }
      if (!fits) frag = free;
    }
    sum += m.weight * frag;
  }
  return weights > 0 ? sum / weights : 0;
}

/** How much placing one pod of `req` (with `gpus` whole GPUs) on the node would raise its fragmentation. */
export function fragmentationDelta(state: SchedulerState, n: NodeState, req: SparseReq, gpus: number): number {
  const top = topOf(state.mix);
  if (top.length === 0 || n.devFree.length === 0) return 0;
  const memRes = state.resIdx.get('memory') ?? -1;
  const cpu = state.cpuRes >= 0 ? n.free[state.cpuRes] : Infinity;
  const memory = memRes >= 0 ? n.free[memRes] : Infinity;
  const before = fragmentation(n.devFree, cpu, memory, top);
  const after = state.scratchDev.length >= n.devFree.length ? state.scratchDev.subarray(0, n.devFree.length) : new Int32Array(n.devFree.length);
  after.set(n.devFree);
  // The devices allocatePod would take: lowest whole ones, the fullest device with room for a slice.
  let left = gpus;
  for (let d = 0; d < after.length && left > 0; d++) if (after[d] === MILLI) { after[d] = 0; left--; }
  const m = milliOf(req, state.milliRes);
  if (m > 0) { const d = sliceDevice(after, m); if (d >= 0) after[d] -= m; }
  let podCpu = 0; let podMem = 0;
  for (const [r, a] of req) { if (r === state.cpuRes) podCpu = a; else if (r === memRes) podMem = a; }
  return fragmentation(after, cpu - podCpu, memory - podMem, top) - before;
}
