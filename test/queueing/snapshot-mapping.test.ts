// The pure mapping from live objects to the scheduler snapshot, and decision → status helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/meta.js';
import { buildSnapshot, podRequests, CAPSTAN_PROJECT_LABEL } from '../../src/queueing/snapshot-mapping.js';
import { admittedStatus, pendingStatus, evictedStatus, preemptionCause } from '../../src/queueing/workload-decision-status.js';
import { buildWorkload, isAdmitted, isEvictionRequested, workloadPendingMessage, podSetPlacements } from '../../src/queueing/index.js';
import { parseNvidiaSmi, nodeNameFromHostname, localNodeManifest, labelValue } from '../../src/queueing/local-node.js';
import { learnedMeanDurations } from '../../src/queueing/learned-durations.js';
import { schedule } from '../../src/scheduler/index.js';

const V = 'capstan.dev/v1alpha1';
function obj(kind: string, name: string, extra: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: V, kind, metadata: { name, uid: `uid-${name}`, resourceVersion: '1', generation: 1, creationTimestamp: '2025-01-01T00:00:00.000Z', ...meta }, ...extra } as KubeObject;
}

test('buildSnapshot parses quantities, maps projects to a selector and skips finished or deleted objects', () => {
  const snap = buildSnapshot({
    projects: [obj('Project', 'research', {}, { labels: { team: 'ml' } })],
    resourceFlavors: [obj('ResourceFlavor', 'a100', { spec: { nodeLabels: { 'nvidia.com/gpu.product': 'A100' } } }), obj('ResourceFlavor', 'gone', { spec: {} }, { deletionTimestamp: '2025-01-02T00:00:00Z' })],
    clusterQueues: [obj('ClusterQueue', 'research', { spec: {
      projects: ['research'], cohort: 'lab', queueingStrategy: 'StrictFIFO', fairSharing: { weight: '2' },
      resourceGroups: [{ coveredResources: ['cpu', 'memory', 'nvidia.com/gpu'], flavors: [{ name: 'a100', resources: [
        { name: 'cpu', nominalQuota: '1500m' }, { name: 'memory', nominalQuota: '2Gi', borrowingLimit: '1Gi' }, { name: 'nvidia.com/gpu', nominalQuota: 4, lendingLimit: 2 },
      ] }] }],
    } })],
    localQueues: [obj('LocalQueue', 'main', { spec: { clusterQueue: 'research' } }, { namespace: 'research' })],
    priorityClasses: [obj('WorkloadPriorityClass', 'high', { value: 1000 })],
    nodes: [
      obj('Node', 'static', { spec: { capacity: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': 4 }, unschedulable: true } }, { labels: { a: 'b' } }),
      obj('Node', 'reported', { spec: { capacity: { cpu: '1' } }, status: { allocatable: { cpu: '2' }, conditions: [{ type: 'Ready', status: 'False' }] } }),
    ],
    workloads: [
      obj('Workload', 'pending', { spec: { queueName: 'main', priorityClassName: 'high', expectedDurationSeconds: 60, podSets: [{ name: 'w', count: 2, requests: { cpu: '250m', 'nvidia.com/gpu': 1 } }] } }, { namespace: 'research' }),
      obj('Workload', 'admitted', {
        spec: { queueName: 'main', podSets: [{ name: 'w', count: 1, requests: { cpu: '1' } }] },
        status: {
          admission: { clusterQueue: 'research', podSetAssignments: [{ name: 'w', flavors: { cpu: 'a100' }, count: 1, resourceUsage: { cpu: '1' }, placements: [{ node: 'static', gpus: [] }] }] },
          conditions: [{ type: 'QuotaReserved', status: 'True', lastTransitionTime: '2025-01-01T00:01:00.000Z' }, { type: 'Evicted', status: 'True', reason: 'Preempted' }],
        },
      }, { namespace: 'research' }),
      obj('Workload', 'done', { spec: { queueName: 'main', podSets: [{ name: 'w', count: 1, requests: { cpu: '1' } }] }, status: { conditions: [{ type: 'Finished', status: 'True' }] } }, { namespace: 'research' }),
    ],
  });
  assert.deepEqual(snap.resourceFlavors.map((f) => f.name), ['a100']);
  const cq = snap.clusterQueues[0];
  assert.deepEqual(cq.namespaceSelector, { matchExpressions: [{ key: CAPSTAN_PROJECT_LABEL, operator: 'In', values: ['research'] }] });
  assert.deepEqual(cq.resourceGroups[0].flavors[0].resources, [
    { name: 'cpu', nominalQuota: 1500 }, { name: 'memory', nominalQuota: 2 * 2 ** 30, borrowingLimit: 2 ** 30 }, { name: 'nvidia.com/gpu', nominalQuota: 4, lendingLimit: 2 },
  ]);
  assert.deepEqual(cq.fairSharing, { weight: 2 });
  assert.equal(snap.namespaces?.research[CAPSTAN_PROJECT_LABEL], 'research');
  assert.equal(snap.namespaces?.research.team, 'ml');
  assert.deepEqual(snap.priorityClasses, [{ name: 'high', value: 1000 }]);
  assert.deepEqual(snap.nodes.map((n) => [n.name, n.allocatable.cpu, n.ready, n.unschedulable ?? false]), [['static', 8000, true, true], ['reported', 2000, false, false]]);
  assert.deepEqual(snap.workloads.map((w) => w.name), ['pending', 'admitted']);
  const [p, a] = snap.workloads;
  assert.deepEqual(p.podSets[0], { name: 'w', count: 2, requests: { cpu: 250, 'nvidia.com/gpu': 1 } });
  assert.equal(p.expectedDurationMs, 60_000);
  assert.equal(p.priorityClassName, 'high');
  assert.equal(a.status?.admittedAt, Date.parse('2025-01-01T00:01:00.000Z'));
  assert.equal(a.status?.evicting, true);
  assert.deepEqual(a.status?.admission?.podSetAssignments[0].resourceUsage, { cpu: 1000 });
});

test('podRequests sums a template’s containers and takes the largest init container', () => {
  const r = podRequests({ name: 'p', count: 1, template: { spec: {
    containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' } } }, { name: 'b', resources: { requests: { cpu: '500m' } } }],
    initContainers: [{ name: 'i', resources: { requests: { cpu: '4' } } }],
  } } });
  assert.deepEqual(r, { cpu: 4000, memory: 2 ** 30 });
});

test('decision statuses: admitted, pending only when changed, evicted naming the preemptor', () => {
  const now = '2025-01-01T00:00:00.000Z';
  const adm = admittedStatus({}, { namespace: 'ns', name: 'w', borrowing: true, admission: { clusterQueue: 'cq', podSetAssignments: [{ name: 'w', flavors: { memory: 'f' }, count: 2, resourceUsage: { memory: 2 * 2 ** 30 }, placements: [{ node: 'n', gpus: [0] }, { node: 'n', gpus: [1] }] }] } }, 5, now);
  assert.equal(adm.admission?.podSetAssignments[0].resourceUsage?.memory, '2Gi');
  const wl = obj('Workload', 'w', { spec: {}, status: adm });
  assert.ok(isAdmitted(wl));
  assert.deepEqual(podSetPlacements(wl, 'w'), [{ node: 'n', gpus: [0] }, { node: 'n', gpus: [1] }]);
  const info = { namespace: 'ns', name: 'w', clusterQueue: 'cq', position: 2, reason: 'QuotaExceeded' as const, message: 'waiting', estimatedStart: Date.parse(now) + 600_000 };
  const pend = pendingStatus({}, info, 0, now);
  assert.ok(pend);
  assert.equal(pend.pending?.estimatedStart, '2025-01-01T00:10:00.000Z');
  assert.equal(pendingStatus(pend, info, 0, now), undefined, 'same decision: no write');
  assert.equal(pendingStatus(pend, { ...info, estimatedStart: (info.estimatedStart as number) + 5_000 }, 0, now), undefined, 'ETA jitter below a minute: no write');
  assert.ok(pendingStatus(pend, { ...info, position: 1 }, 0, now), 'position changed: write');
  assert.match(workloadPendingMessage(obj('Workload', 'w', { spec: {}, status: pend })), /^Pending in ClusterQueue cq \(position 2\): waiting; estimated start 2025-01-01T00:10:00.000Z$/);
  const cause = preemptionCause({ namespace: 'ns', name: 'w', clusterQueue: 'cq', preemptor: { namespace: 'other', name: 'urgent' }, reason: 'InClusterQueue', message: 'm' });
  const ev = evictedStatus(adm, cause, now);
  const evicted = obj('Workload', 'w', { spec: {}, status: ev });
  assert.ok(isEvictionRequested(evicted));
  assert.ok(!isAdmitted(evicted));
  assert.match(ev.conditions?.find((c) => c.type === 'Preempted')?.message ?? '', /other\/urgent/);
  assert.equal(ev.conditions?.find((c) => c.type === 'Preempted')?.reason, 'InClusterQueue');
});

test('buildWorkload makes an owned workload the API accepts', () => {
  const wl = buildWorkload({ owner: obj('TrainingJob', 'mnist', {}, { namespace: 'research' }), priorityClassName: 'high', podSets: [{ name: 'worker', count: 3, requests: { cpu: '2', 'nvidia.com/gpu': 1 } }] });
  assert.equal(wl.metadata.name, 'trainingjob-mnist');
  assert.equal(wl.metadata.namespace, 'research');
  assert.deepEqual(wl.metadata.ownerReferences?.[0], { apiVersion: V, kind: 'TrainingJob', name: 'mnist', uid: 'uid-mnist', controller: true, blockOwnerDeletion: true });
  assert.equal((wl.spec as { queueName: string }).queueName, 'default');
});

test('local node: nvidia-smi parsing, DNS-safe names, GPU product label', () => {
  const gpus = parseNvidiaSmi('0, NVIDIA A100-SXM4-40GB, 40960 MiB\n1, NVIDIA A100-SXM4-40GB, 40960 MiB\ngarbage\n');
  assert.deepEqual(gpus.map((g) => g.index), [0, 1]);
  assert.equal(nodeNameFromHostname('My_Box..Local-'), 'my-box.local');
  assert.equal(nodeNameFromHostname('___'), 'local-node');
  assert.equal(labelValue('NVIDIA A100-SXM4-40GB'), 'NVIDIA-A100-SXM4-40GB');
  const n = localNodeManifest({ hostname: 'gpu01', cpus: 8, memoryBytes: 17179869184 + 1000, gpus, os: 'linux', arch: 'x64' });
  assert.equal(n.metadata.labels?.['nvidia.com/gpu.product'], 'NVIDIA-A100-SXM4-40GB');
  assert.deepEqual(n.spec, { capacity: { cpu: '8', memory: '16384Mi', 'nvidia.com/gpu': '2' } });
});

test('learned durations: mean admitted→finished per ClusterQueue over succeeded workloads', () => {
  const fin = (name: string, start: string, end: string, reason = 'Succeeded') => obj('Workload', name, { spec: {}, status: {
    admission: { clusterQueue: 'cq', podSetAssignments: [] },
    conditions: [{ type: 'QuotaReserved', status: 'True', lastTransitionTime: start }, { type: 'Finished', status: 'True', reason, lastTransitionTime: end }],
  } });
  const m = learnedMeanDurations([fin('a', '2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z'), fin('b', '2025-01-01T00:00:00Z', '2025-01-01T00:03:00Z'), fin('c', '2025-01-01T00:00:00Z', '2025-01-01T10:00:00Z', 'Failed')]);
  assert.deepEqual(m, { cq: 120_000 });
});

test('ClusterQueue status: usage vs quota vs borrowed per flavor and resource, and the head of the queue with positions and estimated starts', async () => {
  const { clusterQueueStatus, pendingTable } = await import('../../src/queueing/queue-status.js');
  const spec = { resourceGroups: [{ coveredResources: ['cpu', 'nvidia.com/gpu'], flavors: [{ name: 'h100', resources: [{ name: 'cpu', nominalQuota: '16' }, { name: 'nvidia.com/gpu', nominalQuota: 8 }] }] }] };
  const rows = [
    { flavor: 'h100', resource: 'cpu', nominalQuota: 16_000, usage: 4_000, borrowed: 0, lent: 0, available: 12_000 },
    { flavor: 'h100', resource: 'nvidia.com/gpu', nominalQuota: 8, borrowingLimit: 4, usage: 10, borrowed: 2, lent: 0, available: 2 },
  ];
  const t0 = Date.parse('2025-01-01T00:00:00.000Z');
  const pending = [
    { namespace: 'research', name: 'second', clusterQueue: 'research', position: 2, reason: 'WaitingInQueue' as const, message: 'behind', estimatedStart: t0 + 3_600_000 + 42_000 },
    { namespace: 'research', name: 'first', clusterQueue: 'research', position: 1, reason: 'QuotaExceeded' as const, message: 'waiting for 4', estimatedStart: t0 + 600_000 },
    { namespace: 'research', name: 'never', clusterQueue: 'research', position: 3, reason: 'Inadmissible' as const, message: 'can never fit' },
  ];
  const st = clusterQueueStatus(undefined, spec as never, rows, { pending: 3, admitted: 2 }, new Set(['h100']), 1, '2025-01-01T00:00:00Z', pending);
  assert.ok(st);
  assert.deepEqual(st.usageTable, [
    'FLAVOR  RESOURCE        USED  QUOTA  BORROWED  LENT  AVAILABLE',
    'h100    cpu             4     16     0         0     12',
    'h100    nvidia.com/gpu  10    8      2         0     2',
  ]);
  assert.equal(st.usage?.[1].borrowingLimit, '4');
  assert.deepEqual(st.pendingTable, [
    'POSITION  WORKLOAD         REASON          ESTIMATED START',
    '1         research/first   QuotaExceeded   2025-01-01T00:10Z',
    '2         research/second  WaitingInQueue  2025-01-01T01:00Z',
    '3         research/never   Inadmissible    -',
  ]);
  // Seconds of ETA drift do not rewrite the status; a new position does.
  const drift = pending.map((p) => (p.estimatedStart ? { ...p, estimatedStart: p.estimatedStart + 5_000 } : p));
  assert.equal(clusterQueueStatus(st, spec as never, rows, { pending: 3, admitted: 2 }, new Set(['h100']), 1, '2025-01-01T00:00:30Z', drift), undefined);
  assert.ok(clusterQueueStatus(st, spec as never, rows, { pending: 2, admitted: 2 }, new Set(['h100']), 1, '2025-01-01T00:00:30Z', pending.slice(1)));
  assert.equal(pendingTable([], 10).length, 0);
  assert.equal(pendingTable(Array.from({ length: 30 }, (_, i) => ({ ...pending[0], name: `w${i}`, position: i + 1 }))).length, 11, 'header + first 10');
});

test('a flavor of a kubernetes Cluster is counted and placed only on that cluster\'s nodes; local flavors keep their own labels', () => {
  const gpuNode = (name: string, labels: Record<string, string>) => obj('Node', name, { spec: { capacity: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': 2 } } }, { labels });
  const snapshot = (flavorSpec: Record<string, unknown>) => buildSnapshot({
    projects: [obj('Project', 'research', {})],
    resourceFlavors: [obj('ResourceFlavor', 'a100', { spec: flavorSpec })],
    clusterQueues: [obj('ClusterQueue', 'research', { spec: { projects: ['research'], resourceGroups: [{ coveredResources: ['cpu', 'nvidia.com/gpu'], flavors: [{ name: 'a100', resources: [{ name: 'cpu', nominalQuota: 16 }, { name: 'nvidia.com/gpu', nominalQuota: 4 }] }] }] } })],
    localQueues: [obj('LocalQueue', 'main', { spec: { clusterQueue: 'research' } }, { namespace: 'research' })],
    priorityClasses: [],
    // This machine has the same GPU label as the cluster's node: only the cluster label tells them apart.
    nodes: [gpuNode('this-machine', { 'nvidia.com/gpu.product': 'A100', 'capstan.dev/local': 'true' }), gpuNode('gpu.node-1', { 'nvidia.com/gpu.product': 'A100', 'capstan.dev/cluster': 'gpu' })],
    workloads: [obj('Workload', 'train', { spec: { queueName: 'main', podSets: [{ name: 'w', count: 2, requests: { cpu: '1', 'nvidia.com/gpu': 1 } }] } }, { namespace: 'research' })],
  });
  const onCluster = snapshot({ cluster: 'gpu', nodeLabels: { 'nvidia.com/gpu.product': 'A100' } });
  assert.deepEqual(onCluster.resourceFlavors[0].nodeLabels, { 'nvidia.com/gpu.product': 'A100', 'capstan.dev/cluster': 'gpu' });
  const placed = schedule(onCluster, Date.parse('2025-01-01T00:00:00Z')).admissions[0];
  assert.ok(placed, 'the workload is admitted');
  assert.deepEqual([...new Set(placed.admission.podSetAssignments[0].placements!.map((p) => p.node))], ['gpu.node-1']);

  // `local` (and no cluster) add nothing: the flavor's own labels decide, as before.
  assert.deepEqual(snapshot({ cluster: 'local', nodeLabels: { 'nvidia.com/gpu.product': 'A100' } }).resourceFlavors[0].nodeLabels, { 'nvidia.com/gpu.product': 'A100' });
  assert.equal(snapshot({}).resourceFlavors[0].nodeLabels, undefined);
  // A cluster with no node of the flavor: nothing is placed on this machine instead.
  const elsewhere = snapshot({ cluster: 'other', nodeLabels: { 'nvidia.com/gpu.product': 'A100' } });
  assert.equal(schedule(elsewhere, Date.parse('2025-01-01T00:00:00Z')).admissions.length, 0);
});
