// Issue 19: the same objects behave on a cluster as they do locally. The whole platform drives
// the fake API server, whose pods a fake kubelet runs as real processes. Each test names the
// point it covers; each fails on the code before its fix. Also issue 13 point 7: Project members
// as RoleBindings, and namespaces Capstan did not create are never adopted or deleted uninvited.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { KubeObject } from '../../src/api/meta.js';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import { inferenceRevisionManifests } from '../../src/runtime/kubernetes/inference-manifests.js';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';
import { trainingJobManifests } from '../../src/runtime/kubernetes/training-manifests.js';
import { startTrainingPlatform, waitFor, type TrainingTestPlatform } from '../training/training-platform.js';
import { FakeKubeApi } from './fake-kube-api.js';
import { FakeKubelet } from './fake-kubelet.js';

const V = 'capstan.dev/v1alpha1';
const NODE = process.execPath;
let fake: FakeKubeApi;
let kubelet: FakeKubelet;
let tp: TrainingTestPlatform;
let dir: string;
let kubeconfig: string;

const kind = (k: string) => tp.platform.client.kinds.find(k)!;
const create = (o: Record<string, unknown>) => tp.client.create(kind(String(o.kind)), o);
const get = (k: string, ns: string | undefined, name: string) => tp.client.tryGet(kind(k), ns, name);
const cond = (o: KubeObject | undefined, type: string) => (o?.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions?.find((c) => c.type === type);
const ownedBy = (uid: string, k?: string) => fake.all().filter((o) => o.metadata.labels?.[LABELS.uid] === uid && (!k || o.kind === k));

before(async () => {
  fake = await new FakeKubeApi().start();
  kubelet = new FakeKubelet(fake);
  dir = mkdtempSync(`${tmpdir()}/capstan-parity-`);
  kubeconfig = fake.writeKubeconfig(dir);
  fake.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'g1', labels: { 'pool.example.com/name': 'a100' } }, status: { allocatable: { cpu: '16', memory: '64Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  tp = await startTrainingPlatform();
  await create({ apiVersion: V, kind: 'ResourceFlavor', metadata: { name: 'on-x' }, spec: { cluster: 'x', nodeLabels: { 'capstan.dev/cluster': 'x' } } });
  await create({ apiVersion: V, kind: 'ResourceFlavor', metadata: { name: 'here' }, spec: {} });
  await create({ apiVersion: V, kind: 'Cluster', metadata: { name: 'x' }, spec: { type: 'kubernetes', kubeconfig: { path: kubeconfig }, image: 'capstan:test', registryUrl: 'http://capstan.test:8080' } });
  await waitFor('cluster x nodes mirrored', () => get('Node', undefined, 'x.g1'));
  // This machine's capacity (flavor "here") sits beside the cluster's in one ClusterQueue.
  await create({
    apiVersion: V, kind: 'ClusterQueue', metadata: { name: 'mixed' },
    spec: { resourceGroups: [{ coveredResources: ['cpu'], flavors: [{ name: 'on-x', resources: [{ name: 'cpu', nominalQuota: '4' }] }, { name: 'here', resources: [{ name: 'cpu', nominalQuota: '2' }] }] }] },
  });
  await create({ apiVersion: V, kind: 'LocalQueue', metadata: { name: 'q', namespace: 'default' }, spec: { clusterQueue: 'mixed' } });
});

after(async () => {
  kubelet?.stop();
  await tp?.stop();
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function job(name: string, roles: Record<string, { replicas: number; script: string }>): Record<string, unknown> {
  return {
    apiVersion: V, kind: 'TrainingJob', metadata: { name, namespace: 'default' },
    spec: { queueName: 'q', framework: 'pytorch', replicaSpecs: Object.fromEntries(Object.entries(roles).map(([r, x]) => [r, { replicas: x.replicas, template: { image: 'node:20', command: [NODE, '-e', x.script], resources: { cpu: '1' } } }])) },
  };
}

test('point 1: every container Capstan writes declares requests and limits (init containers too)', () => {
  const isvc = inferenceRevisionManifests({ name: 'd', namespace: 'n', uid: 'u', revision: 'r1', image: 'i', modelUrl: 'http://m', replicas: 1 });
  const tj = trainingJobManifests({ name: 'j', namespace: 'n', uid: 'u2', framework: 'generic', roles: [{ role: 'Worker', replicas: 1, image: 'i' }] });
  const containers = [
    ...(isvc.dependents.find((m) => m.kind === 'Deployment') as any).spec.template.spec.initContainers,
    ...(isvc.dependents.find((m) => m.kind === 'Deployment') as any).spec.template.spec.containers,
    ...tj.dependents.flatMap((p: any) => p.spec.containers),
  ];
  assert.equal(containers.length, 3);
  for (const c of containers) {
    assert.ok(c.resources?.requests?.cpu && c.resources?.requests?.memory, `${c.name} requests cpu and memory`);
    assert.ok(c.resources?.limits?.memory, `${c.name} has a memory limit`);
  }
});

test('point 2: a project\'s ResourceQuota on a cluster is its queues\' quota on that cluster\'s flavors, and follows changes at once', async () => {
  const quota = await waitFor('capstan-quota on x', () => fake.get('v1', 'ResourceQuota', 'default', 'capstan-quota'));
  assert.equal(quota.spec.hard['requests.cpu'], '4', 'the flavor on x, never this machine\'s 2 CPUs');
  const cq = (await get('ClusterQueue', undefined, 'mixed'))!;
  const spec = structuredClone(cq.spec) as { resourceGroups: { flavors: { name: string; resources: { nominalQuota: string }[] }[] }[] };
  spec.resourceGroups[0]!.flavors[0]!.resources[0]!.nominalQuota = '6';
  await tp.client.update(kind('ClusterQueue'), { ...cq, spec });
  // Without a watch on queues this waited for the 5-minute resync.
  await waitFor('quota 6 on x', () => fake.get('v1', 'ResourceQuota', 'default', 'capstan-quota')?.spec.hard['requests.cpu'] === '6', 5000);
});

test('points 1 and 7: in a namespace with a quota the gang starts; when a worker fails, the master still running is stopped as locally', async () => {
  await waitFor('capstan-quota on x', () => fake.get('v1', 'ResourceQuota', 'default', 'capstan-quota'));
  await create(job('half-fails', { Master: { replicas: 1, script: 'setInterval(()=>{},1000)' }, Worker: { replicas: 1, script: 'setTimeout(()=>process.exit(1),300)' } }));
  const j = (await get('TrainingJob', 'default', 'half-fails'))!;
  const failed = await waitFor('job Failed', async () => { const o = await get('TrainingJob', 'default', 'half-fails'); return (o?.status as { phase?: string } | undefined)?.phase === 'Failed' ? o : undefined; }, 30_000);
  assert.match(cond(failed, 'Failed')!.message!, /Worker 0/);
  await waitFor('the master pod deleted', () => !fake.get('v1', 'Pod', 'default', 'half-fails-master-0'), 10_000);
  assert.equal(fake.get('v1', 'Pod', 'default', 'half-fails-worker-0')?.status?.phase, 'Failed', 'the failed pod stays for its logs');
  await tp.client.delete(TrainingJobKind, 'default', 'half-fails');
  await waitFor('job gone with its pods', async () => !(await get('TrainingJob', 'default', 'half-fails')) && ownedBy(j.metadata.uid, 'Pod').length === 0);
});

test('point 1: pods the cluster refuses to create show on the service with the apiserver\'s message', async () => {
  await create({ apiVersion: V, kind: 'InferenceService', metadata: { name: 'quota-hit', namespace: 'default', annotations: { 'capstan.dev/cluster': 'x' } }, spec: { predictor: { storageUri: 'http://127.0.0.1:9/m.onnx' } } });
  const dep = await waitFor('Deployment', () => fake.list('Deployment').find((d) => d.metadata.labels[LABELS.name] === 'quota-hit'));
  // What the Deployment controller reports when the ReplicaSet's pod creation is refused.
  fake.setStatus('apps/v1', 'Deployment', 'default', dep.metadata.name, { replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "quota-hit-x" is forbidden: failed quota: capstan-quota: must specify requests.cpu for: fetch-model' }] });
  const o = await waitFor('Ready False, FailedCreate', async () => { const s = await get('InferenceService', 'default', 'quota-hit'); return cond(s, 'Ready')?.reason === 'FailedCreate' ? s : undefined; }, 15_000);
  assert.match(cond(o, 'Ready')!.message!, /failed quota: capstan-quota: must specify requests\.cpu/);
  await tp.client.delete(kind('InferenceService'), 'default', 'quota-hit');
});

test('points 5 and 6: spec.ingress applies to a running service; changing scaling bounds scales the same pods instead of a new revision', async () => {
  await create({ apiVersion: V, kind: 'InferenceService', metadata: { name: 'web', namespace: 'default', annotations: { 'capstan.dev/cluster': 'x' } }, spec: { ingress: { host: 'web.example.com' }, predictor: { storageUri: 'http://127.0.0.1:9/m.onnx', scaleMetric: 'cpu', minReplicas: 1, maxReplicas: 2 } } });
  const ing = await waitFor('Ingress', () => fake.get('networking.k8s.io/v1', 'Ingress', 'default', 'web'));
  assert.equal(ing.spec.rules[0].host, 'web.example.com');
  const deps = () => fake.list('Deployment').filter((d) => d.metadata.labels[LABELS.name] === 'web');
  await waitFor('one Deployment', () => deps().length === 1);
  const first = deps()[0]!.metadata.name;
  const cur = (await get('InferenceService', 'default', 'web'))!;
  const spec = structuredClone(cur.spec) as { predictor: { maxReplicas: number } };
  spec.predictor.maxReplicas = 5;
  await tp.client.update(kind('InferenceService'), { ...cur, spec });
  await waitFor('HPA max 5', () => fake.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'default', first)?.spec.maxReplicas === 5, 10_000);
  assert.deepEqual(deps().map((d) => d.metadata.name), [first], 'the same Deployment: no new revision, no rolled pods');
  await tp.client.delete(kind('InferenceService'), 'default', 'web');
  await waitFor('web gone', async () => !(await get('InferenceService', 'default', 'web')));
});

test('point 10: mirrored Nodes follow the cluster\'s node conditions; a deleted Cluster\'s Nodes go', async () => {
  const n = fake.get('v1', 'Node', undefined, 'g1')!;
  fake.put({ ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down' }] } });
  const mirrored = await waitFor('x.g1 NotReady', async () => { const o = await get('Node', undefined, 'x.g1'); return cond(o, 'Ready')?.status === 'False' ? o : undefined; }, 10_000);
  assert.equal(cond(mirrored, 'Ready')!.reason, 'KubeletNotReady');
  fake.put({ ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True' }] } });
  await waitFor('x.g1 Ready again', async () => cond(await get('Node', undefined, 'x.g1'), 'Ready')?.status === 'True', 10_000);
  await create({ apiVersion: V, kind: 'Cluster', metadata: { name: 'y' }, spec: { type: 'kubernetes', kubeconfig: { path: kubeconfig } } });
  await waitFor('y.g1 mirrored', () => get('Node', undefined, 'y.g1'));
  await tp.client.delete(kind('Cluster'), undefined, 'y');
  await waitFor('y.g1 removed', async () => !(await get('Node', undefined, 'y.g1')), 10_000);
  assert.ok(await get('Node', undefined, 'x.g1'), 'other clusters\' Nodes stay');
});

test('issue 13 point 7: members become RoleBindings; a removed member\'s binding goes', async () => {
  await create({ apiVersion: V, kind: 'Project', metadata: { name: 'team-m' }, spec: { members: [{ user: 'alice', role: 'viewer' }, { group: 'ml', role: 'editor' }] } });
  const viewer = await waitFor('viewer binding', () => fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-m', 'capstan-viewer'));
  await waitFor('editor binding', () => fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-m', 'capstan-editor'));
  assert.deepEqual(viewer.subjects, [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }]);
  assert.deepEqual(viewer.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'capstan-viewer' });
  assert.deepEqual(fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-m', 'capstan-editor')!.subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'ml' }]);
  assert.equal(fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-m', 'capstan-admin'), undefined, 'no members, no binding');
  const p = (await get('Project', undefined, 'team-m'))!;
  await tp.client.update(kind('Project'), { ...p, spec: { ...(p.spec as object), members: [{ group: 'ml', role: 'editor' }] } });
  await waitFor('alice\'s binding deleted', () => !fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-m', 'capstan-viewer'), 10_000);
  assert.ok(fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'team-m', 'capstan-editor'));
});

test('issue 13 point 7: a namespace Capstan did not create is refused unless adopted, and is never deleted with the project', async () => {
  fake.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy', labels: { team: 'old' } } });
  fake.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'precious', namespace: 'legacy' }, stringData: { a: '1' } });
  await create({ apiVersion: V, kind: 'Project', metadata: { name: 'legacy' }, spec: { members: [{ user: 'bob', role: 'admin' }] } });
  const refused = await waitFor('NamespaceNotOwned', async () => { const o = await get('Project', undefined, 'legacy'); return cond(o, 'ClusterSynced')?.reason === 'NamespaceNotOwned' ? o : undefined; });
  assert.equal(cond(refused, 'ClusterSynced')!.status, 'False');
  assert.match(cond(refused, 'ClusterSynced')!.message!, /already exists on cluster x and Capstan did not create it; set spec\.adoptNamespace: true/);
  assert.deepEqual(fake.get('v1', 'Namespace', undefined, 'legacy')!.metadata.labels, { team: 'old' }, 'not labelled');
  assert.equal(fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'legacy', 'capstan-admin'), undefined, 'nothing written into it');
  const p = (await get('Project', undefined, 'legacy'))!;
  await tp.client.update(kind('Project'), { ...p, spec: { ...(p.spec as object), adoptNamespace: true } });
  await waitFor('roles in the adopted namespace', () => fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'legacy', 'capstan-admin'), 10_000);
  await waitFor('NamespaceReady Adopted', async () => cond(await get('Project', undefined, 'legacy'), 'NamespaceReady')?.reason === 'Adopted');
  assert.deepEqual(fake.get('v1', 'Namespace', undefined, 'legacy')!.metadata.labels, { team: 'old' }, 'still not labelled');
  await tp.client.delete(kind('Project'), undefined, 'legacy');
  await waitFor('project gone', async () => !(await get('Project', undefined, 'legacy')), 20_000);
  assert.ok(fake.get('v1', 'Namespace', undefined, 'legacy'), 'the namespace stays');
  assert.ok(fake.get('v1', 'Secret', 'legacy', 'precious'), 'and what was in it');
  assert.equal(fake.get('rbac.authorization.k8s.io/v1', 'RoleBinding', 'legacy', 'capstan-admin'), undefined, 'what Capstan added there is gone');
  assert.equal(fake.get('rbac.authorization.k8s.io/v1', 'Role', 'legacy', 'capstan-admin'), undefined);
});
