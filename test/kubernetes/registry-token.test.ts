// The registry token of an InferenceService on a cluster: a scoped token that may read its model
// (the artifact, through the reference redirect) and nothing else: no writes, no other model, no
// other project, no route outside the resource tree. Stored as a labelled Secret the Deployment
// reads through secretKeyRef; deleting the service deletes the Secret and revokes the token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { FakeKubeApi } from './fake-kube-api.js';

const V = 'capstan.dev/v1alpha1';
let fake: FakeKubeApi;
let tp: TestPlatform;
let dir: string;
const kind = (k: string) => tp.platform.client.kinds.find(k)!;
const base = (ns: string) => `/apis/capstan.dev/v1alpha1/namespaces/${ns}`;
const admin = () => ({ authorization: `Bearer ${tp.token}` });

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function push(ns: string, model: string, version: string, bytes: Buffer): Promise<void> {
  const res = await fetch(`${tp.url}${base(ns)}/modelversions/${model}-v${version}/artifact?model=${model}&format=binary&filename=model.bin`, { method: 'PUT', body: new Uint8Array(bytes), headers: { ...admin(), 'content-type': 'application/octet-stream' } });
  assert.ok(res.status === 201 || res.status === 200, `push ${model} ${version}: ${res.status} ${await res.text()}`);
}

const DIGITS = Buffer.from('digits model bytes');

before(async () => {
  fake = await new FakeKubeApi().start();
  dir = mkdtempSync(`${tmpdir()}/capstan-regtok-`);
  tp = await startTestPlatform();
  for (const p of ['team-a', 'team-b']) await tp.client.create(kind('Project'), { apiVersion: V, kind: 'Project', metadata: { name: p }, spec: {} });
  await until('projects active', async () => (await Promise.all(['team-a', 'team-b'].map((p) => tp.client.tryGet(kind('Project'), undefined, p)))).every((p) => (p?.status as { phase?: string } | undefined)?.phase === 'Active'));
  await push('team-a', 'digits', '1.0.0', DIGITS);
  await push('team-a', 'digits-v2', '1.0.0', Buffer.from('another model in the same project'));
  await push('team-b', 'digits', '1.0.0', Buffer.from('the other project\'s digits'));
  await tp.client.create(kind('Cluster'), { apiVersion: V, kind: 'Cluster', metadata: { name: 'gpu' }, spec: { type: 'kubernetes', kubeconfig: { path: fake.writeKubeconfig(dir) }, image: 'capstan:test', registryUrl: 'http://capstan.test:8470' } });
});

after(async () => {
  await tp?.stop();
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a service pulling a registry model gets a Secret with a token that reads that model and nothing else', async () => {
  await tp.client.create(kind('InferenceService'), { apiVersion: V, kind: 'InferenceService', metadata: { name: 'svc', namespace: 'team-a', annotations: { 'capstan.dev/cluster': 'gpu' } }, spec: { predictor: { model: 'digits', minReplicas: 1 } } });
  const secret = await until('Secret on the cluster', () => fake.get('v1', 'Secret', 'team-a', 'svc-registry-token'));
  const obj = (await tp.client.get(kind('InferenceService'), 'team-a', 'svc'))!;
  assert.equal(secret.metadata.labels[LABELS.managedBy], 'capstan');
  assert.equal(secret.metadata.labels[LABELS.uid], obj.metadata.uid);
  assert.equal(secret.metadata.ownerReferences?.[0]?.kind, 'Service', 'owned by the service\'s root, so the cluster collects it too');
  const token: string = secret.stringData?.token ?? Buffer.from(secret.data.token, 'base64').toString('utf8');
  assert.match(token, /^cap_/);
  const dep = await until('Deployment', () => fake.list('Deployment').find((d) => d.metadata.labels[LABELS.uid] === obj.metadata.uid));
  const env = dep.spec.template.spec.initContainers[0].env as { name: string; value?: string; valueFrom?: unknown }[];
  assert.deepEqual(env.find((e) => e.name === 'CAPSTAN_REGISTRY_TOKEN')?.valueFrom, { secretKeyRef: { name: 'svc-registry-token', key: 'token' } });
  const modelUrl = new URL(env.find((e) => e.name === 'CAPSTAN_MODEL_URL')!.value!);
  assert.equal(modelUrl.origin, 'http://capstan.test:8470');

  const bearer = { authorization: `Bearer ${token}` };
  // What the init container does (the URL on this test server): the reference redirects to the version, same origin.
  const got = await fetch(`${tp.url}${modelUrl.pathname}${modelUrl.search}`, { headers: bearer });
  assert.equal(got.status, 200, await got.clone().text());
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), DIGITS);
  assert.equal((await fetch(`${tp.url}${base('team-a')}/models/digits`, { headers: bearer })).status, 200, 'the Model object itself');
  assert.equal((await fetch(`${tp.url}${base('team-a')}/modelversions/digits-v1.0.0`, { headers: bearer })).status, 200, 'its versions');

  const refused: [string, string, RequestInit?][] = [
    ['write a version', `${base('team-a')}/modelversions/digits-v1.0.1/artifact?model=digits&format=binary`, { method: 'PUT', body: 'x', headers: { ...bearer, 'content-type': 'application/octet-stream' } }],
    ['delete the model', `${base('team-a')}/models/digits`, { method: 'DELETE', headers: bearer }],
    ['move an alias', `${base('team-a')}/models/digits/aliases/production`, { method: 'PUT', body: JSON.stringify({ version: '1.0.0' }), headers: { ...bearer, 'content-type': 'application/json' } }],
    ['another project\'s model', `${base('team-b')}/models/digits/artifact`],
    ['another project\'s version', `${base('team-b')}/modelversions/digits-v1.0.0/artifact`],
    ['another model of the project', `${base('team-a')}/models/digits-v2/artifact`],
    ['a version of a model whose name starts with this one\'s', `${base('team-a')}/modelversions/digits-v2-v1.0.0/artifact`],
    ['list every model', `${base('team-a')}/models`],
    ['other kinds', `${base('team-a')}/inferenceservices`],
    ['cluster-scoped objects', '/apis/capstan.dev/v1alpha1/clusters'],
    ['discovery outside the resource tree', '/apis/capstan.dev/v1alpha1'],
  ];
  for (const [what, path, init] of refused) {
    const r = await fetch(`${tp.url}${path}`, init ?? { headers: bearer });
    assert.equal(r.status, 403, `${what}: ${r.status} ${await r.text()}`);
  }
  // The version the refused write named was not created.
  assert.equal(await tp.client.tryGet(kind('ModelVersion'), 'team-a', 'digits-v1.0.1'), undefined);

  await tp.client.delete(kind('InferenceService'), 'team-a', 'svc');
  await until('service gone', async () => !(await tp.client.tryGet(kind('InferenceService'), 'team-a', 'svc')));
  assert.equal(fake.get('v1', 'Secret', 'team-a', 'svc-registry-token'), undefined, 'the Secret is deleted');
  assert.equal((await fetch(`${tp.url}${modelUrl.pathname}`, { headers: bearer })).status, 401, 'the token is revoked');
});

test('a service whose storageUri is elsewhere gets no Capstan token', async () => {
  await tp.client.create(kind('InferenceService'), { apiVersion: V, kind: 'InferenceService', metadata: { name: 'ext', namespace: 'team-a', annotations: { 'capstan.dev/cluster': 'gpu' } }, spec: { predictor: { storageUri: 'https://models.example.com/m.onnx', minReplicas: 1 } } });
  const obj = (await tp.client.get(kind('InferenceService'), 'team-a', 'ext'))!;
  const dep = await until('Deployment', () => fake.list('Deployment').find((d) => d.metadata.labels[LABELS.uid] === obj.metadata.uid));
  assert.equal(dep.spec.template.spec.initContainers[0].env.find((e: { name: string }) => e.name === 'CAPSTAN_REGISTRY_TOKEN'), undefined);
  assert.equal(fake.get('v1', 'Secret', 'team-a', 'ext-registry-token'), undefined);
  await tp.client.delete(kind('InferenceService'), 'team-a', 'ext');
  await until('ext gone', async () => !(await tp.client.tryGet(kind('InferenceService'), 'team-a', 'ext')));
});

test('a registry-token Secret deleted on the cluster is re-issued on reconcile; the old token is revoked', async () => {
  const tokenOf = (s: Record<string, any>): string => s.stringData?.token ?? Buffer.from(s.data.token, 'base64').toString('utf8');
  const artifact = `${tp.url}${base('team-a')}/models/digits/artifact`;
  await tp.client.create(kind('InferenceService'), { apiVersion: V, kind: 'InferenceService', metadata: { name: 'again', namespace: 'team-a', annotations: { 'capstan.dev/cluster': 'gpu' } }, spec: { predictor: { model: 'digits', minReplicas: 1 } } });
  const first = tokenOf(await until('Secret on the cluster', () => fake.get('v1', 'Secret', 'team-a', 'again-registry-token')));
  assert.equal((await fetch(artifact, { headers: { authorization: `Bearer ${first}` } })).status, 200);

  // Someone deletes the Secret on the cluster (new pods would fail with CreateContainerConfigError).
  fake.remove(fake.get('v1', 'Secret', 'team-a', 'again-registry-token')!);
  const back = await until('Secret re-applied', () => fake.get('v1', 'Secret', 'team-a', 'again-registry-token'));
  const second = tokenOf(back);
  assert.notEqual(second, first, 'a new token (the plain text of the old one is not kept)');
  assert.equal(back.metadata.labels[LABELS.kind], 'InferenceService');
  assert.equal(back.metadata.ownerReferences?.[0]?.kind, 'Service');
  assert.equal((await fetch(artifact, { headers: { authorization: `Bearer ${second}` } })).status, 200, 'the new token reads the model');
  assert.equal((await fetch(artifact, { headers: { authorization: `Bearer ${first}` } })).status, 401, 'the old token is revoked');

  // While the Secret is there, later reconciles only ask (a dry-run create) and leave it alone.
  const asked = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/team-a/secrets').length;
  const n = asked();
  await until('another reconcile', () => asked() > n);
  assert.equal(tokenOf(fake.get('v1', 'Secret', 'team-a', 'again-registry-token')!), second);
  assert.equal((await fetch(artifact, { headers: { authorization: `Bearer ${second}` } })).status, 200);

  await tp.client.delete(kind('InferenceService'), 'team-a', 'again');
  await until('again gone', async () => !(await tp.client.tryGet(kind('InferenceService'), 'team-a', 'again')));
  assert.equal((await fetch(artifact, { headers: { authorization: `Bearer ${second}` } })).status, 401);
});
