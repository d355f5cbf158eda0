/** Pure rollout planning: first deploy, rolling update in surges, KServe canary percent, spec.canary, retirement, effective shares. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveTraffic, planTraffic, resolveCount, type TrafficPlanInput } from '../../src/serving/control/traffic-plan.js';

const base: TrafficPlanInput = { latest: 'b', stable: 'a', totalReplicas: 2, maxSurge: '100%', maxUnavailable: 0, ready: {}, existing: ['a', 'b'] };

test('first deploy: the latest revision is stable at once', () => {
  const p = planTraffic({ ...base, stable: undefined, existing: [] });
  assert.equal(p.stable, 'b');
  assert.deepEqual(p.revisions, [{ name: 'b', role: 'stable', desiredReplicas: 2, percent: 100 }]);
});

test('rolling update keeps all traffic on the old revision until new replicas are ready, then retires it', () => {
  let p = planTraffic({ ...base, ready: { a: 2, b: 0 } });
  assert.equal(p.phase, 'RollingOut');
  assert.equal(p.stable, 'a');
  assert.deepEqual(p.revisions.map((r) => [r.name, r.role, r.desiredReplicas, r.percent]), [['a', 'stable', 2, 100], ['b', 'rolling', 2, 0]]);
  assert.deepEqual(p.retire, []);
  p = planTraffic({ ...base, ready: { a: 2, b: 1 } });
  assert.deepEqual(p.revisions.map((r) => [r.name, r.desiredReplicas]), [['a', 1], ['b', 2]]);
  assert.equal(Math.round(p.revisions[1].percent), 50);
  p = planTraffic({ ...base, ready: { a: 1, b: 2 } });
  assert.equal(p.stable, 'b');
  assert.deepEqual(p.retire, ['a']);
});

test('maxSurge 1 brings new replicas up one at a time', () => {
  const p = planTraffic({ ...base, totalReplicas: 4, maxSurge: 1, ready: { a: 4 } });
  assert.deepEqual(p.revisions.map((r) => [r.name, r.desiredReplicas]), [['a', 4], ['b', 1]]);
  assert.equal(resolveCount('25%', 4, true), 1);
  assert.equal(resolveCount('30%', 4, false), 1);
});

test('KServe canaryTrafficPercent keeps both; 100 promotes', () => {
  let p = planTraffic({ ...base, latestPercent: 10, ready: { a: 2, b: 1 } });
  assert.equal(p.phase, 'Canary');
  assert.deepEqual(p.revisions.map((r) => [r.name, r.role, r.percent]), [['a', 'stable', 90], ['b', 'canary', 10]]);
  p = planTraffic({ ...base, latestPercent: 100, ready: { a: 2, b: 2 } });
  assert.equal(p.stable, 'b');
  assert.deepEqual(p.retire, ['a']);
});

test('spec.canary splits by percent; old revisions retire; scaled to zero switches at once', () => {
  const p = planTraffic({ latest: 'a', stable: 'a', canary: { revision: 'c', percent: 20 }, totalReplicas: 3, maxSurge: '100%', maxUnavailable: 0, ready: { a: 3 }, existing: ['a', 'c', 'old'] });
  assert.deepEqual(p.revisions.map((r) => [r.name, r.role, r.desiredReplicas, r.percent]), [['a', 'stable', 3, 80], ['c', 'canary', 1, 20]]);
  assert.deepEqual(p.retire, ['old']);
  const z = planTraffic({ ...base, totalReplicas: 0, ready: {} });
  assert.equal(z.stable, 'b');
  assert.deepEqual(z.retire, ['a']);
});

test('effective traffic never goes to a revision without ready replicas', () => {
  const plan = [{ name: 'a', role: 'stable' as const, desiredReplicas: 1, percent: 80 }, { name: 'c', role: 'canary' as const, desiredReplicas: 1, percent: 20 }];
  assert.deepEqual(effectiveTraffic(plan, { a: 1, c: 0 }), [{ revision: 'a', percent: 100, role: 'stable' }]);
  assert.deepEqual(effectiveTraffic(plan, { a: 1, c: 1 }).map((t) => t.percent), [80, 20]);
  assert.deepEqual(effectiveTraffic(plan, {}).map((t) => t.percent), [80, 20]);
});
