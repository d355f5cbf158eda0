/** InferenceService: a model served behind the gateway, with revisions, canary traffic and autoscaling. */
import { z } from 'zod';
import { kfservingV1alpha2Conversion } from '../convert/kserve-v1alpha2.js';
import { kserveV1beta1Conversion } from '../convert/kserve-v1beta1.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import type { KubeObject } from '../meta.js';
import { inferenceServiceSpec, inferenceServiceStatus, type InferenceServiceSpec, type InferenceServiceStatus } from './inference-service-schema.js';

export * from './inference-service-schema.js';

function statusOf(o: KubeObject): InferenceServiceStatus {
  return (o.status ?? {}) as InferenceServiceStatus;
}

function readyText(o: KubeObject): string {
  return statusOf(o).conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

function modelText(o: KubeObject): string {
  const p = (o.spec as InferenceServiceSpec | undefined)?.predictor;
  return p?.model ?? p?.storageUri ?? (p?.runtime === 'custom' ? 'custom' : '');
}

function replicasText(o: KubeObject): string {
  const revs = statusOf(o).revisions ?? [];
  return revs.map((r) => `${r.readyReplicas}/${r.desiredReplicas}`).join(',');
}

function trafficText(o: KubeObject): string {
  return (statusOf(o).traffic ?? []).map((t) => `${t.revision}=${t.percent}%`).join(',');
}

/** The InferenceService kind (short name isvc). */
export const InferenceServiceKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'InferenceService',
  plural: 'inferenceservices',
  singular: 'inferenceservice',
  shortNames: ['isvc'],
  namespaced: true,
  description: 'A model served over OIP REST and KServe V1 behind the gateway: revisions per model version, canary traffic split, zero-downtime rollouts and autoscaling (to and from zero).',
  body: z.object({ spec: inferenceServiceSpec, status: inferenceServiceStatus.optional() }),
  status: inferenceServiceStatus,
  columns: [
    { name: 'READY', value: readyText },
    { name: 'URL', value: (o) => statusOf(o).url ?? '' },
    { name: 'MODEL', value: modelText },
    { name: 'REPLICAS', value: replicasText },
    { name: 'TRAFFIC', value: trafficText, wide: true },
    { name: 'VERSIONS', value: (o) => (statusOf(o).modelVersions ?? []).join(','), wide: true },
  ],
  conversions: [kserveV1beta1Conversion, kfservingV1alpha2Conversion],
});
