// TrainingJobs on a kubernetes Cluster go through the queue like every job: the admitted flavor
// names the cluster; pods are created there only after admission, with the flavor's nodeSelector
// and tolerations, and nothing runs locally; an unadmitted job creates nothing; suspension and
// preemption delete the pods before the quota is given back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { KubeObject } from '../../src/api/meta.js';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import { WorkloadKind, isAdmitted, workloadPhase } from '../../src/queueing/index.js';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';
import { startTrainingPlatform, waitFor, type TrainingTestPlatform } from '../training/training-platform.js';
import { FakeKubeApi } from './fake-kube-api.js';

const V = 'capstan.dev/v1alpha1';
let fake: FakeKubeApi;
let tp: TrainingTestPlatform;
let dir: string;

const kind = (k: string) => tp.platform.client.kinds.find(k)!;
const create = (o: Record<string, unknown>) => tp.client.create(kind(String(o.kind)), o);
const job = (name: string) => tp.client.get(TrainingJobKind, 'default', name);
const phase = async (name: string) => ((await job(name)).status as { phase?: string } | undefined)?.phase;
const cond = (o: KubeObject, type: string) => (o.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions?.find((c) => c.type === type);
const podsOf = (uid: string) => fake.list('Pod').filter((p) => p.metadata.labels?.[LABELS.uid] === uid);
const localKeys = () => tp.runtime().keys();

function trainingJob(name: string, cpu: string, extra: { annotations?: Record<string, string>; priorityClassName?: string; replicas?: number } = {}): Record<string, unknown> {
  return {
    apiVersion: V, kind: 'TrainingJob',
    metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      queueName: 'on-x',
      ...(extra.priorityClassName ? { priorityClassName: extra.priorityClassName } : {}),
      // A command that would fail loudly if it ever ran on this machine.
      replicaSpecs: { Worker: { replicas: extra.replicas ?? 2, template: { image: 'trainer:1', command: ['/nonexistent/train'], resources: { cpu } } } },
    },
  };
}

/** Sets every pod of a job to a phase, as the kubelet would. */
function setPods(uid: string, podPhase: string): void {
  for (const p of podsOf(uid)) fake.put({ ...p, status: { phase: podPhase, containerStatuses: [{ name: p.spec.containers[0].name, ready: podPhase === 'Running', restartCount: 0, image: 'trainer:1', imageID: '', state: podPhase === 'Running' ? { running: {} } : { terminated: { exitCode: 0, reason: 'Completed' } } }] } });
}

before(async () => {
  fake = await new FakeKubeApi().start();
  dir = mkdtempSync(`${tmpdir()}/capstan-kplace-`);
  fake.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'g1', labels: { 'nvidia.com/gpu.product': 'NVIDIA-A100', 'pool.example.com/name': 'a100', 'cloud.example/zone-id': 'z1' } }, status: { allocatable: { cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '8' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  tp = await startTrainingPlatform();
  await create({
    apiVersion: V, kind: 'ResourceFlavor', metadata: { name: 'a100-x' },
    // The cluster label makes the scheduler core count only cluster x's nodes; it is not put on pods.
    // A label of the cluster's own (pool.example.com/name) is mirrored because a flavor selects on it.
    spec: { cluster: 'x', nodeLabels: { 'pool.example.com/name': 'a100', 'capstan.dev/cluster': 'x' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] },
  });
  await create({ apiVersion: V, kind: 'Cluster', metadata: { name: 'x' }, spec: { type: 'kubernetes', kubeconfig: { path: fake.writeKubeconfig(dir) }, image: 'capstan:test', registryUrl: 'http://capstan.test:8080' } });
  const node = await waitFor('cluster x nodes mirrored', () => tp.client.tryGet(kind('Node'), undefined, 'x.g1'));
  assert.equal(node.metadata.labels?.['pool.example.com/name'], 'a100', 'a label a flavor selects on is mirrored');
  assert.equal(node.metadata.labels?.['cloud.example/zone-id'], undefined, 'other labels are not');
  await create({
    apiVersion: V, kind: 'ClusterQueue', metadata: { name: 'x-queue' },
    spec: { preemption: { withinClusterQueue: 'LowerPriority' }, resourceGroups: [{ coveredResources: ['cpu'], flavors: [{ name: 'a100-x', resources: [{ name: 'cpu', nominalQuota: '4' }] }] }] },
  });
  await create({ apiVersion: V, kind: 'LocalQueue', metadata: { name: 'on-x', namespace: 'default' }, spec: { clusterQueue: 'x-queue' } });
  await create({ apiVersion: V, kind: 'WorkloadPriorityClass', metadata: { name: 'urgent' }, value: 1000 });
});

after(async () => {
  await tp?.stop();
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a job in a queue whose flavor names cluster x is queued, admitted, runs on x with the flavor\'s placement; nothing runs locally', async () => {
  await create(trainingJob('on-x', '1'));
  const wl = await waitFor('workload admitted', async () => { const w = await tp.client.tryGet(WorkloadKind, 'default', 'trainingjob-on-x'); return w && isAdmitted(w) ? w : undefined; });
  assert.equal((wl.status as { admission: { clusterQueue: string } }).admission.clusterQueue, 'x-queue');
  const j = await job('on-x');
  await waitFor('two pods on x', () => podsOf(j.metadata.uid).length === 2);
  for (const p of podsOf(j.metadata.uid)) {
    assert.deepEqual(p.spec.nodeSelector, { 'pool.example.com/name': 'a100' }, 'the flavor\'s node labels, without Capstan\'s cluster label');
    assert.deepEqual(p.spec.tolerations, [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.equal(p.spec.containers[0].image, 'trainer:1');
  }
  assert.ok(!localKeys().includes('default/on-x'), 'the local runtime does not launch it');
  const admitted = await waitFor('phase Admitted', async () => { const o = await job('on-x'); return (o.status as { phase?: string }).phase === 'Admitted' ? o : undefined; });
  assert.equal(cond(admitted, 'ClusterSynced')?.status, 'True');
  assert.equal(admitted.metadata.annotations?.['capstan.dev/placed-clusters'], 'x');
  setPods(j.metadata.uid, 'Running');
  await waitFor('phase Running', async () => (await phase('on-x')) === 'Running');
  setPods(j.metadata.uid, 'Succeeded');
  const done = await waitFor('phase Succeeded', async () => { const o = await job('on-x'); return (o.status as { phase?: string }).phase === 'Succeeded' ? o : undefined; });
  assert.deepEqual((done.status as { replicaStatuses: Record<string, { succeeded: number }> }).replicaStatuses.Worker.succeeded, 2);
  await waitFor('workload finished (quota freed)', async () => workloadPhase(await tp.client.get(WorkloadKind, 'default', 'trainingjob-on-x')) === 'Finished');
  assert.ok(!localKeys().includes('default/on-x'));
});

test('a job the queue does not admit creates nothing on the cluster', async () => {
  await create(trainingJob('too-big', '3', { replicas: 2 }));
  const wl = await waitFor('workload pending with a reason', async () => { const w = await tp.client.tryGet(WorkloadKind, 'default', 'trainingjob-too-big'); return (w?.status as { pending?: { reason: string } } | undefined)?.pending ? w : undefined; });
  assert.equal(workloadPhase(wl), 'Pending');
  await waitFor('phase Queued', async () => (await phase('too-big')) === 'Queued');
  const j = await job('too-big');
  assert.equal(podsOf(j.metadata.uid).length, 0);
  assert.equal(fake.all().filter((o) => o.metadata.labels?.[LABELS.uid] === j.metadata.uid).length, 0, 'no Service either');
  assert.ok(!localKeys().includes('default/too-big'));
  assert.equal(j.metadata.finalizers?.includes('capstan.dev/kubernetes-cleanup') ?? false, false, 'the kubernetes runtime never took it');
  await tp.client.delete(TrainingJobKind, 'default', 'too-big');
  await waitFor('too-big gone', async () => !(await tp.client.tryGet(TrainingJobKind, 'default', 'too-big')));
});

test('suspending a job running on x deletes its pods, then withdraws the workload; resuming runs it again', async () => {
  await create(trainingJob('pausable', '1', { replicas: 1 }));
  const j = await job('pausable');
  await waitFor('pod on x', () => podsOf(j.metadata.uid).length === 1);
  await tp.client.patch(TrainingJobKind, 'default', 'pausable', { spec: { runPolicy: { suspend: true } } });
  await waitFor('pods deleted', () => podsOf(j.metadata.uid).length === 0);
  await waitFor('phase Suspended', async () => (await phase('pausable')) === 'Suspended');
  assert.equal(await tp.client.tryGet(WorkloadKind, 'default', 'trainingjob-pausable'), undefined, 'the workload is withdrawn');
  await waitFor('nothing left on a cluster: finalizer and annotation dropped', async () => { const o = await job('pausable'); return !o.metadata.finalizers?.includes('capstan.dev/kubernetes-cleanup') && !o.metadata.annotations?.['capstan.dev/placed-clusters']; });
  await tp.client.patch(TrainingJobKind, 'default', 'pausable', { spec: { runPolicy: { suspend: false } } });
  await waitFor('pod on x again', () => podsOf(j.metadata.uid).length === 1);
  await tp.client.delete(TrainingJobKind, 'default', 'pausable');
  await waitFor('pausable gone with its pods', async () => !(await tp.client.tryGet(TrainingJobKind, 'default', 'pausable')) && podsOf(j.metadata.uid).length === 0);
});

test('preemption evicts a job on x: its pods are deleted before it is requeued; the preemptor runs on x', async () => {
  await create(trainingJob('low', '3', { replicas: 1 }));
  const low = await job('low');
  await waitFor('low pod on x', () => podsOf(low.metadata.uid).length === 1);
  // The pod takes its time to terminate (a finalizer the kubelet would hold while it drains).
  const pod = podsOf(low.metadata.uid)[0]!;
  fake.put({ ...pod, metadata: { ...pod.metadata, finalizers: ['test.example/draining'] } });
  await create(trainingJob('high', '3', { replicas: 1, priorityClassName: 'urgent' }));
  const high = await job('high');
  await waitFor('low pod terminating', () => podsOf(low.metadata.uid)[0]?.metadata.deletionTimestamp);
  const stopping = await waitFor('low reports it is stopping', async () => { const o = await job('low'); return /Stopping: .*still on cluster x/.test(cond(o, 'Queued')?.message ?? '') ? o : undefined; });
  assert.equal((stopping.status as { phase: string }).phase, 'Queued');
  assert.equal(workloadPhase(await tp.client.get(WorkloadKind, 'default', 'trainingjob-low')), 'Evicting', 'the quota stays held while the pod is still there');
  assert.equal(podsOf(high.metadata.uid).length, 0, 'the preemptor does not start beside it');
  fake.remove(podsOf(low.metadata.uid)[0]!);
  await waitFor('low pods deleted', () => podsOf(low.metadata.uid).length === 0);
  await waitFor('low requeued', async () => (await phase('low')) === 'Queued');
  await waitFor('high pod on x', () => podsOf(high.metadata.uid).length === 1);
  const wl = await tp.client.get(WorkloadKind, 'default', 'trainingjob-low');
  assert.equal(workloadPhase(wl), 'Pending');
  assert.ok(((wl.status as { requeueCount?: number }).requeueCount ?? 0) >= 1);
  assert.equal(podsOf(low.metadata.uid).length, 0, 'the evicted job has no pod while the other runs');
  for (const n of ['high', 'low']) await tp.client.delete(TrainingJobKind, 'default', n);
  await waitFor('jobs gone', async () => !(await tp.client.tryGet(TrainingJobKind, 'default', 'high')) && !(await tp.client.tryGet(TrainingJobKind, 'default', 'low')));
});

test('an annotation that disagrees with the admitted flavor is reported; the flavor\'s cluster wins', async () => {
  await create(trainingJob('conflicted', '1', { replicas: 1, annotations: { 'capstan.dev/cluster': 'elsewhere' } }));
  const j = await job('conflicted');
  await waitFor('pod on x', () => podsOf(j.metadata.uid).length === 1);
  const o = await waitFor('PlacementConflict', async () => { const x = await job('conflicted'); return cond(x, 'PlacementConflict')?.status === 'True' ? x : undefined; });
  assert.match(cond(o, 'PlacementConflict')!.message!, /capstan\.dev\/cluster=elsewhere disagrees with the admitted flavor a100-x, which is on cluster x/);
  assert.ok(!localKeys().includes('default/conflicted'));
  await tp.client.delete(TrainingJobKind, 'default', 'conflicted');
  await waitFor('conflicted gone', async () => !(await tp.client.tryGet(TrainingJobKind, 'default', 'conflicted')));
});

test('a flavor naming a cluster Capstan does not know: never admitted (it has no nodes there), nothing runs anywhere, the job says why', async () => {
  await create({ apiVersion: V, kind: 'ResourceFlavor', metadata: { name: 'ghost' }, spec: { cluster: 'nowhere' } });
  await create({ apiVersion: V, kind: 'ClusterQueue', metadata: { name: 'ghost-queue' }, spec: { resourceGroups: [{ coveredResources: ['cpu'], flavors: [{ name: 'ghost', resources: [{ name: 'cpu', nominalQuota: '1' }] }] }] } });
  await create({ apiVersion: V, kind: 'LocalQueue', metadata: { name: 'ghost', namespace: 'default' }, spec: { clusterQueue: 'ghost-queue' } });
  const body = trainingJob('lost', '100m', { replicas: 1 }) as { spec: { queueName: string } };
  body.spec.queueName = 'ghost';
  await create(body as unknown as Record<string, unknown>);
  const o = await waitFor('a pending reason naming the cluster', async () => {
    const x = await job('lost');
    return /capstan\.dev\/cluster=nowhere/.test(cond(x, 'Queued')?.message ?? '') ? x : undefined;
  });
  assert.equal(cond(o, 'Queued')?.reason, 'Inadmissible');
  assert.equal((o.status as { phase: string }).phase, 'Queued');
  assert.ok(!localKeys().includes('default/lost'), 'not run here either');
  assert.equal(podsOf(o.metadata.uid).length, 0);
  await tp.client.delete(TrainingJobKind, 'default', 'lost');
  await waitFor('lost gone', async () => !(await tp.client.tryGet(TrainingJobKind, 'default', 'lost')));
});
