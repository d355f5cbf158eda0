// Simulation metrics: job completion time, queueing delay, GPU utilisation over time, makespan,
// per-queue share of GPU time vs entitlement, preemptions; rendered as a table or JSON.
import type { PendingInfo } from '../scheduler/types.js';
import type { ClusterModel } from './cluster-config.js';

/** Per-job result (ms, relative to the first submission). */
export interface JobOutcome {
  id: string;
  queue: string;
  submit: number;
  durationMs: number;
  gpus: number;
  firstStart?: number;
  end?: number;
  preemptions: number;
  gpuMs: number;
}

/** Cluster state after the events at time t (ms). */
export interface TimelinePoint { t: number; gpusInUse: number; pending: number }

/** mean/median/p95 in seconds. */
export interface Dist { mean: number; median: number; p95: number }

/** What `runSimulation` returns. */
export interface SimulationReport {
  policy: string;
  jobs: number;
  completed: number;
  neverStarted: number;
  jctS: Dist;
  queueingDelayS: Dist;
  makespanS: number;
  totalGpus: number;
  gpuUtilisation: number;
  preemptions: number;
  schedulingCycles: number;
  queues: { name: string; jobs: number; completed: number; gpuHours: number; share: number; entitlement: number; meanWaitS: number }[];
  /** Downsampled to ≤ 400 points: time (s), GPU utilisation (0–1, time-weighted over the bucket), pending jobs (max). */
  timeline: { t: number; utilisation: number; pending: number }[];
  /** Up to 10 jobs that never started, with the scheduler's reason. */
  stuck: { id: string; queue?: string; reason: string; message: string }[];
}

function dist(values: number[]): Dist {
  if (values.length === 0) return { mean: 0, median: 0, p95: 0 };
  const s = Float64Array.from(values).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, median: at(0.5), p95: at(0.95) };
}

function downsample(points: { t: number; gpusInUse: number; pending: number }[], end: number, totalGpus: number, n: number) {
  if (points.length === 0 || end <= 0) return [];
  const start = points[0].t;
  const width = Math.max(1, (end - start) / n);
  const out: SimulationReport['timeline'] = [];
  let p = 0;
  for (let b = 0; b < n; b++) {
    const lo = start + b * width;
    const hi = lo + width;
    let area = 0;
    let maxPending = 0;
    while (p + 1 < points.length && points[p + 1].t <= lo) p++;
    for (let q = p; q < points.length && points[q].t < hi; q++) {
      const segStart = Math.max(lo, points[q].t);
      const segEnd = Math.min(hi, q + 1 < points.length ? points[q + 1].t : end);
      if (segEnd > segStart) area += points[q].gpusInUse * (segEnd - segStart);
      maxPending = Math.max(maxPending, points[q].pending);
    }
    out.push({ t: lo / 1000, utilisation: totalGpus > 0 ? area / (totalGpus * width) : 0, pending: maxPending });
    if (hi >= end) break;
  }
  return out;
}

/** Compute the report from raw outcomes. */
export function buildReport(r: { policy: string; cluster: ClusterModel; outcome: JobOutcome[]; timeline: TimelinePoint[]; preemptions: number; cycles: number; stuck: PendingInfo[] }): SimulationReport {
  const done = r.outcome.filter((o) => o.end !== undefined);
  const started = r.outcome.filter((o) => o.firstStart !== undefined);
  const first = r.outcome.reduce((m, o) => Math.min(m, o.submit), r.outcome.length > 0 ? Infinity : 0);
  const last = done.reduce((m, o) => Math.max(m, o.end as number), first);
  const makespan = last - first;
  let area = 0;
  for (let i = 0; i + 1 < r.timeline.length; i++) area += r.timeline[i].gpusInUse * (r.timeline[i + 1].t - r.timeline[i].t);
  const totalGpuMs = r.outcome.reduce((s, o) => s + o.gpuMs, 0);
  const queues = Object.keys(r.cluster.entitlement).map((name) => {
    const mine = r.outcome.filter((o) => o.queue === name);
    const gpuMs = mine.reduce((s, o) => s + o.gpuMs, 0);
    const waits = mine.filter((o) => o.firstStart !== undefined).map((o) => ((o.firstStart as number) - o.submit) / 1000);
    return {
      name, jobs: mine.length, completed: mine.filter((o) => o.end !== undefined).length, gpuHours: gpuMs / 3_600_000,
      share: totalGpuMs > 0 ? gpuMs / totalGpuMs : 0, entitlement: r.cluster.entitlement[name], meanWaitS: waits.length ? waits.reduce((a, b) => a + b, 0) / waits.length : 0,
    };
  });
  return {
    policy: r.policy, jobs: r.outcome.length, completed: done.length, neverStarted: r.outcome.length - started.length,
    jctS: dist(done.map((o) => ((o.end as number) - o.submit) / 1000)),
    queueingDelayS: dist(started.map((o) => ((o.firstStart as number) - o.submit) / 1000)),
    makespanS: makespan / 1000, totalGpus: r.cluster.totalGpus,
    gpuUtilisation: makespan > 0 && r.cluster.totalGpus > 0 ? area / (r.cluster.totalGpus * makespan) : 0,
    preemptions: r.preemptions, schedulingCycles: r.cycles, queues,
    timeline: downsample(r.timeline, last, r.cluster.totalGpus, 400),
    stuck: r.stuck.slice(0, 10).map((p) => ({ id: p.name, queue: p.clusterQueue, reason: p.reason, message: p.message })),
  };
}

function fmtS(s: number): string {
  if (s >= 86_400) return `${(s / 86_400).toFixed(1)}d`;
  if (s >= 3_600) return `${(s / 3_600).toFixed(1)}h`;
  if (s >= 60) return `${(s / 60).toFixed(1)}m`;
  return `${s.toFixed(0)}s`;
}

/** Human-readable table of a report. */
export function formatReportTable(r: SimulationReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `policy ${r.policy}: ${r.jobs} jobs, ${r.completed} completed, ${r.neverStarted} never started, ${r.totalGpus} GPUs`,
    '',
    'metric              mean      median    p95',
    `JCT                 ${fmtS(r.jctS.mean).padEnd(10)}${fmtS(r.jctS.median).padEnd(10)}${fmtS(r.jctS.p95)}`,
    `queueing delay      ${fmtS(r.queueingDelayS.mean).padEnd(10)}${fmtS(r.queueingDelayS.median).padEnd(10)}${fmtS(r.queueingDelayS.p95)}`,
    '',
    `makespan ${fmtS(r.makespanS)}   GPU utilisation ${pct(r.gpuUtilisation)}   preemptions ${r.preemptions}   scheduling cycles ${r.schedulingCycles}`,
    '',
    'queue                jobs     done     GPU-h      share    entitled  mean wait',
    ...r.queues.map((q) => `${q.name.padEnd(21)}${String(q.jobs).padEnd(9)}${String(q.completed).padEnd(9)}${q.gpuHours.toFixed(1).padEnd(11)}${pct(q.share).padEnd(9)}${pct(q.entitlement).padEnd(10)}${fmtS(q.meanWaitS)}`),
  ];
  if (r.stuck.length > 0) lines.push('', 'never started (first 10):', ...r.stuck.map((s) => `  ${s.id}: ${s.reason}: ${s.message}`));
  return lines.join('\n');
}
