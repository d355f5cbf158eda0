// Deterministic synthetic clusters and workloads for benchmarks and tests (seeded PRNG, no
// Math.random), shaped like a GPU training cluster: mostly 1–8 GPU jobs, some multi-pod gangs.
import { seededRandom } from '../random/seeded-random.js';
import type { ClusterQueue, Node, SchedulerSnapshot, Workload } from '../scheduler/types.js';

/** Small seeded PRNG (mulberry32): same seed, same sequence. */
export { seededRandom };

/** Parameters of a synthetic cluster. */
export interface SyntheticClusterSpec {
  nodes: number;
  queues: number;
  pending: number;
  gpusPerNode?: number;
  cohorts?: number;
  seed?: number;
  /** Nominal quotas sum to this multiple of node capacity (>1 = oversubscribed, nodes bind first). */
  quotaFactor?: number;
  /** Prefix of workload names (to combine several snapshots). */
  namePrefix?: string;
}

/** A snapshot with `nodes` 8-GPU nodes in two GPU models, `queues` ClusterQueues sharing them, and `pending` workloads. */
export function syntheticSnapshot(spec: SyntheticClusterSpec): SchedulerSnapshot {
  const rnd = seededRandom(spec.seed ?? 42);
  const gpn = spec.gpusPerNode ?? 8;
  const models = ['h100', 'a100'];
  const nodes: Node[] = [];
  for (let i = 0; i < spec.nodes; i++) {
    nodes.push({ name: `node-${i}`, labels: { 'nvidia.com/gpu.product': models[i % 2] }, allocatable: { cpu: 96_000, memory: 1024 * 2 ** 30, 'nvidia.com/gpu': gpn } });
  }
  const perModelGpus = (spec.nodes / 2) * gpn;
  const cohorts = spec.cohorts ?? Math.max(1, Math.floor(spec.queues / 25));
  const clusterQueues: ClusterQueue[] = [];
  for (let q = 0; q < spec.queues; q++) {
    const share = Math.floor((perModelGpus * (spec.quotaFactor ?? 1)) / spec.queues);
    clusterQueues.push({
      name: `cq-${q}`, cohort: `cohort-${q % cohorts}`, queueingStrategy: q % 3 === 0 ? 'StrictFIFO' : 'BestEffortFIFO',
      preemption: { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'Any' },
      resourceGroups: [{
        coveredResources: ['cpu', 'memory', 'nvidia.com/gpu'],
        flavors: models.map((m) => ({ name: m, resources: [
          { name: 'cpu', nominalQuota: share * 12_000 }, { name: 'memory', nominalQuota: share * 128 * 2 ** 30 }, { name: 'nvidia.com/gpu', nominalQuota: share },
        ] })),
      }],
    });
  }
  const workloads: Workload[] = [];
  const sizes = [1, 1, 1, 2, 2, 4, 8];
  for (let i = 0; i < spec.pending; i++) {
    const q = Math.floor(rnd() * spec.queues);
    const gpus = sizes[Math.floor(rnd() * sizes.length)];
    const count = rnd() < 0.8 ? 1 : [2, 4][Math.floor(rnd() * 2)];
    workloads.push({
      namespace: `ns-${q}`, name: `${spec.namePrefix ?? 'wl-'}${i}`, queueName: 'default', priority: Math.floor(rnd() * 4), creationTimestamp: i,
      expectedDurationMs: 60_000 + Math.floor(rnd() * 3_600_000),
      podSets: [{ name: 'worker', count, requests: { cpu: gpus * 8_000, memory: gpus * 64 * 2 ** 30, 'nvidia.com/gpu': gpus } }],
    });
  }
  return {
    resourceFlavors: models.map((m) => ({ name: m, nodeLabels: { 'nvidia.com/gpu.product': m } })),
    clusterQueues,
    localQueues: clusterQueues.map((cq, q) => ({ namespace: `ns-${q}`, name: 'default', clusterQueue: cq.name })),
    nodes,
    workloads,
  };
}

/** A synthetic trace of `jobs` jobs over `queues` queues (Poisson-ish arrivals, heavy-tailed durations). */
export function syntheticTrace(jobs: number, queues: number, opts: { seed?: number; meanGapS?: number } = {}): import('./trace-types.js').TraceJob[] {
  const rnd = seededRandom(opts.seed ?? 7);
  const gap = opts.meanGapS ?? 30;
  const sizes = [1, 1, 1, 2, 2, 4, 8, 16];
  const out: import('./trace-types.js').TraceJob[] = [];
  let t = 0;
  for (let i = 0; i < jobs; i++) {
    t += -Math.log(1 - rnd()) * gap;
    const gpus = sizes[Math.floor(rnd() * sizes.length)];
    // Log-uniform between 1 minute and ~1 day: most jobs short, a few very long.
    const duration = Math.round(60 * Math.exp(rnd() * Math.log(1440)));
    out.push({
      id: `job-${i}`, submitTime: Math.round(t), durationS: duration, queue: `q${Math.floor(rnd() * queues)}`, priority: Math.floor(rnd() * 3) * 10,
      podSets: [{ name: 'worker', count: gpus > 8 ? gpus / 8 : 1, gpus: Math.min(gpus, 8) }],
    });
  }
  return out;
}

/** Cluster file text (JSON) for `nodes` 8-GPU nodes in two models and `queues` queues in one cohort. */
export function syntheticClusterFile(nodes: number, queues: number): string {
  const half = Math.floor(nodes / 2);
  const per = (n: number) => Math.floor((n * 8) / queues);
  return JSON.stringify({
    nodeGroups: [
      { name: 'h100', count: half, cpu: '96', memory: '1Ti', gpus: 8, gpuModel: 'H100' },
      { name: 'a100', count: nodes - half, cpu: '96', memory: '1Ti', gpus: 8, gpuModel: 'A100' },
    ],
    queues: Array.from({ length: queues }, (_, q) => ({
      name: `q${q}`, cohort: 'all', quota: { h100: { 'nvidia.com/gpu': per(half) }, a100: { 'nvidia.com/gpu': per(nodes - half) } },
    })),
  });
}
