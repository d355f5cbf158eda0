// Issue 19 point 11: when a cluster's API server goes away Capstan notices within seconds (a
// broken watch probes at once instead of waiting for the 30 s probe interval), and when it comes
// back, objects waiting on it (here a job whose pods must be deleted) resume at once instead of
// after their own backoff.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import { createKubernetesModule } from '../../src/runtime/kubernetes/kubernetes-module.js';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';
import { PLATFORM_MODULES } from '../../src/server/platform-modules.js';
import { ScopedTokens } from '../../src/server/scoped-tokens.js';
import { createTrainingModule } from '../../src/training/training-module.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { waitFor } from '../training/training-platform.js';
import { FakeKubeApi } from './fake-kube-api.js';
import { FakeKubelet } from './fake-kubelet.js';

const V = 'capstan.dev/v1alpha1';
let fake: FakeKubeApi;
let kubelet: FakeKubelet;
let tp: TestPlatform;
let dir: string;

const kind = (k: string) => tp.platform.client.kinds.find(k)!;
const create = (o: Record<string, unknown>) => tp.client.create(kind(String(o.kind)), o);
const reachable = async () => ((await tp.client.tryGet(kind('Cluster'), undefined, 'x'))?.status as { reachable?: boolean } | undefined)?.reachable;

before(async () => {
  fake = await new FakeKubeApi().start();
  kubelet = new FakeKubelet(fake);
  dir = mkdtempSync(`${tmpdir()}/capstan-recovery-`);
  fake.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'g1' }, status: { allocatable: { cpu: '16', memory: '64Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  // Retries of an unreachable cluster shortened (100 ms doubling to 500 ms); objects keep their own 1 s-doubling backoff.
  const k8s = createKubernetesModule({ registryTokens: (ctx) => new ScopedTokens(ctx.backend), clusterRetry: { baseMs: 100, maxMs: 500 } });
  const training = createTrainingModule({ gracePeriodMs: 500, restartBaseDelayMs: 50 });
  tp = await startTestPlatform({}, { modules: PLATFORM_MODULES.map((m) => (m.name === 'kubernetes' ? k8s : m.name === 'training' ? training : m)) });
  await create({ apiVersion: V, kind: 'ResourceFlavor', metadata: { name: 'on-x' }, spec: { cluster: 'x', nodeLabels: { 'capstan.dev/cluster': 'x' } } });
  await create({ apiVersion: V, kind: 'Cluster', metadata: { name: 'x' }, spec: { type: 'kubernetes', kubeconfig: { path: fake.writeKubeconfig(dir) }, probeIntervalSeconds: 30 } });
  await waitFor('cluster x nodes mirrored', () => tp.client.tryGet(kind('Node'), undefined, 'x.g1'));
  await create({ apiVersion: V, kind: 'ClusterQueue', metadata: { name: 'cq' }, spec: { resourceGroups: [{ coveredResources: ['cpu'], flavors: [{ name: 'on-x', resources: [{ name: 'cpu', nominalQuota: '4' }] }] }] } });
  await create({ apiVersion: V, kind: 'LocalQueue', metadata: { name: 'q', namespace: 'default' }, spec: { clusterQueue: 'cq' } });
});

after(async () => {
  kubelet?.stop();
  await tp?.stop();
  await fake?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('point 11: an API server that goes away is noticed within seconds; a pending cleanup resumes as soon as it is back', async () => {
  await create({ apiVersion: V, kind: 'TrainingJob', metadata: { name: 'long', namespace: 'default' }, spec: { queueName: 'q', replicaSpecs: { Worker: { replicas: 1, template: { image: 'node:20', command: [process.execPath, '-e', 'setInterval(()=>{},1000)'], resources: { cpu: '1' } } } } } });
  const j = await tp.client.get(TrainingJobKind, 'default', 'long');
  await waitFor('the pod runs', () => fake.list('Pod').some((p) => p.metadata.labels?.[LABELS.uid] === j.metadata.uid && p.status?.phase === 'Running'));
  assert.equal(await reachable(), true);
  const downAt = Date.now();
  fake.setDown(true);
  // The probe interval is 30 s: only the broken watch can tell this soon.
  await waitFor('cluster x unreachable', async () => (await reachable()) === false, 10_000);
  assert.ok(Date.now() - downAt < 5000, `noticed after ${Date.now() - downAt} ms`);
  await tp.client.delete(TrainingJobKind, 'default', 'long');
  // Long enough for the job's own cleanup backoff to grow past 8 s (1 + 2 + 4 s of failed attempts).
  await new Promise((r) => setTimeout(r, 8000));
  assert.ok(await tp.client.tryGet(TrainingJobKind, 'default', 'long'), 'held while its pod may still run');
  const upAt = Date.now();
  fake.setDown(false);
  await waitFor('the job is gone with its pod', async () => !(await tp.client.tryGet(TrainingJobKind, 'default', 'long')), 20_000);
  const resumedMs = Date.now() - upAt;
  assert.equal(fake.list('Pod').filter((p) => p.metadata.labels?.[LABELS.uid] === j.metadata.uid).length, 0);
  assert.ok(resumedMs < 3000, `cleanup resumed ${resumedMs} ms after the API server came back`);
});
