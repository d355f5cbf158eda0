// `capstan export --target kubernetes`: foreign dialects decoded by the kind registry, every
// manifest schema-valid, and unsupported kinds refused naming the kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import { exportManifests } from '../../src/runtime/kubernetes/export-manifests.js';
import { assertValidManifest } from './validate-manifest.js';

const opts = { image: 'capstan:0.1.0', registryUrl: 'http://capstan.capstan-system.svc:8080', namespace: 'team-a', ingress: true };
const container = (image: string) => ({ spec: { containers: [{ name: 'c', image, command: ['python', 'train.py'] }] } });
const docs = [
  { apiVersion: 'kubeflow.org/v1', kind: 'TFJob', metadata: { name: 'tf' }, spec: { tfReplicaSpecs: { PS: { replicas: 1, template: container('tf:2') }, Worker: { replicas: 2, template: container('tf:2') } } } },
  { apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'digits' }, spec: { predictor: { minReplicas: 1, maxReplicas: 3, model: { modelFormat: { name: 'onnx' }, storageUri: 'https://models.example.com/digits.onnx' } } } },
  { apiVersion: 'capstan.dev/v1alpha1', kind: 'WorkloadPriorityClass', metadata: { name: 'high' }, value: 1000 },
  { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'team-b' }, spec: {} },
];

test('export renders schema-valid manifests for KServe, Kubeflow and Capstan objects', () => {
  const yaml = exportManifests(docs, builtinKindRegistry(), opts);
  const out = parseAllDocuments(yaml).map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } });
  for (const m of out) assertValidManifest(m);
  const kinds = out.map((m) => `${m.kind}/${m.metadata.name}`);
  for (const k of ['Service/tf', 'Pod/tf-ps-0', 'Pod/tf-worker-1', 'Service/digits', 'Ingress/digits', 'PriorityClass/high', 'Namespace/team-b', 'Role/capstan-viewer']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
  assert.ok(kinds.some((k) => /^Deployment\/digits-r[0-9a-f]{10}$/.test(k)), `a Deployment named for the revision in ${kinds.join(', ')}`);
  assert.equal(out.find((m) => m.kind === 'Pod')?.metadata.namespace, 'team-a');
  const dep = out.find((m) => m.kind === 'Deployment') as unknown as { spec: { template: { spec: { initContainers: { env: { name: string; value?: string }[] }[] } } } };
  assert.equal(dep.spec.template.spec.initContainers[0]!.env.find((e) => e.name === 'CAPSTAN_MODEL_URL')?.value, 'https://models.example.com/digits.onnx');
});

test('export: a registry model gets a token Secret to fill in; a storageUri elsewhere never gets Capstan\'s token', () => {
  const yaml = exportManifests([
    { apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'mnist' }, spec: { predictor: { model: 'mnist@production' } } },
    docs[1],
  ], builtinKindRegistry(), opts);
  const out = parseAllDocuments(yaml).map((d) => d.toJS() as any);
  for (const m of out) assertValidManifest(m);
  const secrets = out.filter((m) => m.kind === 'Secret');
  assert.deepEqual(secrets.map((m) => m.metadata.name), ['mnist-registry-token']);
  assert.equal(secrets[0].stringData.token, '');
  assert.match(secrets[0].metadata.annotations['capstan.dev/token-scope'], /models\/mnist/);
  const env = (name: string) => out.find((m) => m.kind === 'Deployment' && m.metadata.name.startsWith(name)).spec.template.spec.initContainers[0].env;
  assert.equal(env('mnist').find((e: any) => e.name === 'CAPSTAN_REGISTRY_TOKEN').valueFrom.secretKeyRef.name, 'mnist-registry-token');
  assert.match(env('mnist').find((e: any) => e.name === 'CAPSTAN_MODEL_URL').value, /\/namespaces\/team-a\/models\/mnist\/artifact\?ref=production$/);
  assert.equal(env('digits').find((e: any) => e.name === 'CAPSTAN_REGISTRY_TOKEN'), undefined);
});

test('export refuses a kind with no Kubernetes form, naming it, and a bad object naming its field', () => {
  assert.throws(() => exportManifests([{ apiVersion: 'capstan.dev/v1alpha1', kind: 'Cluster', metadata: { name: 'x' }, spec: { type: 'local' } }], builtinKindRegistry(), opts), /Cluster "x" has no Kubernetes form/);
  assert.throws(() => exportManifests([{ apiVersion: 'capstan.dev/v1alpha1', kind: 'WorkloadPriorityClass', metadata: { name: 'x' }, value: 'high' }], builtinKindRegistry(), opts), /value/);
});

test('issue 19 point 9: two exported services in one namespace get distinct uid labels, so their selectors never match each other\'s pods', () => {
  const yaml = exportManifests([
    { apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'a', namespace: 'team-a' }, spec: { predictor: { storageUri: 'https://models.example.com/a.onnx' } } },
    { apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name: 'b', namespace: 'team-a' }, spec: { predictor: { storageUri: 'https://models.example.com/b.onnx' } } },
  ], builtinKindRegistry(), opts);
  const out = parseAllDocuments(yaml).map((d) => d.toJS() as any);
  const svc = (n: string) => out.find((m) => m.kind === 'Service' && m.metadata.name === n);
  const pods = (n: string) => out.find((m) => m.kind === 'Deployment' && m.metadata.name.startsWith(`${n}-`)).spec.template.metadata.labels as Record<string, string>;
  const selects = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
  assert.ok(selects(svc('a').spec.selector, pods('a')) && selects(svc('b').spec.selector, pods('b')), 'each selects its own pods');
  assert.ok(!selects(svc('a').spec.selector, pods('b')) && !selects(svc('b').spec.selector, pods('a')), 'and never the other\'s');
  assert.ok(!yaml.includes('not-yet-created'));
});
