/** Scaler settings from the predictor and Knative annotations; the autoscaler holds its initial scale until a replica served; promote/rollback patches. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import type { InferenceServiceSpec } from '../../src/api/kinds/inference-service.js';
import { parseDurationMs, scalerSettings, ServiceAutoscaler } from '../../src/serving/control/service-autoscaler.js';
import { promotePatch, rollbackPatch } from '../../src/cli/extensions/serving-commands.js';

const kinds = builtinKindRegistry();
function spec(predictor: Record<string, unknown>, extra: Record<string, unknown> = {}): InferenceServiceSpec {
  return kinds.decode({ apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'x', namespace: 'default' }, spec: { predictor, ...extra } }).object.spec as InferenceServiceSpec;
}

test('durations and settings', () => {
  assert.equal(parseDurationMs('6s'), 6000);
  assert.equal(parseDurationMs('250ms'), 250);
  assert.equal(parseDurationMs('2m'), 120_000);
  assert.equal(parseDurationMs('soon'), undefined);
  const k = scalerSettings(spec({ storageUri: 'file:///m.onnx', minReplicas: 0, scaleTarget: 4 }).predictor, { 'autoscaling.knative.dev/window': '6s', 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '0s' });
  assert.equal(k.kind, 'kpa');
  if (k.kind === 'kpa') {
    assert.equal(k.config.stableWindowMs, 6000);
    assert.equal(k.config.scaleToZeroGracePeriodMs, 0);
    assert.equal(k.config.target, 4);
    assert.equal(k.config.maxReplicas, 10);
  }
  assert.equal(k.initial, 1, 'a scale-to-zero service still starts one replica');
  const h = scalerSettings(spec({ storageUri: 'file:///m.onnx', scaleMetric: 'cpu', scaleTarget: 70, maxReplicas: 4 }).predictor);
  assert.equal(h.kind, 'hpa');
  assert.throws(() => scalerSettings(spec({ storageUri: 'file:///m.onnx' }).predictor, { 'autoscaling.knative.dev/window': '1s' }), /stableWindowMs/);
});

test('no scaling before a replica was ready; then idle load scales to zero', () => {
  const s = scalerSettings(spec({ storageUri: 'file:///m.onnx', minReplicas: 0 }).predictor, { 'autoscaling.knative.dev/window': '6s', 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '0s' });
  const a = new ServiceAutoscaler(s, 0, 0);
  assert.equal(a.desired, 1);
  const idle = (t: number) => ({ at: t, requests: 0, concurrencyIntegralMs: 0 });
  for (let t = 2000; t <= 20_000; t += 2000) assert.equal(a.tick(idle(t), 0, {}, t), undefined, 'held while never ready');
  let change;
  for (let t = 22_000; t <= 40_000 && !change; t += 2000) change = a.tick(idle(t), 1, {}, t);
  assert.ok(change);
  assert.equal(change!.to, 0);
  assert.equal(a.wake()?.to, 1);
  assert.match(a.reason, /0 → 1/);
});

test('restored at a recorded count of zero, a scale-to-zero service stays at zero until a request wakes it', () => {
  const s = scalerSettings(spec({ storageUri: 'file:///m.onnx', minReplicas: 0 }).predictor, { 'autoscaling.knative.dev/window': '6s' });
  const a = new ServiceAutoscaler(s, 0, 0, 0);
  assert.equal(a.desired, 0);
  const idle = (t: number) => ({ at: t, requests: 0, concurrencyIntegralMs: 0 });
  for (let t = 2000; t <= 20_000; t += 2000) assert.equal(a.tick(idle(t), 0, {}, t), undefined, 'idle at zero stays at zero');
  assert.equal(a.wake()?.to, 1);
  // without a record the initial scale applies; a recorded count is bounded by the settings
  assert.equal(new ServiceAutoscaler(s, 0, 0).desired, 1);
  const h = scalerSettings(spec({ storageUri: 'file:///m.onnx', scaleMetric: 'cpu', maxReplicas: 4 }).predictor);
  assert.equal(new ServiceAutoscaler(h, 0, 0, 0).desired, 1, 'cpu scaling cannot go to zero');
  assert.equal(new ServiceAutoscaler(h, 0, 0, 9).desired, 4);
});

test('promote and rollback patches', () => {
  const withCanary = spec({ storageUri: 'file:///a.onnx' }, { canary: { storageUri: 'file:///b.onnx', trafficPercent: 10 } });
  assert.deepEqual(promotePatch(withCanary), { spec: { predictor: { model: null, storageUri: 'file:///b.onnx' }, canary: null } });
  assert.deepEqual(rollbackPatch(withCanary, {}), { spec: { canary: null } });
  const kserve = spec({ storageUri: 'file:///b.onnx', canaryTrafficPercent: 10 });
  assert.deepEqual(promotePatch(kserve), { spec: { predictor: { canaryTrafficPercent: null } } });
  assert.deepEqual(rollbackPatch(kserve, { latestRevision: 'x-2', stableRevision: 'x-1' }), { spec: { predictor: { canaryTrafficPercent: 0 } } });
  const plain = spec({ model: 'digits@production' });
  assert.throws(() => promotePatch(plain), /nothing to promote/);
  assert.deepEqual(rollbackPatch(plain, { previousRevision: { name: 'x-1', model: { ref: 'digits@production', modelVersion: 'digits-v1.0.0', version: '1.0.0' } } }), { spec: { predictor: { model: 'digits@1.0.0', storageUri: null } } });
  assert.throws(() => rollbackPatch(plain, {}), /nothing to roll back/);
});
