// Every generated manifest must pass the official Kubernetes OpenAPI schemas (kubernetes-models
// validates with them), so a cluster's API server never rejects what Capstan would apply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertValidManifest } from './validate-manifest.js';
import { inferenceRevisionManifests } from '../../src/runtime/kubernetes/inference-manifests.js';
import { trainingJobManifests } from '../../src/runtime/kubernetes/training-manifests.js';
import { pipelineStepManifests } from '../../src/runtime/kubernetes/pipeline-manifests.js';
import { priorityClassManifests, projectManifests } from '../../src/runtime/kubernetes/tenancy-manifests.js';
import type { ManifestSet } from '../../src/runtime/kubernetes/inference-manifests.js';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';

function all(set: ManifestSet) {
  return [set.root, ...set.dependents];
}

function assertManaged(set: ManifestSet): void {
  for (const m of all(set)) {
    assertValidManifest(m);
    assert.equal(m.metadata.labels?.[LABELS.managedBy], 'capstan', `${m.kind}/${m.metadata.name} managed-by`);
    assert.equal(m.metadata.labels?.[LABELS.uid], set.owner.uid);
    assert.equal(m.metadata.labels?.[LABELS.kind], set.owner.kind);
    assert.equal(m.metadata.labels?.[LABELS.name], set.owner.name);
  }
}

const isvc = {
  name: 'digits', namespace: 'team-a', uid: 'u-1', revision: '00002', image: 'capstan:0.1.0',
  modelUrl: 'http://capstan.capstan-system:8080/apis/registry/blobs/sha256:abc', registryTokenSecret: 'digits-registry-token',
  replicas: 2, resources: { cpu: '500m', memory: '1Gi', gpu: 1 }, nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' as const, effect: 'NoSchedule' as const }],
};

test('InferenceService revision: Deployment, Service, HPA (cpu) and Ingress are schema-valid', () => {
  const set = inferenceRevisionManifests({ ...isvc, scaleMetric: 'cpu', scaleTarget: 70, minReplicas: 1, maxReplicas: 5, ingress: { host: 'digits.example.com', className: 'nginx' } });
  assertManaged(set);
  assert.deepEqual(all(set).map((m) => m.kind), ['Service', 'Deployment', 'HorizontalPodAutoscaler', 'Ingress']);
  const dep = set.dependents[0] as any;
  const c = dep.spec.template.spec.containers[0];
  assert.equal(c.readinessProbe.httpGet.path, '/v2/health/ready');
  assert.equal(c.livenessProbe.httpGet.path, '/v2/health/live');
  assert.equal(c.resources.limits['nvidia.com/gpu'], '1');
  assert.equal(c.resources.requests['nvidia.com/gpu'], '1');
  assert.deepEqual(dep.spec.strategy.rollingUpdate.maxUnavailable, 0);
  assert.equal(dep.spec.template.spec.nodeSelector['nvidia.com/gpu.product'], 'NVIDIA-A100');
  assert.equal(dep.spec.template.spec.tolerations[0].key, 'nvidia.com/gpu');
  assert.equal(c.args[0], 'model-server');
  const init = dep.spec.template.spec.initContainers[0];
  assert.ok(init.env.some((e: any) => e.name === 'CAPSTAN_REGISTRY_TOKEN' && e.valueFrom.secretKeyRef.name === 'digits-registry-token'));
  const ing = set.dependents[2] as any;
  const paths = ing.spec.rules[0].http.paths.map((p: any) => p.path);
  assert.ok(paths.includes('/predict') && paths.includes('/models'));
  const hpa = set.dependents[1] as any;
  assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
  assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 70);
});

test('a just-issued registry token becomes a schema-valid Secret, applied before the Deployment that reads it', () => {
  const set = inferenceRevisionManifests({ ...isvc, scaleMetric: 'concurrency', registryToken: 'cap_secret' });
  assertManaged(set);
  assert.deepEqual(all(set).map((m) => m.kind), ['Service', 'Secret', 'Deployment']);
  const secret = set.dependents[0] as any;
  assert.equal(secret.metadata.name, 'digits-registry-token');
  assert.equal(secret.metadata.namespace, 'team-a');
  assert.deepEqual(secret.stringData, { token: 'cap_secret' });
  const init = (set.dependents[1] as any).spec.template.spec.initContainers[0];
  assert.deepEqual(init.env.find((e: any) => e.name === 'CAPSTAN_REGISTRY_TOKEN').valueFrom, { secretKeyRef: { name: 'digits-registry-token', key: 'token' } });
  // Without a new token the Secret is not part of the apply (the cluster keeps the one it has).
  assert.ok(!all(inferenceRevisionManifests({ ...isvc, scaleMetric: 'concurrency' })).some((m) => m.kind === 'Secret'));
});

test('InferenceService on concurrency gets no HPA (Capstan scales through /scale) and no Ingress unless asked', () => {
  const set = inferenceRevisionManifests({ ...isvc, scaleMetric: 'concurrency' });
  assertManaged(set);
  assert.deepEqual(all(set).map((m) => m.kind), ['Service', 'Deployment']);
});

test('the validator really rejects a bad manifest (guards the tests above)', () => {
  const set = inferenceRevisionManifests(isvc);
  const bad = structuredClone(set.dependents[0]) as any;
  bad.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
  assert.throws(() => assertValidManifest(bad), /containerPort|integer/);
  assert.throws(() => assertValidManifest({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { selector: {}, template: {}, bogus: 1 } } as any), /bogus|additional/i);
});

test('TrainingJob (pytorch): headless Service + a Pod per replica with MASTER_ADDR through the Service', () => {
  const set = trainingJobManifests({
    name: 'mnist', namespace: 'team-a', uid: 'u-2', framework: 'pytorch',
    roles: [
      { role: 'Master', replicas: 1, image: 'pytorch:2', command: ['python', 'train.py'], resources: { cpu: 1, memory: '2Gi', gpu: 1 }, restartPolicy: 'OnFailure' },
      { role: 'Worker', replicas: 2, image: 'pytorch:2', command: ['python', 'train.py'], resources: { cpu: 1, memory: '2Gi' } },
    ],
    priorityClassName: 'high',
  });
  assertManaged(set);
  assert.equal((set.root as any).spec.clusterIP, 'None');
  assert.equal(set.dependents.length, 3);
  const envOf = (i: number) => Object.fromEntries(((set.dependents[i] as any).spec.containers[0].env as any[]).map((e) => [e.name, e.value]));
  assert.equal(envOf(0).MASTER_ADDR, 'mnist-master-0.mnist');
  assert.equal(envOf(0).RANK, '0');
  assert.equal(envOf(2).RANK, '2');
  assert.equal(envOf(2).WORLD_SIZE, '3');
  assert.equal((set.dependents[0] as any).spec.restartPolicy, 'OnFailure');
  assert.equal((set.dependents[1] as any).spec.restartPolicy, 'Never');
  assert.equal((set.dependents[1] as any).spec.subdomain, 'mnist');
});

test('TrainingJob (tensorflow): TF_CONFIG lists every PS and worker host by Service DNS', () => {
  const set = trainingJobManifests({
    name: 'tf', namespace: 'ns', uid: 'u-3', framework: 'tensorflow',
    roles: [{ role: 'PS', replicas: 1, image: 'tf:2' }, { role: 'Worker', replicas: 2, image: 'tf:2' }],
  });
  assertManaged(set);
  const cfg = JSON.parse(((set.dependents[2] as any).spec.containers[0].env as any[]).find((e) => e.name === 'TF_CONFIG').value);
  assert.deepEqual(cfg.cluster, { ps: ['tf-ps-0.tf:2222'], worker: ['tf-worker-0.tf:2222', 'tf-worker-1.tf:2222'] });
  assert.deepEqual(cfg.task, { type: 'worker', index: 1 });
});

test('pipeline step → batch/v1 Job', () => {
  const set = pipelineStepManifests({ run: 'etl-7', uid: 'u-4', namespace: 'ns', step: 'Prepare_Data', image: 'python:3', command: ['python', '-c', 'print(1)'], retries: 2, resources: { cpu: '250m' } });
  assertManaged(set);
  assert.equal(set.root.metadata.name, 'etl-7-prepare-data');
  assert.equal((set.root as any).spec.backoffLimit, 2);
});

test('WorkloadPriorityClass → PriorityClass; Project → Namespace, ResourceQuota, Role, RoleBinding', () => {
  const pc = priorityClassManifests({ name: 'high', uid: 'u-5', value: 1000, description: 'production' });
  assertManaged(pc);
  const proj = projectManifests({
    name: 'team-a', uid: 'u-6', labels: { team: 'a' }, quota: { cpu: '32', memory: '128Gi', 'nvidia.com/gpu': 8, pods: 100 },
    roles: [{ role: 'editor', users: ['alice'], serviceAccounts: ['ci'] }, { role: 'viewer', groups: ['auditors'] }],
  });
  assertManaged(proj);
  assert.deepEqual(all(proj).map((m) => m.kind), ['Namespace', 'ResourceQuota', 'Role', 'RoleBinding', 'Role', 'RoleBinding']);
  assert.deepEqual((proj.dependents[0] as any).spec.hard, { 'requests.cpu': '32', 'requests.memory': '128Gi', 'requests.nvidia.com/gpu': '8', pods: '100' });
  assert.equal(proj.root.metadata.labels?.team, 'a');
});
