/** The pipeline kinds (project-scoped): Pipeline, PipelineVersion, PipelineRun, RecurringRun. */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind, type Kind } from '../kind.js';
import type { KubeObject } from '../meta.js';
import {
  pipelineRunSpec,
  pipelineRunStatus,
  pipelineSpec,
  pipelineStatus,
  pipelineVersionSpec,
  recurringRunSpec,
  recurringRunStatus,
  type PipelineRunStatus,
  type RecurringRunSpec,
  type RecurringRunStatus,
} from './pipeline-schemas.js';

/** Label on PipelineVersions and PipelineRuns naming their Pipeline. */
export const PIPELINE_LABEL = 'capstan.dev/pipeline';
/** Finalizer on PipelineRuns: the run's artifacts, files and cache entries go before the run. */
export const PIPELINE_RUN_FINALIZER = 'capstan.dev/pipeline-artifacts';
/** Label on PipelineRuns a RecurringRun started. */
export const RECURRING_RUN_LABEL = 'capstan.dev/recurring-run';

const field = (o: KubeObject, path: string[]): string => {
  let v: unknown = o;
  for (const p of path) v = (v as Record<string, unknown> | undefined)?.[p];
  return v === undefined || v === null ? '' : String(v);
};

/** A pipeline: a named series of immutable versions. */
export const PipelineKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Pipeline',
  plural: 'pipelines',
  singular: 'pipeline',
  shortNames: ['pl'],
  namespaced: true,
  description: 'A pipeline: a DAG of containerized steps (KFP v2 compatible), kept as immutable PipelineVersions.',
  body: z.object({ spec: pipelineSpec.default({}), status: pipelineStatus.optional() }),
  status: pipelineStatus,
  columns: [
    { name: 'LATEST', value: (o) => field(o, ['status', 'latestVersion']) },
    { name: 'VERSIONS', value: (o) => field(o, ['status', 'versions']) },
  ],
});

/** One immutable version of a pipeline: the KFP v2 IR it runs. */
export const PipelineVersionKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'PipelineVersion',
  plural: 'pipelineversions',
  singular: 'pipelineversion',
  shortNames: ['plv'],
  namespaced: true,
  description: 'An immutable version of a Pipeline: the KFP v2 pipeline spec (IR) it runs.',
  body: z.object({ spec: pipelineVersionSpec }),
  columns: [
    { name: 'PIPELINE', value: (o) => field(o, ['spec', 'pipeline']) },
    { name: 'DESCRIPTION', value: (o) => field(o, ['spec', 'description']).slice(0, 60), wide: true },
  ],
});

function taskCounts(o: KubeObject): string {
  const tasks = Object.values((o.status as PipelineRunStatus | undefined)?.tasks ?? {});
  const done = tasks.filter((t) => t.phase === 'Succeeded' || t.phase === 'Skipped').length;
  return tasks.length ? `${done}/${tasks.length}` : '';
}

/** One run of a pipeline version. */
export const PipelineRunKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'PipelineRun',
  plural: 'pipelineruns',
  singular: 'pipelinerun',
  shortNames: ['plr', 'prun'],
  namespaced: true,
  description: 'A run of a PipelineVersion with parameters: every task a TrainingJob through the queues, with per-task status, outputs, artifacts and cache hits.',
  body: z.object({ spec: pipelineRunSpec, status: pipelineRunStatus.optional() }),
  status: pipelineRunStatus,
  defaultFinalizers: [PIPELINE_RUN_FINALIZER],
  columns: [
    { name: 'STATUS', value: (o) => field(o, ['status', 'phase']) },
    { name: 'VERSION', value: (o) => field(o, ['status', 'pipelineVersion']) },
    { name: 'TASKS', value: taskCounts },
    { name: 'MESSAGE', value: (o) => field(o, ['status', 'message']).slice(0, 80), wide: true },
  ],
});

/** Starts runs of a pipeline on a schedule. */
export const RecurringRunKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'RecurringRun',
  plural: 'recurringruns',
  singular: 'recurringrun',
  shortNames: ['rr'],
  namespaced: true,
  description: 'Starts PipelineRuns on a cron schedule or an interval, with a concurrency limit, optional catch-up and enable/disable.',
  body: z.object({ spec: recurringRunSpec, status: recurringRunStatus.optional() }),
  status: recurringRunStatus,
  columns: [
    { name: 'PIPELINE', value: (o) => field(o, ['spec', 'pipeline']) },
    { name: 'SCHEDULE', value: (o) => { const s = (o.spec as RecurringRunSpec).schedule; return s.cron ?? `every ${s.intervalSeconds}s`; } },
    { name: 'ENABLED', value: (o) => field(o, ['spec', 'enabled']) },
    { name: 'LAST', value: (o) => (o.status as RecurringRunStatus | undefined)?.lastScheduleTime ?? '' },
  ],
});

/** Every pipeline kind. */
export const PIPELINE_KINDS: Kind[] = [PipelineKind, PipelineVersionKind, PipelineRunKind, RecurringRunKind];
