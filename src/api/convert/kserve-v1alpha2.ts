/** KFServing InferenceService (serving.kubeflow.org/v1alpha2: default/canary endpoints) → Capstan InferenceService. */
import type { StatusCause } from '../errors.js';
import type { KindConversion } from '../kind.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION } from '../kind.js';
import { asRecord, checkFormat, convertAutoscaling, convertMetadata, convertResources, rejectFields, unknownKeys, unsupported } from './kserve-common.js';

/** The KFServing API version accepted. */
export const KFSERVING_V1ALPHA2 = 'serving.kubeflow.org/v1alpha2';

const PREDICTOR_FIELDS = ['minReplicas', 'maxReplicas', 'parallelism', 'autoscaling'];
const FRAMEWORKS = ['onnx', 'tensorflow', 'pytorch', 'sklearn', 'xgboost', 'triton', 'custom'];

/** One endpoint's predictor (`{onnx: {storageUri, resources}}`, plus replicas) → storageUri + settings. */
function convertPredictor(p: Record<string, unknown>, path: string, causes: StatusCause[], withScaling: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  causes.push(...unknownKeys(p, [...PREDICTOR_FIELDS, ...FRAMEWORKS], path));
  const present = FRAMEWORKS.filter((k) => p[k] !== undefined);
  if (present.length === 0) causes.push({ reason: 'FieldValueRequired', field: `${path}.onnx`, message: 'required: a framework block such as onnx: {storageUri: …}' });
  if (present.length > 1) causes.push(unsupported(`${path}.${present[1]}`, 'only one framework per predictor'));
  const fw = present[0];
  if (fw !== undefined) {
    const f = asRecord(p[fw]);
    checkFormat(fw, `${path}.${fw}`, causes);
    causes.push(...unknownKeys(f, ['storageUri', 'resources', 'runtimeVersion', 'autoscaling'], `${path}.${fw}`));
    if (f.storageUri !== undefined) out.storageUri = f.storageUri;
    else causes.push({ reason: 'FieldValueRequired', field: `${path}.${fw}.storageUri`, message: 'required' });
    const res = convertResources(f.resources, `${path}.${fw}.resources`, causes);
    if (res) out.resources = res;
    if (withScaling) convertAutoscaling(f.autoscaling, `${path}.${fw}.autoscaling`, out, causes);
    else if (f.autoscaling !== undefined) causes.push(unsupported(`${path}.${fw}.autoscaling`, 'the canary scales with the default predictor'));
  }
  if (withScaling) {
    if (p.minReplicas !== undefined) out.minReplicas = p.minReplicas;
    if (p.maxReplicas !== undefined) out.maxReplicas = p.maxReplicas;
    if (p.parallelism !== undefined) out.containerConcurrency = p.parallelism;
    convertAutoscaling(p.autoscaling, `${path}.autoscaling`, out, causes);
  } else {
    for (const k of PREDICTOR_FIELDS) if (p[k] !== undefined) causes.push(unsupported(`${path}.${k}`, 'the canary scales with the default predictor'));
  }
  return out;
}

/** Converts `spec.default.predictor` (+ `spec.canary.predictor`, `spec.canaryTrafficPercent`), as in seed 004. */
export const kfservingV1alpha2Conversion: KindConversion = {
  apiVersion: KFSERVING_V1ALPHA2,
  kind: 'InferenceService',
  convert(obj) {
    const causes: StatusCause[] = [];
    causes.push(...unknownKeys(obj, ['apiVersion', 'kind', 'metadata', 'spec', 'status'], '').map((c) => ({ ...c, field: (c.field ?? '').replace(/^\./, '') })));
    const spec = asRecord(obj.spec);
    causes.push(...unknownKeys(spec, ['default', 'canary', 'canaryTrafficPercent'], 'spec'));
    const def = asRecord(spec.default);
    causes.push(...unknownKeys(def, ['predictor'], 'spec.default'));
    const predictor = convertPredictor(asRecord(def.predictor), 'spec.default.predictor', causes, true);
    const out: Record<string, unknown> = { predictor };
    if (spec.canary !== undefined) {
      const can = asRecord(spec.canary);
      causes.push(...unknownKeys(can, ['predictor'], 'spec.canary'));
      const c = convertPredictor(asRecord(can.predictor), 'spec.canary.predictor', causes, false);
      out.canary = { storageUri: c.storageUri, ...(c.resources ? { resources: c.resources } : {}), trafficPercent: spec.canaryTrafficPercent ?? 0 };
    } else if (spec.canaryTrafficPercent !== undefined) {
      causes.push(unsupported('spec.canaryTrafficPercent', 'needs spec.canary'));
    }
    rejectFields('KFServing InferenceService', causes);
    return { apiVersion: `${CAPSTAN_GROUP}/${CAPSTAN_VERSION}`, kind: 'InferenceService', metadata: convertMetadata(obj.metadata, false), spec: out };
  },
};
