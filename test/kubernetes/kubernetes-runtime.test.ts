// The runtime against the in-process fake API server: SSA with field manager capstan, owner
// references, status flowing back, scale, cleanup, and the failures a real cluster produces.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FakeKubeApi } from './fake-kube-api.js';
import { KubernetesRuntime } from '../../src/runtime/kubernetes/kubernetes-runtime.js';
import { KubeError } from '../../src/runtime/kubernetes/kube-errors.js';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';
import type { IsvcRevisionInput } from '../../src/runtime/kubernetes/inference-manifests.js';
import type { TrainingJobInput } from '../../src/runtime/kubernetes/training-manifests.js';

let fake: FakeKubeApi;
let dir: string;
let rt: KubernetesRuntime;

function runtime(token = 'good-token'): KubernetesRuntime {
  return KubernetesRuntime.forCluster('gpu', { type: 'kubernetes', kubeconfig: { path: fake.writeKubeconfig(dir, token, `kc-${token}`) }, probeIntervalSeconds: 30 }, 3000);
}

function node(name: string, labels: Record<string, string>, gpus: number, ready = true) {
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: gpus ? { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] } : {},
    status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110', ...(gpus ? { 'nvidia.com/gpu': String(gpus) } : {}) }, capacity: { cpu: '8', memory: '32Gi' }, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'KubeletReady' }] },
  };
}

before(async () => {
  fake = await new FakeKubeApi().start();
  dir = mkdtempSync(`${tmpdir()}/capstan-`);
  rt = runtime();
  fake.put(node('n1', { 'nvidia.com/gpu.product': 'NVIDIA-A100' }, 4));
  fake.put(node('n2', {}, 0));
  fake.put(node('n3', {}, 0, false));
  fake.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
});

after(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

const isvc: IsvcRevisionInput = { name: 'digits', namespace: 'team-a', uid: 'uid-isvc', revision: '00001', image: 'capstan:dev', modelUrl: 'http://capstan/m', replicas: 2, resources: { cpu: '1', memory: '1Gi' }, scaleMetric: 'cpu', maxReplicas: 4, ingress: {} };

test('probe: version, node count and allocatable summed over ready nodes', async () => {
  const h = await rt.probe();
  assert.equal(h.version, 'v1.31.0-fake');
  assert.equal(h.nodeCount, 3);
  assert.equal(h.readyNodes, 2);
  assert.equal(h.allocatable['nvidia.com/gpu'], '4');
  assert.equal(h.allocatable.cpu, '16');
});

test('applyInferenceRevision: server-side apply as "capstan", dependents owned by the Service, idempotent', async () => {
  const done = await rt.applyInferenceRevision(isvc);
  assert.deepEqual(done.map((d) => d.kind), ['Service', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress']);
  const applies = fake.requests.filter((r) => r.method === 'PATCH');
  assert.ok(applies.length >= 4);
  assert.ok(applies.every((r) => r.contentType === 'application/apply-patch+yaml' && r.fieldManager === 'capstan'));
  const svc = fake.get('v1', 'Service', 'team-a', 'digits')!;
  const dep = fake.get('apps/v1', 'Deployment', 'team-a', 'digits-00001')!;
  assert.equal(dep.metadata.ownerReferences[0].uid, svc.metadata.uid);
  assert.equal(dep.metadata.labels[LABELS.managedBy], 'capstan');
  const rv = dep.metadata.resourceVersion;
  await rt.applyInferenceRevision(isvc);
  assert.equal(fake.get('apps/v1', 'Deployment', 'team-a', 'digits-00001')!.metadata.resourceVersion, rv, 'a second identical apply changes nothing');
});

test('status flows back: ready replicas and a real failure reason (ImagePullBackOff) per revision', async () => {
  fake.setStatus('apps/v1', 'Deployment', 'team-a', 'digits-00001', { replicas: 2, readyReplicas: 1 });
  const dep = fake.get('apps/v1', 'Deployment', 'team-a', 'digits-00001')!;
  const labels = dep.spec.template.metadata.labels;
  // As the ReplicaSet controller would, the pod is owned (here directly) by its Deployment.
  const ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name, uid: dep.metadata.uid, controller: true }];
  fake.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'digits-00001-a', namespace: 'team-a', labels, ownerReferences }, spec: { containers: [{ name: 'model-server', image: 'capstan:dev' }] },
    status: { phase: 'Pending', containerStatuses: [{ name: 'model-server', ready: false, restartCount: 0, image: 'capstan:dev', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "capstan:dev"' } } }] } });
  const obs = await rt.observeInference('team-a', 'uid-isvc');
  assert.equal(obs.length, 1);
  assert.equal(obs[0]!.readyReplicas, 1);
  assert.equal(obs[0]!.desiredReplicas, 2);
  assert.equal(obs[0]!.failure?.reason, 'ImagePullBackOff');
  assert.match(obs[0]!.failure!.message, /Back-off pulling image/);
});

test('scale subresource sets replicas (what Capstan\'s concurrency autoscaler does)', async () => {
  await rt.scaleRevision('team-a', 'digits', '00001', 5);
  assert.equal(fake.get('apps/v1', 'Deployment', 'team-a', 'digits-00001')!.spec.replicas, 5);
});

test('watchStatus streams Deployment and Pod changes tied to their Capstan owner', async () => {
  const ac = new AbortController();
  const seen: string[] = [];
  const got = new Promise<void>((resolve) => {
    rt.watchStatus((e) => {
      if (e.kind === 'Deployment' && e.type === 'MODIFIED' && (e.object.status as { readyReplicas?: number })?.readyReplicas === 2) {
        seen.push(`${e.owner?.kind}/${e.owner?.name}`);
        resolve();
      }
    }, ac.signal);
  });
  // Give the watches a moment to connect, then change status as the deployment controller would.
  await new Promise((r) => setTimeout(r, 200));
  fake.setStatus('apps/v1', 'Deployment', 'team-a', 'digits-00001', { replicas: 2, readyReplicas: 2 });
  await got;
  ac.abort();
  assert.deepEqual(seen, ['InferenceService/digits']);
});

test('deleteOwned removes every object of the Capstan object; nothing of it is left', async () => {
  const before = fake.all().length;
  assert.equal(await rt.deleteOwned('uid-isvc', 'InferenceService'), 0);
  assert.equal(fake.all().filter((o) => o.metadata.labels?.[LABELS.uid] === 'uid-isvc').length, 0);
  assert.ok(fake.all().length < before);
  assert.ok(fake.get('v1', 'Namespace', undefined, 'team-a'), 'other objects stay');
});

const job: TrainingJobInput = { name: 'mnist', namespace: 'team-a', uid: 'uid-job', framework: 'pytorch', roles: [{ role: 'Master', replicas: 1, image: 'torch' }, { role: 'Worker', replicas: 2, image: 'torch' }] };

test('applyTrainingJob: headless Service + pods; phase from pods; OOMKilled is reported as such', async () => {
  await rt.applyTrainingJob(job);
  const pods = fake.list('Pod').filter((p) => p.metadata.labels?.[LABELS.uid] === 'uid-job');
  assert.equal(pods.length, 3);
  for (const p of pods) fake.setStatus('v1', 'Pod', 'team-a', p.metadata.name, { phase: 'Running' });
  let o = await rt.observeTraining('team-a', 'uid-job', 3);
  assert.equal(o.phase, 'Running');
  assert.equal(o.roles.worker?.active, 2);
  fake.setStatus('v1', 'Pod', 'team-a', 'mnist-worker-1', { phase: 'Failed', containerStatuses: [{ name: 'worker', ready: false, restartCount: 0, image: 'torch', imageID: '', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] });
  o = await rt.observeTraining('team-a', 'uid-job', 3);
  assert.equal(o.phase, 'Failed');
  assert.equal(o.failure?.reason, 'OOMKilled');
  assert.equal(await rt.deleteOwned('uid-job', 'TrainingJob'), 0);
  assert.equal(fake.list('Pod').filter((p) => p.metadata.labels?.[LABELS.uid] === 'uid-job').length, 0);
});

test('quota rejected mid-gang: the cluster\'s message, and no replica of the job left behind', async () => {
  fake.podQuota.set('team-a', 2);
  try {
    await assert.rejects(rt.applyTrainingJob({ ...job, uid: 'uid-q' }), (e: unknown) => e instanceof KubeError && e.failure.reason === 'QuotaExceeded' && /exceeded quota: capstan-quota/.test(e.message));
    assert.equal(fake.all().filter((o) => o.metadata.labels?.[LABELS.uid] === 'uid-q').length, 0, 'atomic: nothing leaked');
  } finally {
    fake.podQuota.delete('team-a');
  }
});

test('expired token → Unauthorized; RBAC forbidden → Forbidden with the cluster\'s message', async () => {
  await assert.rejects(runtime('expired-token').probe(), (e: unknown) => e instanceof KubeError && e.failure.reason === 'Unauthorized' && e.failure.code === 401);
  fake.forbidden.add('patch deployments');
  try {
    await assert.rejects(rt.applyInferenceRevision({ ...isvc, uid: 'uid-f' }), (e: unknown) => e instanceof KubeError && e.failure.reason === 'Forbidden' && /cannot patch resource "deployments" in API group "apps"/.test(e.message));
  } finally {
    fake.forbidden.clear();
  }
  await rt.deleteOwned('uid-f', 'InferenceService');
});

test('terminating namespace → NamespaceTerminating; missing namespace → NotFound', async () => {
  fake.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'going', deletionTimestamp: new Date().toISOString() }, status: { phase: 'Terminating' } });
  await assert.rejects(rt.applyInferenceRevision({ ...isvc, namespace: 'going', uid: 'uid-t' }), (e: unknown) => e instanceof KubeError && e.failure.reason === 'NamespaceTerminating' && /being terminated/.test(e.message));
  await assert.rejects(rt.applyInferenceRevision({ ...isvc, namespace: 'nowhere', uid: 'uid-n' }), (e: unknown) => e instanceof KubeError && e.failure.reason === 'NotFound' && /namespaces "nowhere" not found/.test(e.message));
  assert.equal(fake.all().filter((o) => ['uid-t', 'uid-n'].includes(o.metadata.labels?.[LABELS.uid])).length, 0);
});

test('a flavor naming no existing nodes is refused before anything is applied', async () => {
  await assert.rejects(rt.requireNodesFor({ 'nvidia.com/gpu.product': 'H100' }), (e: unknown) => e instanceof KubeError && e.failure.reason === 'NoMatchingNodes' && /nvidia.com\/gpu.product=H100/.test(e.message));
  assert.equal(await rt.requireNodesFor({ 'nvidia.com/gpu.product': 'NVIDIA-A100' }), 1);
});

test('server-side apply conflicts: another manager\'s field is taken over because Capstan applies with force', async () => {
  await rt.applyInferenceRevision({ ...isvc, uid: 'uid-c', name: 'conf', scaleMetric: 'concurrency', ingress: undefined });
  const d = fake.get('apps/v1', 'Deployment', 'team-a', 'conf-00001')!;
  assert.equal(d.spec.replicas, 2);
  // Someone else (kubectl) applies replicas without force: the fake reports the conflict as a real server does.
  const other = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'conf-00001', namespace: 'team-a' }, spec: { replicas: 7 } };
  const url = `${fake.url}/apis/apps/v1/namespaces/team-a/deployments/conf-00001?fieldManager=kubectl`;
  const res = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml', authorization: 'Bearer good-token' }, body: JSON.stringify(other) });
  assert.equal(res.status, 409);
  assert.match(((await res.json()) as { message: string }).message, /conflict with "capstan": \.spec\.replicas/);
  assert.equal((await fetch(`${url}&force=true`, { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml', authorization: 'Bearer good-token' }, body: JSON.stringify(other) })).status, 200);
  assert.equal(fake.get('apps/v1', 'Deployment', 'team-a', 'conf-00001')!.spec.replicas, 7);
  await rt.applyInferenceRevision({ ...isvc, uid: 'uid-c', name: 'conf', replicas: 3, scaleMetric: 'concurrency', ingress: undefined });
  assert.equal(fake.get('apps/v1', 'Deployment', 'team-a', 'conf-00001')!.spec.replicas, 3);
  await rt.deleteOwned('uid-c');
});

test('unreachable cluster → ClusterUnreachable naming the call', async () => {
  const dead = KubernetesRuntime.forCluster('dead', { type: 'kubernetes', kubeconfig: { data: Buffer.from(`apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters: [{name: x, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: u}}]\n`).toString('base64') }, probeIntervalSeconds: 30 }, 3000);
  await assert.rejects(dead.probe(), (e: unknown) => e instanceof KubeError && e.failure.reason === 'ClusterUnreachable' && e.failure.retryable);
});

test('a kubeconfig that cannot be loaded is a ConfigError naming the field', () => {
  assert.throws(() => KubernetesRuntime.forCluster('x', { type: 'kubernetes', kubeconfig: { path: `${dir}/missing` }, probeIntervalSeconds: 30 }), (e: unknown) => e instanceof KubeError && e.failure.reason === 'ConfigError' && /spec\.kubeconfig\.path/.test(e.message) && !e.failure.retryable);
});
