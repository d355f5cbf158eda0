// Pure placement: the admitted flavor's cluster wins; the annotation only when no flavor names one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/meta.js';
import { placementOf, podSetPlacement } from '../../src/queueing/placement.js';

const flavor = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'ResourceFlavor', metadata: { name }, spec }) as unknown as KubeObject;
const flavors = [
  flavor('a100-x', { cluster: 'x', nodeLabels: { 'nvidia.com/gpu.product': 'A100', 'capstan.dev/cluster': 'x' }, tolerations: [{ key: 'gpu', operator: 'Exists' }] }),
  flavor('cpu-x', { cluster: 'x', nodeLabels: { pool: 'cpu' } }),
  flavor('any', {}),
  flavor('h100-y', { cluster: 'y' }),
];
const adm = (...sets: Record<string, string>[]) => ({ clusterQueue: 'cq', podSetAssignments: sets.map((f, i) => ({ name: `p${i}`, flavors: f, count: 1 })) });
const obj = (cluster?: string) => ({ metadata: { ...(cluster ? { annotations: { 'capstan.dev/cluster': cluster } } : {}) } });

test('the admitted flavor names the cluster; without one the annotation, else local', () => {
  assert.deepEqual(placementOf(obj(), adm({ cpu: 'a100-x' }), flavors), { cluster: 'x', source: 'flavor', flavor: 'a100-x' });
  assert.deepEqual(placementOf(obj('x'), adm({ cpu: 'a100-x' }), flavors), { cluster: 'x', source: 'flavor', flavor: 'a100-x' }, 'a consistent annotation is fine');
  assert.deepEqual(placementOf(obj('y'), adm({ cpu: 'any' }), flavors), { cluster: 'y', source: 'annotation' });
  assert.deepEqual(placementOf(obj(), adm({ cpu: 'any' }), flavors), { cluster: 'local', source: 'default' });
});

test('disagreement is reported and the flavor wins', () => {
  const p = placementOf(obj('y'), adm({ cpu: 'a100-x' }), flavors);
  assert.equal(p.cluster, 'x');
  assert.match(p.conflict ?? '', /capstan\.dev\/cluster=y disagrees with the admitted flavor a100-x, which is on cluster x/);
  const two = placementOf(obj(), adm({ cpu: 'a100-x' }, { cpu: 'h100-y' }), flavors);
  assert.equal(two.cluster, 'x');
  assert.match(two.conflict ?? '', /different clusters \(a100-x: x, h100-y: y\)/);
});

test('a podSet\'s nodeSelector and tolerations merge its flavors, without the cluster label', () => {
  const a = adm({ 'nvidia.com/gpu': 'a100-x', cpu: 'cpu-x' });
  assert.deepEqual(podSetPlacement(a, 'p0', flavors), { nodeSelector: { 'nvidia.com/gpu.product': 'A100', pool: 'cpu' }, tolerations: [{ key: 'gpu', operator: 'Exists' }] });
  assert.deepEqual(podSetPlacement(a, 'missing', flavors), {});
});
