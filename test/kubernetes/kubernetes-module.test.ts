// The whole platform driving the fake cluster: the local Cluster, a kubernetes Cluster's health
// and nodes, objects mirrored with SSA, status and failures flowing back, cleanup on delete.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FakeKubeApi } from './fake-kube-api.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';

let fake: FakeKubeApi;
let tp: TestPlatform;
let dir: string;

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const kinds = () => tp.platform.client.kinds;
const get = (kind: string, ns: string | undefined, name: string) => tp.platform.client.tryGet(kinds().find(kind)!, ns, name);

before(async () => {
  fake = await new FakeKubeApi().start();
  dir = mkdtempSync(`${tmpdir()}/capstan-`);
  fake.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'nvidia.com/gpu.product': 'NVIDIA-A100', 'cloud.example/zone-id': 'z1' } }, spec: { taints: [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }] }, status: { allocatable: { cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '8' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  fake.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' }, status: { allocatable: { cpu: '8', memory: '32Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  tp = await startTestPlatform();
});

after(async () => {
  await tp.stop();
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a local Cluster is always present', async () => {
  const local = await until('local cluster ready', async () => { const c = await get('Cluster', undefined, 'local'); return (c?.status as { reachable?: boolean } | undefined)?.reachable ? c : undefined; });
  assert.equal((local.spec as { type: string }).type, 'local');
});

test('a kubernetes Cluster reports version, nodes and allocatable; its nodes become Capstan Nodes', async () => {
  await tp.client.create(kinds().find('Cluster')!, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'gpu' }, spec: { type: 'kubernetes', kubeconfig: { path: fake.writeKubeconfig(dir) }, image: 'capstan:test', registryUrl: 'http://capstan.test:8080' } });
  const c = await until('gpu cluster reachable', async () => { const o = await get('Cluster', undefined, 'gpu'); return (o?.status as { reachable?: boolean } | undefined)?.reachable ? o : undefined; });
  const st = c.status as { version: string; nodeCount: number; allocatable: Record<string, string> };
  assert.equal(st.version, 'v1.31.0-fake');
  assert.equal(st.nodeCount, 2);
  assert.equal(st.allocatable['nvidia.com/gpu'], '8');
  const node = await until('node mirrored', () => get('Node', undefined, 'gpu.n1'));
  assert.equal(node.metadata.labels?.['nvidia.com/gpu.product'], 'NVIDIA-A100');
  assert.equal(node.metadata.labels?.['cloud.example/zone-id'], undefined, 'unneeded cloud labels are not copied');
  assert.deepEqual((node.spec as { taints: unknown[]; cluster: string }).taints, [{ key: 'nvidia.com/gpu', effect: 'NoSchedule' }]);
  await until('node status', async () => ((await get('Node', undefined, 'gpu.n1'))?.status as { allocatable?: Record<string, string> } | undefined)?.allocatable?.['nvidia.com/gpu'] === '8' || undefined);
});

test('an expired token shows on the Cluster as Unauthorized with the cluster\'s message', async () => {
  await tp.client.create(kinds().find('Cluster')!, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'expired' }, spec: { type: 'kubernetes', kubeconfig: { path: fake.writeKubeconfig(dir, 'expired', 'kc-expired') } } });
  const c = await until('expired cluster condition', async () => { const o = await get('Cluster', undefined, 'expired'); return (o?.status as { reachable?: boolean } | undefined)?.reachable === false ? o : undefined; });
  const ready = (c.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions.find((x) => x.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'Unauthorized');
  await tp.client.delete(kinds().find('Cluster')!, undefined, 'expired');
});

test('WorkloadPriorityClass and Project are mirrored (PriorityClass, Namespace with Roles)', async () => {
  await tp.client.create(kinds().find('WorkloadPriorityClass')!, { apiVersion: 'capstan.dev/v1alpha1', kind: 'WorkloadPriorityClass', metadata: { name: 'high' }, value: 1000 });
  const pc = await until('PriorityClass', () => fake.get('scheduling.k8s.io/v1', 'PriorityClass', undefined, 'high'));
  assert.equal(pc.value, 1000);
  assert.equal(pc.metadata.labels[LABELS.managedBy], 'capstan');
  await tp.client.create(kinds().find('Project')!, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'team-a' }, spec: {} });
  await until('Namespace', () => fake.get('v1', 'Namespace', undefined, 'team-a'));
  await until('Role', () => fake.get('rbac.authorization.k8s.io/v1', 'Role', 'team-a', 'capstan-editor'));
});

test('an InferenceService annotated for the cluster runs there; failures flow back; delete removes everything', async () => {
  const isvcKind = kinds().find('InferenceService')!;
  await tp.client.create(isvcKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'digits', namespace: 'team-a', annotations: { 'capstan.dev/cluster': 'gpu' } }, spec: { predictor: { storageUri: 'http://127.0.0.1:9/digits.onnx', minReplicas: 1, maxReplicas: 2, scaleMetric: 'cpu' } } });
  const dep = await until('Deployment', () => fake.list('Deployment').find((d) => d.metadata.labels[LABELS.name] === 'digits'));
  assert.equal(dep.spec.template.spec.containers[0].image, 'capstan:test');
  await until('HPA', () => fake.list('HorizontalPodAutoscaler').find((h) => h.metadata.labels[LABELS.name] === 'digits'));
  const obj = (await get('InferenceService', 'team-a', 'digits'))!;
  assert.ok(obj.metadata.finalizers?.includes('capstan.dev/kubernetes-cleanup'));
  // The kubelet cannot pull the image: the reason reaches the InferenceService.
  fake.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'digits-x', namespace: 'team-a', labels: dep.spec.template.metadata.labels, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata.name, uid: dep.metadata.uid }] }, spec: { containers: [{ name: 'model-server', image: 'capstan:test' }] }, status: { phase: 'Pending', containerStatuses: [{ name: 'model-server', ready: false, restartCount: 0, image: 'capstan:test', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "capstan:test"' } } }] } });
  await until('ImagePullBackOff condition', async () => ((await get('InferenceService', 'team-a', 'digits'))?.status as { conditions?: { type: string; reason?: string }[] } | undefined)?.conditions?.some((c) => c.type === 'PredictorReady' && c.reason === 'ImagePullBackOff') || undefined);
  await tp.client.delete(isvcKind, 'team-a', 'digits');
  await until('isvc gone', async () => ((await get('InferenceService', 'team-a', 'digits')) ? undefined : true), 20_000);
  assert.equal(fake.all().filter((o) => o.metadata.labels?.[LABELS.uid] === obj.metadata.uid).length, 0, 'nothing of the service is left on the cluster');
});

test('deleting an InferenceService asks only the clusters it was applied to: an unrelated unreachable cluster does not block it', async () => {
  const isvcKind = kinds().find('InferenceService')!;
  // Nothing listens on port 1: every call to this cluster fails at once (ClusterUnreachable).
  const down = `apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters: [{name: x, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: x, user: u}}]\n`;
  await tp.client.create(kinds().find('Cluster')!, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'down' }, spec: { type: 'kubernetes', kubeconfig: { data: Buffer.from(down).toString('base64') } } });
  await until('down cluster unreachable', async () => ((await get('Cluster', undefined, 'down'))?.status as { reachable?: boolean } | undefined)?.reachable === false || undefined);
  // Objects for every cluster (Projects) are still applied to the reachable one.
  await tp.client.create(kinds().find('Project')!, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'team-c' }, spec: {} });
  await until('Namespace on the reachable cluster', () => fake.get('v1', 'Namespace', undefined, 'team-c'));
  await tp.client.create(isvcKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'healthy', namespace: 'team-a', annotations: { 'capstan.dev/cluster': 'gpu' } }, spec: { predictor: { model: 'digits', minReplicas: 1 } } });
  await until('Deployment', () => fake.list('Deployment').find((d) => d.metadata.labels[LABELS.name] === 'healthy'));
  await until('Secret', () => fake.get('v1', 'Secret', 'team-a', 'healthy-registry-token'));
  const obj = (await get('InferenceService', 'team-a', 'healthy'))!;
  assert.equal(obj.metadata.annotations?.['capstan.dev/placed-clusters'], 'gpu', 'the cluster is recorded before anything is applied');
  assert.ok(fake.get('v1', 'Service', 'team-a', 'healthy'));
  await tp.client.delete(isvcKind, 'team-a', 'healthy');
  // Before the record, cleanup asked every cluster and retried "down" forever.
  await until('isvc gone', async () => ((await get('InferenceService', 'team-a', 'healthy')) ? undefined : true), 20_000);
  assert.equal(fake.list('Deployment').filter((d) => d.metadata.labels[LABELS.uid] === obj.metadata.uid).length, 0);
  assert.equal(fake.get('v1', 'Service', 'team-a', 'healthy'), undefined);
  assert.equal(fake.get('v1', 'Secret', 'team-a', 'healthy-registry-token'), undefined);
  assert.equal(fake.all().filter((o) => o.metadata.labels?.[LABELS.uid] === obj.metadata.uid).length, 0, 'nothing of the service is left on the cluster');
  await tp.client.delete(kinds().find('Cluster')!, undefined, 'down');
});
