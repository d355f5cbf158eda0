/** TrainingJob: a distributed training run, queued as one gang, its model registered on success. */
import { z } from 'zod';
import { kubeflowPyTorchJobConversion, kubeflowTfJobConversion } from '../convert/kubeflow-training-jobs.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import type { KubeObject } from '../meta.js';
import { trainingJobSpec, trainingJobStatus, type TrainingJobSpec, type TrainingJobStatus } from './training-job-schema.js';

function statusOf(o: KubeObject): TrainingJobStatus {
  return (o.status ?? {}) as TrainingJobStatus;
}

function replicasText(o: KubeObject): string {
  const spec = o.spec as TrainingJobSpec | undefined;
  if (!spec) return '';
  const rs = statusOf(o).replicaStatuses ?? {};
  return Object.entries(spec.replicaSpecs)
    .map(([role, r]) => `${role}:${rs[role]?.active ?? 0}/${r.replicas}`)
    .join(' ');
}

function metric(o: KubeObject, name: string): string {
  const v = statusOf(o).metrics?.[name];
  return v === undefined ? '' : String(Number(v.toPrecision(4)));
}

/** The TrainingJob kind (short name tj). */
export const TrainingJobKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'TrainingJob',
  plural: 'trainingjobs',
  singular: 'trainingjob',
  shortNames: ['tj', 'tjob'],
  namespaced: true,
  description: 'A distributed training job: roles of replicas (Master/Worker, Chief/PS/Worker, or free-form) run as one gang admitted by a queue, with rendezvous env, logs, metrics and a model registered on success.',
  body: z.object({
    spec: trainingJobSpec,
    status: trainingJobStatus.optional(),
  }),
  status: trainingJobStatus,
  columns: [
    { name: 'STATUS', value: (o) => statusOf(o).phase ?? '' },
    { name: 'FRAMEWORK', value: (o) => String((o.spec as TrainingJobSpec | undefined)?.framework ?? '') },
    { name: 'ACTIVE', value: replicasText },
    { name: 'RESTARTS', value: (o) => String(statusOf(o).restarts ?? 0), wide: true },
    { name: 'QUEUE', value: (o) => String((o.spec as TrainingJobSpec | undefined)?.queueName ?? ''), wide: true },
    { name: 'LOSS', value: (o) => metric(o, 'loss'), wide: true },
    { name: 'ACCURACY', value: (o) => metric(o, 'accuracy'), wide: true },
    { name: 'MODEL', value: (o) => statusOf(o).registeredModelVersion ?? '', wide: true },
  ],
  conversions: [kubeflowTfJobConversion, kubeflowPyTorchJobConversion],
});
