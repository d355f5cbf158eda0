/**
 * One trial brought up to date from its TrainingJob: the job created if missing, its metrics read
 * through the experiment's collector, the trial's phase derived from the job's (queued → Pending,
 * admitted or running → Running, succeeded with the objective → Succeeded, without → 
 * MetricsUnavailable, failed → Failed), and a trial stopped by the experiment (early-stopped or
 * killed) gets its job suspended: the job's replicas get SIGTERM and its quota is released.
 */
import { setCondition } from '../api/conditions.js';
import type { ExperimentSpec } from '../api/kinds/experiment-schema.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { TrainingJobSpec, TrainingJobStatus } from '../api/kinds/training-job-schema.js';
import { TERMINAL_TRIAL_PHASES, TRIAL_INDEX_LABEL, TrialKind, type TrialMetric, type TrialPhase, type TrialSpec, type TrialStatus } from '../api/kinds/trial.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { metricStrategy, summarizeMetric, type TrialView } from './experiment-state.js';
import { buildTrialJob } from './trial-factory.js';
import type { MetricSeries, TrialMetricReader } from './trial-metrics.js';

/** What syncing needs. */
export interface TrialSyncDeps {
  client: LocalClient;
  events: EventRecorder;
  reader: TrialMetricReader;
  now: () => Date;
}

/** A synced trial: its view for the experiment, its objective series, and its job. */
export interface SyncedTrial {
  view: TrialView;
  series: number[];
  trial: KubeObject;
  job?: KubeObject;
}

/** The metric names a trial tracks. */
export function metricNames(spec: Pick<ExperimentSpec, 'objective'>): string[] {
  return [spec.objective.objectiveMetricName, ...(spec.objective.additionalMetricNames ?? [])];
}

/** The view of a trial as its status says. */
export function viewOf(trial: KubeObject): TrialView {
  const spec = trial.spec as TrialSpec;
  const st = (trial.status ?? {}) as TrialStatus;
  return {
    name: trial.metadata.name,
    index: Number(trial.metadata.labels?.[TRIAL_INDEX_LABEL] ?? 0),
    phase: st.phase ?? 'Pending',
    assignment: Object.fromEntries(spec.parameterAssignments.map((a) => [a.name, a.value])),
    parameterAssignments: spec.parameterAssignments,
    metrics: st.observation?.metrics ?? [],
  };
}

function jobMessage(job: KubeObject): string {
  const st = (job.status ?? {}) as TrainingJobStatus;
  const c = st.conditions?.find((x) => x.type === st.phase) ?? st.conditions?.[st.conditions.length - 1];
  return c?.message ?? `TrainingJob ${job.metadata.name} is ${st.phase ?? 'created'}.`;
}

function summarize(spec: TrialSpec, series: MetricSeries): TrialMetric[] {
  return Object.entries(series).map(([name, values]) => summarizeMetric(name, values, metricStrategy(spec, name)));
}

/** Writes a trial's status when it changed. */
export async function writeTrialStatus(d: TrialSyncDeps, trial: KubeObject, phase: TrialPhase, reason: string, message: string, extra: Partial<TrialStatus> = {}): Promise<KubeObject> {
  const prev = (trial.status ?? {}) as TrialStatus;
  const now = d.now().toISOString();
  const terminal = TERMINAL_TRIAL_PHASES.includes(phase);
  const next: TrialStatus = {
    ...prev,
    ...extra,
    phase,
    observedGeneration: trial.metadata.generation,
    conditions: setCondition(prev.conditions, { type: terminal ? 'Completed' : 'Active', status: 'True', reason, message }, now),
    ...(phase === 'Running' && !prev.startTime ? { startTime: now } : {}),
    ...(terminal && !prev.completionTime ? { completionTime: now } : {}),
  };
  if (terminal) next.conditions = setCondition(next.conditions, { type: 'Active', status: 'False', reason, message }, now);
  if (JSON.stringify(next) === JSON.stringify(prev)) return trial;
  if (phase !== prev.phase && (terminal || phase === 'Running')) await d.events.event(trial, phase === 'Failed' || phase === 'MetricsUnavailable' ? 'Warning' : 'Normal', phase, message);
  return d.client.updateStatus(TrialKind, { ...trial, status: next });
}

/** Suspends a job (SIGTERM to its replicas, quota released) unless it has ended or is suspended already. */
export async function stopJob(d: TrialSyncDeps, job: KubeObject | undefined): Promise<void> {
  if (!job) return;
  const st = (job.status ?? {}) as TrainingJobStatus;
  if (st.phase === 'Succeeded' || st.phase === 'Failed' || (job.spec as TrainingJobSpec).runPolicy.suspend) return;
  await d.client.patch(TrainingJobKind, job.metadata.namespace, job.metadata.name, { spec: { runPolicy: { suspend: true } } }).catch((err: { reason?: string }) => {
    if (err.reason !== 'NotFound') throw err;
  });
}

/** Syncs one trial with its job. */
export async function syncTrial(d: TrialSyncDeps, trial: KubeObject): Promise<SyncedTrial> {
  const spec = trial.spec as TrialSpec;
  const st = (trial.status ?? {}) as TrialStatus;
  const ns = trial.metadata.namespace!;
  let job = await d.client.tryGet(TrainingJobKind, ns, trial.metadata.name);
  // A job of that name not owned by this trial (a leftover of a deleted experiment) is not ours to read.
  if (job && !(job.metadata.ownerReferences ?? []).some((r) => r.uid === trial.metadata.uid)) job = undefined;
  const wanted = metricNames(spec);
  const objective = spec.objective.objectiveMetricName;
  if (st.phase && TERMINAL_TRIAL_PHASES.includes(st.phase)) {
    if (st.phase === 'EarlyStopped' || st.phase === 'Killed') await stopJob(d, job);
    const series = job ? d.reader.read(job, spec.metricsCollector, wanted, true) : {};
    return { view: viewOf(trial), series: series[objective] ?? [], trial, job };
  }
  if (!job) {
    try {
      job = await d.client.create(TrainingJobKind, buildTrialJob(trial));
      await d.events.event(trial, 'Normal', 'JobCreated', `Created TrainingJob ${trial.metadata.name}`);
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'AlreadyExists') throw err;
      job = await d.client.tryGet(TrainingJobKind, ns, trial.metadata.name);
    }
    const next = await writeTrialStatus(d, trial, 'Pending', 'JobCreated', `TrainingJob ${trial.metadata.name} created.`, { trainingJob: trial.metadata.name });
    return { view: viewOf(next), series: [], trial: next, job };
  }
  const jst = (job.status ?? {}) as TrainingJobStatus;
  const ended = jst.phase === 'Succeeded' || jst.phase === 'Failed';
  const series = d.reader.read(job, spec.metricsCollector, wanted, ended);
  const metrics = summarize(spec, series);
  const extra: Partial<TrialStatus> = { trainingJob: job.metadata.name, ...(metrics.length ? { observation: { metrics } } : {}) };
  let next: KubeObject;
  if (jst.phase === 'Succeeded') {
    if (series[objective]?.length) next = await writeTrialStatus(d, trial, 'Succeeded', 'JobSucceeded', `TrainingJob ${job.metadata.name} succeeded; ${objective} ${metrics.find((m) => m.name === objective)!.value}.`, extra);
    else {
      const seen = Object.keys(series);
      next = await writeTrialStatus(d, trial, 'MetricsUnavailable', 'MetricsUnavailable', `TrainingJob ${job.metadata.name} succeeded but never reported the objective metric ${objective} (${spec.metricsCollector.collector.kind} collector${seen.length ? `; saw ${seen.join(', ')}` : ''}).`, extra);
    }
  } else if (jst.phase === 'Failed') next = await writeTrialStatus(d, trial, 'Failed', 'JobFailed', `TrainingJob ${job.metadata.name} failed: ${jobMessage(job)}`, extra);
  else if (jst.phase === 'Admitted' || jst.phase === 'Running' || jst.phase === 'Restarting') next = await writeTrialStatus(d, trial, 'Running', 'JobRunning', jobMessage(job), extra);
  else next = await writeTrialStatus(d, trial, 'Pending', 'JobPending', jobMessage(job), extra);
  return { view: viewOf(next), series: series[objective] ?? [], trial: next, job };
}
