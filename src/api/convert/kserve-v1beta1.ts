/** KServe InferenceService (serving.kserve.io/v1beta1) → Capstan InferenceService. */
import type { StatusCause } from '../errors.js';
import type { KindConversion } from '../kind.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION } from '../kind.js';
import { asRecord, checkFormat, convertBatcher, convertMetadata, convertResources, copyScalingFields, rejectFields, unknownKeys, unsupported } from './kserve-common.js';

/** The KServe API version accepted. */
export const KSERVE_V1BETA1 = 'serving.kserve.io/v1beta1';

const EXTENSION_FIELDS = ['minReplicas', 'maxReplicas', 'scaleTarget', 'scaleMetric', 'containerConcurrency', 'timeout', 'canaryTrafficPercent', 'batcher'];

function convertModel(m: Record<string, unknown>, path: string, out: Record<string, unknown>, causes: StatusCause[]): void {
  causes.push(...unknownKeys(m, ['modelFormat', 'storageUri', 'resources', 'protocolVersion'], path));
  const fmt = asRecord(m.modelFormat);
  causes.push(...unknownKeys(fmt, ['name', 'version'], `${path}.modelFormat`));
  checkFormat(fmt.name, `${path}.modelFormat.name`, causes);
  if (m.protocolVersion !== undefined && m.protocolVersion !== 'v1' && m.protocolVersion !== 'v2') causes.push(unsupported(`${path}.protocolVersion`, 'must be v1 or v2 (Capstan serves both)'));
  if (m.storageUri !== undefined) out.storageUri = m.storageUri;
  else causes.push({ reason: 'FieldValueRequired', field: `${path}.storageUri`, message: 'required' });
  const res = convertResources(m.resources, `${path}.resources`, causes);
  if (res) out.resources = res;
}

/** Converts `spec.predictor.model` (or the `onnx:` shorthand) with its autoscaling and canary fields. */
export const kserveV1beta1Conversion: KindConversion = {
  apiVersion: KSERVE_V1BETA1,
  kind: 'InferenceService',
  convert(obj) {
    const causes: StatusCause[] = [];
    causes.push(...unknownKeys(obj, ['apiVersion', 'kind', 'metadata', 'spec', 'status'], '').map((c) => ({ ...c, field: (c.field ?? '').replace(/^\./, '') })));
    const spec = asRecord(obj.spec);
    causes.push(...unknownKeys(spec, ['predictor'], 'spec').map((c) => ({ ...c, message: 'not supported by Capstan (only the predictor is served)' })));
    const pred = asRecord(spec.predictor);
    const frameworks = Object.keys(pred).filter((k) => !EXTENSION_FIELDS.includes(k) && k !== 'model');
    const predictor: Record<string, unknown> = {};
    copyScalingFields(pred, predictor);
    const batching = convertBatcher(pred.batcher, 'spec.predictor.batcher', causes);
    if (batching) predictor.batching = batching;
    if (pred.model !== undefined) {
      convertModel(asRecord(pred.model), 'spec.predictor.model', predictor, causes);
      for (const k of frameworks) causes.push(unsupported(`spec.predictor.${k}`, 'unknown or unsupported field'));
    } else if (frameworks.length === 1 && frameworks[0] === 'onnx') {
      const f = asRecord(pred.onnx);
      causes.push(...unknownKeys(f, ['storageUri', 'resources', 'runtimeVersion', 'protocolVersion'], 'spec.predictor.onnx'));
      if (f.storageUri !== undefined) predictor.storageUri = f.storageUri;
      else causes.push({ reason: 'FieldValueRequired', field: 'spec.predictor.onnx.storageUri', message: 'required' });
      const res = convertResources(f.resources, 'spec.predictor.onnx.resources', causes);
      if (res) predictor.resources = res;
    } else if (frameworks.length === 0) {
      causes.push({ reason: 'FieldValueRequired', field: 'spec.predictor.model', message: 'required' });
    } else {
      for (const k of frameworks) {
        const known = ['tensorflow', 'pytorch', 'sklearn', 'xgboost', 'lightgbm', 'triton', 'pmml', 'paddle', 'huggingface'];
        causes.push(unsupported(`spec.predictor.${k}`, known.includes(k) ? `the ${k} framework is not served by Capstan's runtime: only onnx (predictor.model.modelFormat.name: onnx)` : 'unknown or unsupported field'));
      }
    }
    rejectFields('KServe InferenceService', causes);
    return {
      apiVersion: `${CAPSTAN_GROUP}/${CAPSTAN_VERSION}`,
      kind: 'InferenceService',
      metadata: convertMetadata(obj.metadata, false),
      spec: { predictor },
    };
  },
};
