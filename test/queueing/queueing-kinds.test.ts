// Validation of the queueing kinds and conversion of Kueue, PriorityClass and ResourceQuota manifests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';

const reg = builtinKindRegistry();

function fails(raw: unknown, field: RegExp): ApiError {
  try {
    reg.decode(raw);
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    const fields = (err.details?.causes ?? []).map((c) => c.field ?? '');
    assert.ok(fields.some((f) => field.test(f)), `expected a cause on ${field}, got ${JSON.stringify(err.details?.causes)} (${err.message})`);
    return err;
  }
  assert.fail('expected the manifest to be refused');
}

// From Kueue's docs (concepts/cluster_queue, "single ClusterQueue and single ResourceFlavor setup").
const KUEUE_FLAVOR = { apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'ResourceFlavor', metadata: { name: 'default-flavor' } };
const KUEUE_CQ = {
  apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'ClusterQueue', metadata: { name: 'cluster-queue' },
  spec: {
    namespaceSelector: {},
    resourceGroups: [{ coveredResources: ['cpu', 'memory', 'pods'], flavors: [{ name: 'default-flavor', resources: [
      { name: 'cpu', nominalQuota: 9 }, { name: 'memory', nominalQuota: '36Gi' }, { name: 'pods', nominalQuota: 5 },
    ] }] }],
  },
};
const KUEUE_LQ = { apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'LocalQueue', metadata: { namespace: 'default', name: 'user-queue' }, spec: { clusterQueue: 'cluster-queue' } };

test('Kueue ResourceFlavor, ClusterQueue and LocalQueue from the docs convert as they are', () => {
  const f = reg.decode(KUEUE_FLAVOR);
  assert.equal(f.kind.kind, 'ResourceFlavor');
  assert.equal(f.object.apiVersion, 'capstan.dev/v1alpha1');
  const cq = reg.decode(KUEUE_CQ).object;
  assert.equal(cq.kind, 'ClusterQueue');
  assert.deepEqual((cq.spec as { resourceGroups: unknown[] }).resourceGroups, KUEUE_CQ.spec.resourceGroups);
  assert.equal((cq.spec as { queueingStrategy: string }).queueingStrategy, 'BestEffortFIFO');
  const lq = reg.decode(KUEUE_LQ).object;
  assert.equal(lq.metadata.namespace, 'default');
  assert.deepEqual(lq.spec, { clusterQueue: 'cluster-queue' });
});

test('Kueue GPU flavor with taints and a cohort queue with borrowing limits and preemption', () => {
  const flavor = reg.decode({
    apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'ResourceFlavor', metadata: { name: 'spot' },
    spec: { nodeLabels: { 'instance-type': 'spot' }, nodeTaints: [{ effect: 'NoSchedule', key: 'spot', value: 'true' }], tolerations: [{ key: 'spot-taint', operator: 'Exists', effect: 'NoSchedule' }] },
  }).object;
  assert.deepEqual((flavor.spec as { nodeLabels: unknown }).nodeLabels, { 'instance-type': 'spot' });
  const cq = reg.decode({
    apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'ClusterQueue', metadata: { name: 'team-a-cq' },
    spec: {
      namespaceSelector: {}, cohort: 'team-ab', queueingStrategy: 'StrictFIFO',
      preemption: { reclaimWithinCohort: 'Any', borrowWithinCohort: { policy: 'LowerPriority', maxPriorityThreshold: 100 }, withinClusterQueue: 'LowerPriority' },
      resourceGroups: [{ coveredResources: ['cpu', 'memory'], flavors: [{ name: 'default-flavor', resources: [
        { name: 'cpu', nominalQuota: 9, borrowingLimit: 6, lendingLimit: 3 }, { name: 'memory', nominalQuota: '36Gi' },
      ] }] }],
    },
  }).object;
  assert.equal((cq.spec as { cohort: string }).cohort, 'team-ab');
});

test('Kueue fields Capstan does not support are refused by name', () => {
  fails({ ...KUEUE_CQ, spec: { ...KUEUE_CQ.spec, admissionChecks: ['prov'] } }, /^spec\.admissionChecks$/);
  fails({ ...KUEUE_CQ, spec: { ...KUEUE_CQ.spec, madeUp: 1 } }, /^spec\.madeUp$/);
  fails({ ...KUEUE_LQ, spec: { clusterQueue: 'x', fairSharing: { weight: 1 } } }, /^spec\.fairSharing$/);
  fails({ ...KUEUE_FLAVOR, spec: { nodeSelector: {} } }, /^spec\.nodeSelector$/);
});

test('Kueue and Kubernetes priority classes become WorkloadPriorityClasses', () => {
  const k = reg.decode({ apiVersion: 'kueue.x-k8s.io/v1beta1', kind: 'WorkloadPriorityClass', metadata: { name: 'sample-priority' }, value: 10000, description: 'Sample priority' }).object;
  assert.equal(k.kind, 'WorkloadPriorityClass');
  assert.equal(k.value, 10000);
  // Seed 002's manifest.
  const pc = reg.decode({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'ai-high-priority' }, value: 1000000, globalDefault: false, description: 'Priority class for AI workloads' }).object;
  assert.deepEqual([pc.kind, pc.value, pc.description], ['WorkloadPriorityClass', 1000000, 'Priority class for AI workloads']);
  fails({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'x' }, value: 1, globalDefault: true }, /^globalDefault$/);
  fails({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'x' }, value: 1, preemptionPolicy: 'Never' }, /^preemptionPolicy$/);
});

test('a ResourceQuota becomes a ClusterQueue for its project (requests first, limits as fallback)', () => {
  // Seed 002's manifest (no namespace: the default project).
  const cq = reg.decode({
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'ai-resource-quota' },
    spec: { hard: { 'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.cpu': '8', 'limits.memory': '16Gi', 'limits.nvidia.com/gpu': 2 } },
  }).object;
  assert.equal(cq.kind, 'ClusterQueue');
  assert.equal(cq.metadata.annotations?.['capstan.dev/from-resource-quota'], 'default/ai-resource-quota');
  const spec = cq.spec as { projects: string[]; resourceGroups: { coveredResources: string[]; flavors: { name: string; resources: { name: string; nominalQuota: unknown }[] }[] }[] };
  assert.deepEqual(spec.projects, ['default']);
  assert.deepEqual(spec.resourceGroups[0].coveredResources, ['cpu', 'memory', 'nvidia.com/gpu']);
  assert.deepEqual(spec.resourceGroups[0].flavors[0].resources, [
    { name: 'cpu', nominalQuota: '4' }, { name: 'memory', nominalQuota: '8Gi' }, { name: 'nvidia.com/gpu', nominalQuota: 2 },
  ]);
  const inProject = reg.decode({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'research' }, spec: { hard: { cpu: '10', 'requests.nvidia.com/gpu': '4' } } }).object;
  assert.deepEqual((inProject.spec as { projects: string[] }).projects, ['research']);
  assert.equal(inProject.metadata.namespace, undefined);
  fails({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { pods: '10', 'requests.cpu': 1 } } }, /^spec\.hard\.pods$/);
  fails({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': 1 }, scopes: ['BestEffort'] } }, /^spec\.scopes$/);
  fails({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { 'requests.cpu': 'lots' } } }, /nominalQuota/);
});

test('Capstan kinds validate quantities, resource groups and podSets, naming the field', () => {
  const V = 'capstan.dev/v1alpha1';
  fails({ apiVersion: V, kind: 'Node', metadata: { name: 'n' }, spec: { capacity: { cpu: '2 cores' } } }, /^spec\.capacity\.cpu$/);
  fails({ apiVersion: V, kind: 'ClusterQueue', metadata: { name: 'c' }, spec: { resourceGroups: [{ coveredResources: ['cpu', 'memory'], flavors: [{ name: 'f', resources: [{ name: 'cpu', nominalQuota: 1 }] }] }] } }, /flavors\[0\]\.resources/);
  fails({ apiVersion: V, kind: 'ClusterQueue', metadata: { name: 'c' }, spec: { resourceGroups: [
    { coveredResources: ['cpu'], flavors: [{ name: 'f', resources: [{ name: 'cpu', nominalQuota: 1 }] }] },
    { coveredResources: ['cpu'], flavors: [{ name: 'g', resources: [{ name: 'cpu', nominalQuota: 1 }] }] },
  ] } }, /resourceGroups\[1\]\.coveredResources/);
  fails({ apiVersion: V, kind: 'Workload', metadata: { name: 'w', namespace: 'default' }, spec: { podSets: [] } }, /^spec\.podSets$/);
  fails({ apiVersion: V, kind: 'Workload', metadata: { name: 'w', namespace: 'default' }, spec: { podSets: [{ name: 'a', requests: { cpu: '-1' } }] } }, /^spec\.podSets\[0\]\.requests\.cpu$/);
  fails({ apiVersion: V, kind: 'Workload', metadata: { name: 'w', namespace: 'default' }, spec: { podSets: [{ name: 'a' }, { name: 'a' }] } }, /^spec\.podSets\[1\]\.name$/);
  const wl = reg.decode({ apiVersion: V, kind: 'Workload', metadata: { name: 'w', namespace: 'default' }, spec: { podSets: [{ requests: { cpu: '500m' } }] } }).object;
  assert.deepEqual(wl.spec, { queueName: 'default', podSets: [{ name: 'main', count: 1, requests: { cpu: '500m' } }] });
});
