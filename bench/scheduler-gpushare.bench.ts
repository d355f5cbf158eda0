// GPU-sharing placement benchmark (issue 21), after the experiment of Weng et al. (USENIX ATC 2023,
// "Beware of Fragmentation"): pods of an openb-like stream (src/sim/synthetic-gpushare.ts; a
// synthetic stand-in for the Alibaba cluster-trace-gpu-v2023, NOT the trace) arrive one by one and
// never leave; each arrival runs one admission cycle of the real core; a pod that does not fit is
// dropped. Reported: the share of the cluster's GPU capacity allocated when the GPU demand that has
// arrived reaches 90 %, 100 % and 110 % of capacity, per placement policy, averaged over seeds.
// Prints a table, then one JSON line.
import { addWorkload, createSchedulerState, removeWorkload, runAdmissionCycle } from '../src/scheduler/index.js';
import type { PlacementStrategy, SchedulerSnapshot } from '../src/scheduler/types.js';
import { openbLikeNodes, openbLikePods } from '../src/sim/synthetic-gpushare.js';

const GPU = 'nvidia.com/gpu';
const MILLI = 'capstan.dev/gpu-milli';
const POLICIES: PlacementStrategy[] = ['firstfit', 'binpack', 'spread', 'bestfit', 'worstfit', 'fgd'];
const SEEDS = [1, 2, 3];
const MARKS = [0.9, 1.0, 1.1];

function cluster(): SchedulerSnapshot {
  const big = 1e15;
  return {
    resourceFlavors: [{ name: 'any' }],
    clusterQueues: [{ name: 'q', resourceGroups: [{ coveredResources: ['cpu', 'memory', GPU, MILLI], flavors: [{ name: 'any', resources: [GPU, MILLI, 'cpu', 'memory'].map((name) => ({ name, nominalQuota: big })) }] }] }],
    localQueues: [{ namespace: 'ns', name: 'q', clusterQueue: 'q' }],
    nodes: openbLikeNodes(),
    workloads: [],
  };
}

function run(placement: PlacementStrategy, seed: number): { ratios: number[]; ms: number; placed: number; arrived: number } {
  const snap = cluster();
  const capacity = snap.nodes.reduce((s, n) => s + n.allocatable[GPU], 0);
  const pods = openbLikePods(8000, seed);
  const state = createSchedulerState(snap, { placement, explain: false });
  let arrived = 0;
  let allocated = 0;
  let placed = 0;
  const ratios: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < pods.length && ratios.length < MARKS.length; i++) {
    const p = pods[i];
    const demand = p.gpus + p.milli / 1000;
    addWorkload(state, { namespace: 'ns', name: `p${i}`, queueName: 'q', creationTimestamp: i, podSets: [{ name: 'p', count: 1, requests: { cpu: p.cpu, memory: p.memory, [GPU]: p.gpus, ...(p.milli > 0 ? { [MILLI]: p.milli } : {}) } }] });
    const d = runAdmissionCycle(state, i);
    if (d.admissions.length > 0) { allocated += demand; placed++; } else removeWorkload(state, 'ns', `p${i}`);
    arrived += demand;
    while (ratios.length < MARKS.length && arrived >= MARKS[ratios.length] * capacity) ratios.push(allocated / capacity);
  }
  return { ratios, ms: performance.now() - t0, placed, arrived: pods.length };
}

const capacity = cluster().nodes.reduce((s, n) => s + n.allocatable[GPU], 0);
const rows = POLICIES.map((placement) => {
  const runs = SEEDS.map((s) => run(placement, s));
  const mean = (f: (r: (typeof runs)[number]) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  return { placement, allocatedAt: MARKS.map((_, i) => mean((r) => r.ratios[i] ?? NaN)), ms: mean((r) => r.ms), placed: mean((r) => r.placed) };
});
const pad = (s: string | number, n: number) => String(s).padEnd(n);
console.log(`openb-like cluster: ${cluster().nodes.length} nodes, ${capacity} GPUs; pods arrive and never leave; ${SEEDS.length} seeds`);
console.log(`${pad('placement', 11)}${MARKS.map((m) => pad(`alloc @${Math.round(m * 100)}% arrived`, 22)).join('')}${pad('pods placed', 13)}ms per run`);
for (const r of rows) console.log(`${pad(r.placement, 11)}${r.allocatedAt.map((a) => pad(`${(a * 100).toFixed(1)}%`, 22)).join('')}${pad(r.placed.toFixed(0), 13)}${r.ms.toFixed(0)}`);
console.log(JSON.stringify({ bench: 'scheduler-gpushare', loadavg: (await import('node:os')).loadavg()[0], gpus: capacity, marks: MARKS, rows }));
