// End to end on a real platform: defaults on a fresh install, admission within quota, cohort
// borrowing, pending reasons and positions, reclaim and priority preemption with conditions and
// events, ResourceQuota → project default queue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/meta.js';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import { EventKind } from '../../src/api/kinds/event.js';
import { objectsTable } from '../../src/cli/output.js';
import { ClusterQueueKind, LocalQueueKind, NodeKind, ResourceFlavorKind, WorkloadKind, isAdmitted, workloadPendingMessage, workloadPhase } from '../../src/queueing/index.js';
import type { ClusterQueueStatus } from '../../src/api/kinds/cluster-queue.js';
import type { WorkloadStatus } from '../../src/api/kinds/workload.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import * as F from './queueing-fixtures.js';

let tp: TestPlatform;
const kinds = builtinKindRegistry();
const PREEMPT = { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'Any' };

before(async () => {
  tp = await startTestPlatform();
});
after(async () => {
  await tp?.stop();
});

async function create(o: Record<string, unknown>): Promise<KubeObject> {
  const kind = kinds.find(String(o.kind));
  assert.ok(kind);
  return tp.client.create(kind, o);
}
const wl = (ns: string, name: string) => tp.client.get(WorkloadKind, ns, name);
const st = (o: KubeObject) => (o.status ?? {}) as WorkloadStatus;
const cond = (o: KubeObject, type: string) => st(o).conditions?.find((c) => c.type === type);

test('a fresh platform has the default flavor, ClusterQueue, LocalQueue and a Ready local node', async () => {
  const flavor = await tp.client.get(ResourceFlavorKind, undefined, 'default-flavor');
  assert.equal(flavor.kind, 'ResourceFlavor');
  const lq = await tp.client.get(LocalQueueKind, 'default', 'default');
  assert.equal((lq.spec as { clusterQueue: string }).clusterQueue, 'default');
  const nodes = (await tp.client.list(NodeKind)).items;
  const local = nodes.find((n) => n.metadata.labels?.['capstan.dev/local'] === 'true');
  assert.ok(local, 'local node registered');
  assert.equal((local.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')?.status, 'True');
  const cq = await F.waitFor('default ClusterQueue status', async () => {
    const o = await tp.client.get(ClusterQueueKind, undefined, 'default');
    return (o.status as ClusterQueueStatus | undefined)?.usage ? o : undefined;
  });
  const cpu = (cq.status as ClusterQueueStatus).usage?.find((r) => r.resource === 'cpu');
  assert.equal(cpu?.nominalQuota, (local.spec as { capacity: { cpu: string } }).capacity.cpu, 'quota = this machine');
  // A workload without a queue goes to the default queue and is admitted on this machine.
  await create({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Workload', metadata: { name: 'tiny', namespace: 'default' }, spec: { podSets: [{ requests: { cpu: '100m', memory: '64Mi' } }] } });
  const tiny = await F.waitFor('tiny admitted', async () => { const o = await wl('default', 'tiny'); return isAdmitted(o) ? o : undefined; });
  assert.equal(st(tiny).admission?.clusterQueue, 'default');
  assert.equal(st(tiny).admission?.podSetAssignments[0].placements?.[0].node, local.metadata.name);
});

test('cohort borrowing, pending reasons and positions, reclaim and priority preemption', async () => {
  for (const o of [
    F.project('research'), F.project('prod'), F.staticNode('gpu-a', 4, 'A100'), F.staticNode('gpu-b', 4, 'A100'), F.gpuFlavor('a100', 'A100'),
    F.clusterQueue('research', { flavor: 'a100', cpu: '16', memory: '64Gi', gpu: 4, cohort: 'lab', projects: ['research'], preemption: PREEMPT }),
    F.clusterQueue('prod', { flavor: 'a100', cpu: '16', memory: '64Gi', gpu: 4, cohort: 'lab', projects: ['prod'], preemption: PREEMPT }),
    F.localQueue('research', 'main', 'research'), F.localQueue('prod', 'main', 'prod'), F.priorityClass('high', 1000), F.priorityClass('low', 10),
  ]) await create(o);

  // Four 2-GPU workloads: two within research's quota, two borrowing prod's idle quota.
  for (const n of ['r1', 'r2', 'r3', 'r4']) await create(F.gpuWorkload('research', n, 'main', 2, { priorityClassName: 'low' }));
  await F.waitFor('r1..r4 admitted', async () => (await Promise.all(['r1', 'r2', 'r3', 'r4'].map((n) => wl('research', n)))).every(isAdmitted));
  for (const n of ['r5', 'r6']) await create(F.gpuWorkload('research', n, 'main', 2, { priorityClassName: 'low' }));
  const r6 = await F.waitFor('r6 pending at position 2', async () => { const o = await wl('research', 'r6'); return st(o).pending?.position === 2 ? o : undefined; });
  assert.equal(st(r6).pending?.reason, 'QuotaExceeded');
  assert.match(st(r6).pending?.message ?? '', /nvidia\.com\/gpu.*research/);
  assert.equal(cond(r6, 'QuotaReserved')?.status, 'False');
  assert.equal(st(await wl('research', 'r5')).pending?.position, 1);
  assert.match(workloadPendingMessage(r6), /^Pending in ClusterQueue research \(position 2\): /);

  const cq = await F.waitFor('research usage shows borrowing', async () => {
    const o = await tp.client.get(ClusterQueueKind, undefined, 'research');
    const gpu = (o.status as ClusterQueueStatus | undefined)?.usage?.find((r) => r.resource === 'nvidia.com/gpu');
    return gpu?.used === '8' && (o.status as ClusterQueueStatus | undefined)?.pendingTable?.length === 3 ? o : undefined;
  });
  const gpuRow = (cq.status as ClusterQueueStatus).usage?.find((r) => r.resource === 'nvidia.com/gpu');
  assert.deepEqual([gpuRow?.nominalQuota, gpuRow?.borrowed], ['4', '4']);
  assert.equal((cq.status as ClusterQueueStatus).pendingWorkloads, 2);
  // `capstan describe clusterqueue research` shows usage vs quota vs borrowed, then the head of the queue.
  const cqStatus = cq.status as ClusterQueueStatus;
  assert.match(cqStatus.usageTable?.[0] ?? '', /^FLAVOR\s+RESOURCE\s+USED\s+QUOTA\s+BORROWED/);
  assert.ok(cqStatus.usageTable?.some((l) => /^a100\s+nvidia\.com\/gpu\s+8\s+4\s+4\b/.test(l)), cqStatus.usageTable?.join('\n'));
  assert.match(cqStatus.pendingTable?.[0] ?? '', /^POSITION\s+WORKLOAD\s+REASON\s+ESTIMATED START$/);
  assert.match(cqStatus.pendingTable?.[1] ?? '', /^1\s+research\/r5\s+QuotaExceeded\b/);
  assert.match(cqStatus.pendingTable?.[2] ?? '', /^2\s+research\/r6\s+QuotaExceeded\b/);

  // `capstan get workloads` columns.
  const table = objectsTable(WorkloadKind, (await tp.client.list(WorkloadKind, { namespace: 'research' })).items, {});
  assert.match(table.split('\n')[0], /NAME\s+QUEUE\s+ADMITTED BY\s+STATUS\s+POSITION\s+REASON/);
  assert.match(table, /r6\s+main\s+Pending\s+2\s+QuotaExceeded/);
  assert.match(table, /r1\s+main\s+research\s+Admitted/);

  // prod reclaims its lent quota: two borrowing research workloads are preempted.
  await create(F.gpuWorkload('prod', 'p1', 'main', 2, { priorityClassName: 'low', count: 2 }));
  const p1 = await F.waitFor('p1 admitted', async () => { const o = await wl('prod', 'p1'); return isAdmitted(o) ? o : undefined; });
  assert.equal(st(p1).admission?.podSetAssignments[0].placements?.length, 2);
  const research = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((n) => wl('research', n)));
  const reclaimed = research.filter((o) => cond(o, 'Preempted')?.status === 'True');
  assert.equal(reclaimed.length, 2, 'exactly the borrowed quota is reclaimed');
  for (const v of reclaimed) {
    assert.equal(cond(v, 'Preempted')?.reason, 'InCohortReclamation');
    assert.match(cond(v, 'Evicted')?.message ?? '', /Preempted by prod\/p1/);
    assert.equal(workloadPhase(v), 'Pending', 'an unowned victim goes straight back to its queue');
    assert.equal(st(v).requeueCount, 1);
  }
  const events = (await tp.client.list(EventKind, { namespace: 'research' })).items;
  for (const v of reclaimed) {
    const ev = events.find((e) => (e.involvedObject as { name: string }).name === v.metadata.name && e.reason === 'Preempted');
    assert.ok(ev, `Preempted event on ${v.metadata.name}`);
    assert.equal(ev.type, 'Warning');
    assert.match(String(ev.message), /prod\/p1/);
  }

  // A high-priority workload in research preempts a low one in the same ClusterQueue.
  await create(F.gpuWorkload('research', 'urgent', 'main', 2, { priorityClassName: 'high' }));
  const urgent = await F.waitFor('urgent admitted', async () => { const o = await wl('research', 'urgent'); return isAdmitted(o) ? o : undefined; });
  assert.equal(st(urgent).priority, 1000);
  const after = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((n) => wl('research', n)));
  const victims = after.filter((o) => cond(o, 'Preempted')?.reason === 'InClusterQueue' && cond(o, 'Preempted')?.status === 'True');
  assert.equal(victims.length, 1);
  assert.match(cond(victims[0], 'Preempted')?.message ?? '', /research\/urgent/);
  assert.equal(after.filter(isAdmitted).length, 1, 'research holds its nominal 4 GPUs: urgent + one low workload');
});

test('a ResourceQuota applied as a ClusterQueue bounds its project through the default LocalQueue', async () => {
  await create(F.project('team-q'));
  const { object } = await tp.client.apply(ClusterQueueKind, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'team-q-quota', namespace: 'team-q' }, spec: { hard: { 'requests.cpu': '1', 'requests.memory': '1Gi' } } });
  assert.equal(object.kind, 'ClusterQueue');
  const lq = await F.waitFor('team-q default LocalQueue', () => tp.client.tryGet(LocalQueueKind, 'team-q', 'default'));
  assert.equal((lq.spec as { clusterQueue: string }).clusterQueue, 'team-q-quota');
  await create({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Workload', metadata: { name: 'big', namespace: 'team-q' }, spec: { podSets: [{ requests: { cpu: '2' } }] } });
  const big = await F.waitFor('big pending', async () => { const o = await wl('team-q', 'big'); return st(o).pending ? o : undefined; });
  assert.equal(st(big).pending?.reason, 'Inadmissible');
  assert.match(st(big).pending?.message ?? '', /team-q-quota/);
});
