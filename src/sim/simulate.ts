// Trace-driven cluster simulation in virtual time. Events (arrivals, completions) advance a clock;
// after each batch of same-time events the SAME admission core the platform uses runs one cycle,
// preempted workloads are evicted and requeued (they restart from scratch), and the loop goes on.
import { createSchedulerState, addWorkload, evictWorkload, removeWorkload, runAdmissionCycle } from '../scheduler/index.js';
import type { ClusterQueue, ScheduleOptions, Workload, PlacementStrategy, PendingInfo } from '../scheduler/types.js';
import { MinHeap } from '../scheduler/min-heap.js';
import type { ClusterModel } from './cluster-config.js';
import type { TraceJob } from './trace-types.js';
import { buildReport, type JobOutcome, type SimulationReport, type TimelinePoint } from './report.js';

/** Scheduling policy of a simulation run. */
export type SimPolicy = 'fifo' | 'priority' | 'drf' | 'sjf';

/** Inputs of `runSimulation`. */
export interface SimulationInput {
  trace: TraceJob[];
  cluster: ClusterModel;
  policy: SimPolicy;
  placement?: PlacementStrategy;
  /** BestEffortFIFO lookahead per queue per cycle (default 16: keeps cycles cheap with long backlogs). */
  lookahead?: number;
}

const GPU = 'nvidia.com/gpu';

/** Core options for a policy. */
export function policyOptions(policy: SimPolicy, placement: PlacementStrategy, lookahead: number): ScheduleOptions {
  const base = { placement, lookahead, explain: false };
  if (policy === 'fifo') return { ...base, queueOrder: 'fifo', preemption: false };
  if (policy === 'sjf') return { ...base, queueOrder: 'sjf', preemption: false };
  if (policy === 'drf') return { ...base, queueOrder: 'fifo', fairSharing: true, preemption: true };
  return { ...base, queueOrder: 'priority', preemption: true };
}

function withDefaultPreemption(cqs: ClusterQueue[], policy: SimPolicy): ClusterQueue[] {
  if (policy !== 'priority' && policy !== 'drf') return cqs;
  return cqs.map((q) => q.preemption ? q : { ...q, preemption: { withinClusterQueue: policy === 'priority' ? 'LowerPriority' : 'Never', reclaimWithinCohort: 'Any' } });
}

/** Turn a trace job into a Workload for the cluster (splitting pods larger than any node). */
export function jobToWorkload(job: TraceJob, cluster: ClusterModel, t0: number): Workload {
  const cq = cluster.queueFor(job.queue);
  return {
    namespace: cq, name: job.id, queueName: 'default', priority: job.priority,
    creationTimestamp: Math.round((job.submitTime - t0) * 1000), expectedDurationMs: Math.round(job.durationS * 1000),
    podSets: job.podSets.map((ps) => {
      let { count, gpus } = ps;
      if (gpus > cluster.maxGpusPerNode && cluster.maxGpusPerNode > 0) {
        const split = Math.ceil(gpus / cluster.maxGpusPerNode);
        count *= split;
        gpus = Math.ceil(gpus / split);
      }
      const d = cluster.defaults;
      const cpu = ps.cpuMilli ?? (gpus > 0 ? gpus * d.cpuPerGpu : d.cpuPerJob);
      const memory = ps.memoryBytes ?? (gpus > 0 ? gpus * d.memoryPerGpu : d.memoryPerJob);
      const model = ps.gpuModel && cluster.gpuModels.has(ps.gpuModel) ? { nodeSelector: { 'nvidia.com/gpu.product': ps.gpuModel } } : {};
      return { name: ps.name, count, requests: { cpu, memory, [GPU]: gpus }, ...model };
    }),
  };
}

interface Ev { t: number; kind: 0 | 1; seq: number; job: number; run: number }

/** Replay a trace through the scheduler core and report JCT, waits, utilisation and fairness. */
export function runSimulation(input: SimulationInput): SimulationReport {
  const { cluster, policy } = input;
  const jobs = [...input.trace].sort((a, b) => a.submitTime - b.submitTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const t0 = jobs.length > 0 ? jobs[0].submitTime : 0;
  const state = createSchedulerState(
    { resourceFlavors: cluster.resourceFlavors, clusterQueues: withDefaultPreemption(cluster.clusterQueues, policy), localQueues: cluster.localQueues, nodes: cluster.nodes, workloads: [] },
    policyOptions(policy, input.placement ?? 'binpack', input.lookahead ?? 16),
  );
  const workloads = jobs.map((j) => jobToWorkload(j, cluster, t0));
  const gpusOf = workloads.map((w) => w.podSets.reduce((s, p) => s + p.count * (p.requests[GPU] ?? 0), 0));
  const index = new Map(workloads.map((w, i) => [`${w.namespace}/${w.name}`, i]));
  const outcome: JobOutcome[] = jobs.map((j, i) => ({ id: j.id, queue: workloads[i].namespace, submit: workloads[i].creationTimestamp, durationMs: workloads[i].expectedDurationMs ?? 0, gpus: gpusOf[i], preemptions: 0, gpuMs: 0 }));
  const run = new Int32Array(jobs.length);
  const startedAt = new Float64Array(jobs.length).fill(-1);
  let seq = 0;
  const events = new MinHeap<Ev>((a, b) => a.t - b.t || a.kind - b.kind || a.seq - b.seq);
  workloads.forEach((w, i) => events.push({ t: w.creationTimestamp, kind: 1, seq: seq++, job: i, run: 0 }));
  const timeline: TimelinePoint[] = [];
  let gpusInUse = 0;
  let pending = 0;
  let preemptions = 0;
  let cycles = 0;
  let now = 0;
  const stop = (i: number, t: number) => {
    gpusInUse -= gpusOf[i];
    outcome[i].gpuMs += gpusOf[i] * (t - startedAt[i]);
    startedAt[i] = -1;
  };
  while (events.size > 0) {
    now = (events.peek() as Ev).t;
    while (events.size > 0 && (events.peek() as Ev).t === now) {
      const ev = events.pop() as Ev;
      const w = workloads[ev.job];
      if (ev.kind === 1) { addWorkload(state, w); pending++; continue; }
      if (ev.run !== run[ev.job]) continue;
      stop(ev.job, now);
      outcome[ev.job].end = now;
      removeWorkload(state, w.namespace, w.name);
    }
    for (let round = 0; round < 8; round++) {
      const d = runAdmissionCycle(state, now);
      cycles++;
      for (const a of d.admissions) {
        const i = index.get(`${a.namespace}/${a.name}`) as number;
        outcome[i].firstStart ??= now;
        startedAt[i] = now;
        gpusInUse += gpusOf[i];
        pending--;
        events.push({ t: now + outcome[i].durationMs, kind: 0, seq: seq++, job: i, run: run[i] });
      }
      if (d.preemptions.length === 0) break;
      for (const p of d.preemptions) {
        const i = index.get(`${p.namespace}/${p.name}`) as number;
        if (startedAt[i] < 0) continue;
        stop(i, now);
        run[i]++;
        outcome[i].preemptions++;
        preemptions++;
        pending++;
        evictWorkload(state, p.namespace, p.name);
      }
    }
    timeline.push({ t: now, gpusInUse, pending });
  }
  let stuck: PendingInfo[] = [];
  if (pending > 0) {
    state.options.explain = true;
    stuck = runAdmissionCycle(state, now).pending;
  }
  return buildReport({ policy, cluster, outcome, timeline, preemptions, cycles, stuck });
}
