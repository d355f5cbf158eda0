// Trace-driven cluster simulation in virtual time. Events (arrivals, completions) advance a clock;
// after each batch of same-time events the SAME admission core the platform uses runs one cycle,
// preempted workloads are evicted and requeued (restarting from scratch, or resuming with the work
// done kept when jobs checkpoint), and the loop goes on.
import { createSchedulerState, addWorkload, evictWorkload, removeWorkload, runAdmissionCycle, setWorkloadPriority, workloadNeverFits } from '../scheduler/index.js';
import type { ClusterQueue, ScheduleOptions, Workload, PlacementStrategy, PendingInfo } from '../scheduler/types.js';
import { MinHeap } from '../scheduler/min-heap.js';
import type { ClusterModel } from './cluster-config.js';
import type { TraceJob } from './trace-types.js';
import { buildReport, type JobOutcome, type SimulationReport, type TimelinePoint } from './report.js';

/** Scheduling policy of a simulation run. */
export type SimPolicy = 'fifo' | 'priority' | 'drf' | 'sjf' | 'srtf';

/** What a preempted job loses: everything (restart) or nothing but the preemption cost (resume from a checkpoint). */
export type OnPreempt = 'restart' | 'resume';

/** BestEffortFIFO lookahead of the simulator (the core's own default is 1,000): keeps cycles cheap under long backlogs. */
export const SIM_DEFAULT_LOOKAHEAD = 16;

/** Inputs of `runSimulation`. */
export interface SimulationInput {
  trace: TraceJob[];
  cluster: ClusterModel;
  policy: SimPolicy;
  placement?: PlacementStrategy;
  /** BestEffortFIFO lookahead per queue per cycle (default SIM_DEFAULT_LOOKAHEAD = 16). */
  lookahead?: number;
  /** Default `resume` under srtf, `restart` otherwise. */
  onPreempt?: OnPreempt;
  /** Seconds of run time a preempted job adds to its remaining time (checkpoint + restore). Default 0. */
  preemptionCostS?: number;
}

const GPU = 'nvidia.com/gpu';
const GPU_MILLI = 'capstan.dev/gpu-milli';

/** Core options for a policy. */
export function policyOptions(policy: SimPolicy, placement: PlacementStrategy, lookahead: number): ScheduleOptions {
  const base = { placement, lookahead, explain: false };
  if (policy === 'fifo') return { ...base, queueOrder: 'fifo', preemption: false };
  if (policy === 'sjf') return { ...base, queueOrder: 'sjf', preemption: false };
  if (policy === 'drf') return { ...base, queueOrder: 'fifo', fairSharing: true, preemption: true };
  // srtf: priority = −remaining time, so "lower priority" = longer remaining.
  return { ...base, queueOrder: 'priority', preemption: true };
}

/** Queue settings a policy implies: strict FIFO for fifo, default preemption rules for priority, drf and srtf. */
function queuesFor(cqs: ClusterQueue[], policy: SimPolicy): ClusterQueue[] {
  if (policy === 'fifo') return cqs.map((q) => ({ ...q, queueingStrategy: 'StrictFIFO' }));
  if (policy === 'srtf') {
    return cqs.map((q) => ({ ...q, preemption: q.preemption ?? { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'LowerPriority', borrowWithinCohort: { policy: 'LowerPriority' } } }));
  }
  if (policy !== 'priority' && policy !== 'drf') return cqs;
  return cqs.map((q) => q.preemption ? q : { ...q, preemption: { withinClusterQueue: policy === 'priority' ? 'LowerPriority' : 'Never', reclaimWithinCohort: 'Any' } });
}

/** Turn a trace job into a Workload for the cluster. A pod asking more GPUs than the largest node
 * is split exactly: as many full-node pods as it fills plus one pod with the remainder (5 GPUs on
 * 4-GPU nodes = 4 + 1), its cpu and memory shared in proportion to the GPUs. */
export function jobToWorkload(job: TraceJob, cluster: ClusterModel, t0: number): Workload {
  const cq = cluster.queueFor(job.queue);
  const max = cluster.maxGpusPerNode;
  const podSets: Workload['podSets'] = [];
  for (const ps of job.podSets) {
    const d = cluster.defaults;
    const model = ps.gpuModel && cluster.gpuModels.has(ps.gpuModel) ? { nodeSelector: { 'nvidia.com/gpu.product': ps.gpuModel } } : {};
    const make = (name: string, count: number, gpus: number, share: number, milli = 0) => {
      const g = gpus + milli / 1000;
      const cpu = ps.cpuMilli !== undefined ? Math.round(ps.cpuMilli * share) : g > 0 ? Math.round(g * d.cpuPerGpu) : d.cpuPerJob;
      const memory = ps.memoryBytes !== undefined ? Math.round(ps.memoryBytes * share) : g > 0 ? Math.round(g * d.memoryPerGpu) : d.memoryPerJob;
      podSets.push({ name, count, requests: { cpu, memory, [GPU]: gpus, ...(milli > 0 ? { [GPU_MILLI]: milli } : {}) }, ...model });
    };
    if (ps.gpus > max && max > 0) {
      const full = Math.floor(ps.gpus / max);
      const rest = ps.gpus - full * max;
      make(ps.name, ps.count * full, max, max / ps.gpus);
      if (rest > 0 || ps.gpuMilli) make(`${ps.name}-rest`, ps.count, rest, rest / ps.gpus, ps.gpuMilli ?? 0);
    } else make(ps.name, ps.count, ps.gpus, 1, ps.gpuMilli ?? 0);
  }
  return {
    namespace: cq, name: job.id, queueName: 'default', priority: job.priority,
    creationTimestamp: Math.round((job.submitTime - t0) * 1000), expectedDurationMs: Math.round(job.durationS * 1000), podSets,
  };
}

interface Ev { t: number; kind: 0 | 1; seq: number; job: number; run: number }

/** Replay a trace through the scheduler core and report JCT, waits, utilisation and fairness. */
export function runSimulation(input: SimulationInput): SimulationReport {
  const { cluster, policy } = input;
  const jobs = [...input.trace].sort((a, b) => a.submitTime - b.submitTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const t0 = jobs.length > 0 ? jobs[0].submitTime : 0;
  const state = createSchedulerState(
    { resourceFlavors: cluster.resourceFlavors, clusterQueues: queuesFor(cluster.clusterQueues, policy), localQueues: cluster.localQueues, nodes: cluster.nodes, workloads: [] },
    policyOptions(policy, input.placement ?? 'binpack', input.lookahead ?? SIM_DEFAULT_LOOKAHEAD),
  );
  const srtf = policy === 'srtf';
  const resume = (input.onPreempt ?? (srtf ? 'resume' : 'restart')) === 'resume';
  const costMs = Math.round((input.preemptionCostS ?? 0) * 1000);
  const workloads = jobs.map((j) => jobToWorkload(j, cluster, t0));
  // Run time still to go per job: the full duration until a preemption with resume keeps work done.
  const remaining = new Float64Array(workloads.map((w) => w.expectedDurationMs ?? 0));
  if (srtf) workloads.forEach((w, i) => { w.priority = -remaining[i]; });
  const running = new Set<number>();
  const dropped: PendingInfo[] = [];
  const gpusOf = workloads.map((w) => w.podSets.reduce((s, p) => s + p.count * ((p.requests[GPU] ?? 0) + (p.requests[GPU_MILLI] ?? 0) / 1000), 0));
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
    running.delete(i);
  };
  while (events.size > 0) {
    now = (events.peek() as Ev).t;
    while (events.size > 0 && (events.peek() as Ev).t === now) {
      const ev = events.pop() as Ev;
      const w = workloads[ev.job];
      if (ev.kind === 1) {
        addWorkload(state, w);
        // Strict FIFO: a job that can never fit would block its queue for good (as in Kueue); a
        // trace replay drops it at arrival instead and reports it as never started.
        const never = policy === 'fifo' ? workloadNeverFits(state, w.namespace, w.name) : undefined;
        if (never !== undefined) {
          removeWorkload(state, w.namespace, w.name);
          dropped.push({ namespace: w.namespace, name: w.name, clusterQueue: w.namespace, position: 0, reason: 'Inadmissible', message: never });
        } else pending++;
        continue;
      }
      if (ev.run !== run[ev.job]) continue;
      stop(ev.job, now);
      outcome[ev.job].end = now;
      removeWorkload(state, w.namespace, w.name);
    }
    // srtf: a running job's priority is its remaining time now, so a shorter arrival can preempt it.
    if (srtf) for (const i of running) setWorkloadPriority(state, workloads[i].namespace, workloads[i].name, -(remaining[i] - (now - startedAt[i])));
    for (let round = 0; round < 8; round++) {
      const d = runAdmissionCycle(state, now);
      cycles++;
      for (const a of d.admissions) {
        const i = index.get(`${a.namespace}/${a.name}`) as number;
        outcome[i].firstStart ??= now;
        startedAt[i] = now;
        running.add(i);
        gpusInUse += gpusOf[i];
        pending--;
        events.push({ t: now + remaining[i], kind: 0, seq: seq++, job: i, run: run[i] });
      }
      if (d.preemptions.length === 0) break;
      for (const p of d.preemptions) {
        const i = index.get(`${p.namespace}/${p.name}`) as number;
        if (startedAt[i] < 0) continue;
        remaining[i] = (resume ? remaining[i] - (now - startedAt[i]) : outcome[i].durationMs) + costMs;
        stop(i, now);
        if (srtf) setWorkloadPriority(state, p.namespace, p.name, -remaining[i]);
        run[i]++;
        outcome[i].preemptions++;
        preemptions++;
        pending++;
        evictWorkload(state, p.namespace, p.name);
      }
    }
    timeline.push({ t: now, gpusInUse, pending });
  }
  let stuck: PendingInfo[] = dropped;
  if (pending > 0) {
    state.options.explain = true;
    stuck = [...dropped, ...runAdmissionCycle(state, now).pending];
  }
  return buildReport({ policy, cluster, outcome, timeline, preemptions, cycles, stuck });
}
