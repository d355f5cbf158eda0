/** Trial: one point of an Experiment's search, run as a TrainingJob it owns; created by the experiment controller. */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { condition, type KubeObject } from '../meta.js';
import { metricsCollectorSpec, objectiveSpec } from './experiment-schema.js';
import { trainingJobSpec } from './training-job-schema.js';

/** Label on trials (and their jobs) naming the experiment. */
export const EXPERIMENT_LABEL = 'capstan.dev/experiment';
/** Label on trials giving their index in the experiment (creation order). */
export const TRIAL_INDEX_LABEL = 'capstan.dev/trial-index';

/** Trial phases: Katib's conditions as one field. */
export const TRIAL_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'EarlyStopped', 'MetricsUnavailable', 'Killed'] as const;
/** A trial phase. */
export type TrialPhase = (typeof TRIAL_PHASES)[number];
/** Phases a trial never leaves. */
export const TERMINAL_TRIAL_PHASES: readonly TrialPhase[] = ['Succeeded', 'Failed', 'EarlyStopped', 'MetricsUnavailable', 'Killed'];

/** One metric of a trial: its extremes, its latest value and the value the objective uses. */
export const trialMetric = z.object({ name: z.string(), min: z.number().optional(), max: z.number().optional(), latest: z.number().optional(), value: z.number().optional() }).strict();

/** The Trial spec. */
export const trialSpec = z
  .object({
    parameterAssignments: z.array(z.object({ name: z.string().min(1).max(128), value: z.string().max(1024) }).strict()).max(64),
    objective: objectiveSpec,
    metricsCollector: metricsCollectorSpec.default({ collector: { kind: 'StdOut' } }),
    /** The TrainingJob spec the trial runs (the template with this trial's values). */
    runSpec: trainingJobSpec,
  })
  .strict();

/** The Trial status. */
export const trialStatus = z
  .object({
    observedGeneration: z.number().int().optional(),
    phase: z.enum(TRIAL_PHASES).optional(),
    conditions: z.array(condition).optional(),
    trainingJob: z.string().optional(),
    startTime: z.string().optional(),
    completionTime: z.string().optional(),
    observation: z.object({ metrics: z.array(trialMetric) }).strict().optional(),
  })
  .strict();

/** The parsed spec. */
export type TrialSpec = z.infer<typeof trialSpec>;
/** The status. */
export type TrialStatus = z.infer<typeof trialStatus>;
/** One metric. */
export type TrialMetric = z.infer<typeof trialMetric>;

function statusOf(o: KubeObject): TrialStatus {
  return (o.status ?? {}) as TrialStatus;
}

function objectiveText(o: KubeObject): string {
  const spec = o.spec as TrialSpec | undefined;
  const m = statusOf(o).observation?.metrics.find((x) => x.name === spec?.objective.objectiveMetricName);
  return m?.value === undefined ? '' : String(Number(m.value.toPrecision(4)));
}

/** The Trial kind. */
export const TrialKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Trial',
  plural: 'trials',
  singular: 'trial',
  namespaced: true,
  description: 'One trial of an Experiment: parameter assignments, the TrainingJob that runs them, and the metrics it reported.',
  body: z.object({ spec: trialSpec, status: trialStatus.optional() }),
  status: trialStatus,
  columns: [
    { name: 'EXPERIMENT', value: (o) => o.metadata.labels?.[EXPERIMENT_LABEL] ?? '' },
    { name: 'STATUS', value: (o) => statusOf(o).phase ?? '' },
    { name: 'OBJECTIVE', value: objectiveText },
    { name: 'PARAMETERS', value: (o) => ((o.spec as TrialSpec | undefined)?.parameterAssignments ?? []).map((a) => `${a.name}=${a.value}`).join(' ') },
    { name: 'JOB', value: (o) => statusOf(o).trainingJob ?? '', wide: true },
  ],
});
