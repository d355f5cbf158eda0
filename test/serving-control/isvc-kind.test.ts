/** InferenceService kind: defaults, validation with field paths, KServe v1beta1 and KFServing v1alpha2 conversions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';

const kinds = builtinKindRegistry();
const api = 'capstan.dev/v1alpha1';

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return (err.details?.causes ?? []).map((c) => c.field ?? '').sort();
  }
  assert.fail('expected an error');
}

function isvc(spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: api, kind: 'InferenceService', metadata: { name: 'digits', namespace: 'default' }, spec };
}

test('isvc is found by its short name and gets defaults', () => {
  assert.equal(kinds.find('isvc')?.kind, 'InferenceService');
  const { object } = kinds.decode(isvc({ predictor: { storageUri: 'file:///tmp/m.onnx' } }));
  const spec = object.spec as { predictor: Record<string, unknown>; rollout: Record<string, unknown> };
  assert.equal(spec.predictor.runtime, 'onnx');
  assert.equal(spec.predictor.minReplicas, 1);
  assert.equal(spec.predictor.scaleMetric, 'concurrency');
  assert.deepEqual(spec.rollout, { maxSurge: '100%', maxUnavailable: 0 });
});

test('bad input names its field', () => {
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: { storageUri: 'file:///m.onnx', minReplicas: 5, maxReplicas: 2 } }))), ['spec.predictor.minReplicas']);
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: { model: 'digits@production' }, canary: { model: 'digits@staging', trafficPercent: 140 } }))), ['spec.canary.trafficPercent']);
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: { storageUri: 's3://bucket/m.onnx' } }))), ['spec.predictor.storageUri']);
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: {} }))), ['spec.predictor.model']);
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: { runtime: 'custom' } }))), ['spec.predictor.command']);
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: { model: 'a', storageUri: 'file:///m.onnx' } }))), ['spec.predictor.storageUri']);
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: { model: 'a', replicas: 3 } }))), ['spec.predictor.replicas']);
  assert.deepEqual(fieldsOf(() => kinds.decode(isvc({ predictor: { model: 'a', scaleMetric: 'gpu' } }))), ['spec.predictor.scaleMetric']);
  assert.match(String((() => { try { kinds.decode(isvc({ predictor: { storageUri: 's3://b/m' } })); } catch (e) { return (e as Error).message; } })()), /not supported yet/);
});

test('KServe v1beta1 converts model, scaling, canary percent and resources', () => {
  const { object } = kinds.decode({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'flowers', namespace: 'default' },
    spec: {
      predictor: {
        minReplicas: 0, maxReplicas: 4, scaleTarget: 5, scaleMetric: 'rps', canaryTrafficPercent: 10, containerConcurrency: 8, timeout: 30,
        batcher: { maxBatchSize: 16, maxLatency: 5 },
        model: { modelFormat: { name: 'onnx' }, storageUri: 'https://example.test/m.onnx', resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '2', 'nvidia.com/gpu': 1 } } },
      },
    },
  });
  assert.equal(object.kind, 'InferenceService');
  assert.equal(object.apiVersion, api);
  const p = (object.spec as { predictor: Record<string, unknown> }).predictor;
  assert.equal(p.storageUri, 'https://example.test/m.onnx');
  assert.deepEqual([p.minReplicas, p.maxReplicas, p.scaleTarget, p.scaleMetric, p.canaryTrafficPercent, p.containerConcurrency, p.timeout], [0, 4, 5, 'rps', 10, 8, 30]);
  assert.deepEqual(p.batching, { maxBatchSize: 16, maxLatencyMs: 5 });
  assert.deepEqual(p.resources, { cpu: '1', memory: '2Gi', cpuLimit: '2', gpu: 1 });
});

test('KServe v1beta1 refuses what Capstan does not support, naming the field', () => {
  const base = { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'x', namespace: 'default' } };
  assert.deepEqual(fieldsOf(() => kinds.decode({ ...base, spec: { predictor: { model: { modelFormat: { name: 'tensorflow' }, storageUri: 'file:///m' } } } })), ['spec.predictor.model.modelFormat.name']);
  assert.deepEqual(fieldsOf(() => kinds.decode({ ...base, spec: { transformer: {}, predictor: { model: { modelFormat: { name: 'onnx' }, storageUri: 'file:///m', runtime: 'kserve-tritonserver' } } } })), ['spec.predictor.model.runtime', 'spec.transformer']);
  assert.deepEqual(fieldsOf(() => kinds.decode({ ...base, spec: { predictor: { logger: { mode: 'all' }, model: { modelFormat: { name: 'onnx' }, storageUri: 'file:///m' } } } })), ['spec.predictor.logger']);
  // converted but still validated by the Capstan schema
  assert.deepEqual(fieldsOf(() => kinds.decode({ ...base, spec: { predictor: { minReplicas: 3, maxReplicas: 1, onnx: { storageUri: 'file:///m.onnx' } } } })), ['spec.predictor.minReplicas']);
});

test('KFServing v1alpha2 default/canary form (seed 004) converts; tensorflow is named as unsupported', () => {
  const { object } = kinds.decode({
    apiVersion: 'serving.kubeflow.org/v1alpha2',
    kind: 'InferenceService',
    metadata: { name: 'mnist-model-v2', namespace: 'default' },
    spec: {
      canaryTrafficPercent: 20,
      canary: { predictor: { onnx: { storageUri: 'file:///models/v2.onnx', resources: { requests: { memory: '4Gi', cpu: '2' }, limits: { memory: '8Gi', cpu: '4' } } } } },
      default: { predictor: { minReplicas: 3, maxReplicas: 10, onnx: { storageUri: 'file:///models/v1.onnx', autoscaling: { targetCPUUtilization: 70 } } } },
    },
  });
  const spec = object.spec as { predictor: Record<string, unknown>; canary: Record<string, unknown> };
  assert.equal(spec.predictor.storageUri, 'file:///models/v1.onnx');
  assert.deepEqual([spec.predictor.minReplicas, spec.predictor.maxReplicas, spec.predictor.scaleMetric, spec.predictor.scaleTarget], [3, 10, 'cpu', 70]);
  assert.equal(spec.canary.storageUri, 'file:///models/v2.onnx');
  assert.equal(spec.canary.trafficPercent, 20);
  assert.deepEqual(spec.canary.resources, { cpu: '2', memory: '4Gi', cpuLimit: '4', memoryLimit: '8Gi' });
  const seed = { apiVersion: 'serving.kubeflow.org/v1alpha2', kind: 'InferenceService', metadata: { name: 'mnist-model', namespace: 'default' }, spec: { default: { predictor: { tensorflow: { storageUri: 's3://model-bucket/mnist-model' } } } } };
  assert.deepEqual(fieldsOf(() => kinds.decode(seed)), ['spec.default.predictor.tensorflow']);
});
