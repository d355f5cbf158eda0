/** Experiment: hyperparameter tuning as Katib defines it; trials run as TrainingJobs through the queues. */
import { z } from 'zod';
import { katibExperimentConversion } from '../convert/katib-experiment.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import type { KubeObject } from '../meta.js';
import { experimentSpec, experimentStatus, type ExperimentSpec, type ExperimentStatus } from './experiment-schema.js';

function statusOf(o: KubeObject): ExperimentStatus {
  return (o.status ?? {}) as ExperimentStatus;
}

function bestText(o: KubeObject): string {
  const st = statusOf(o);
  const spec = o.spec as ExperimentSpec | undefined;
  const m = st.currentOptimalTrial?.observation.metrics.find((x) => x.name === spec?.objective.objectiveMetricName);
  return m?.value === undefined ? '' : `${Number(m.value.toPrecision(4))} (${st.currentOptimalTrial!.bestTrialName})`;
}

/** The Experiment kind (short name exp). */
export const ExperimentKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Experiment',
  plural: 'experiments',
  singular: 'experiment',
  shortNames: ['exp'],
  namespaced: true,
  description: 'Hyperparameter tuning (Katib v1beta1 semantics): a search algorithm proposes parameter assignments, each runs as a Trial whose TrainingJob goes through the queues, until the goal, the trial budget or the failure budget is reached; the best trial\'s model is registered.',
  body: z.object({ spec: experimentSpec, status: experimentStatus.optional() }),
  status: experimentStatus,
  columns: [
    { name: 'STATUS', value: (o) => statusOf(o).phase ?? '' },
    { name: 'ALGORITHM', value: (o) => String((o.spec as ExperimentSpec | undefined)?.algorithm.algorithmName ?? '') },
    { name: 'TRIALS', value: (o) => `${statusOf(o).trialsSucceeded ?? 0}/${statusOf(o).trials ?? 0}` },
    { name: 'RUNNING', value: (o) => String(statusOf(o).trialsRunning ?? 0) },
    { name: 'BEST', value: bestText },
    { name: 'REASON', value: (o) => statusOf(o).completionReason ?? '', wide: true },
    { name: 'MODEL', value: (o) => statusOf(o).registeredModelVersion ?? '', wide: true },
  ],
  conversions: [katibExperimentConversion],
});
