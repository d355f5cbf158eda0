// Against a real cluster when KUBECONFIG points at one (kind, k3d, minikube or any cluster; see
// docs/kubernetes.md). CI has no cluster, so there this suite skips, saying so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { KubernetesRuntime } from '../../src/runtime/kubernetes/kubernetes-runtime.js';
import { LABELS } from '../../src/runtime/kubernetes/managed-labels.js';

const kubeconfig = process.env.KUBECONFIG;
const skip = !kubeconfig || !existsSync(kubeconfig)
  ? 'no real cluster: KUBECONFIG is not set to an existing file (expected in CI, which has no cluster); run with e.g. `kind create cluster && KUBECONFIG=~/.kube/config node --import tsx --test test/kubernetes/real-cluster.test.ts`'
  : false;

test('real cluster: probe, mirror a project and a priority class, run a pipeline-step Job, clean up', { skip, timeout: 180_000 }, async () => {
  const rt = KubernetesRuntime.forCluster('real', { type: 'kubernetes', kubeconfig: { path: kubeconfig! }, probeIntervalSeconds: 30 });
  const health = await rt.probe();
  assert.ok(health.nodeCount >= 1);
  const suffix = Date.now().toString(36);
  const ns = `capstan-e2e-${suffix}`;
  try {
    await rt.applyProject({ name: ns, uid: `p-${suffix}`, quota: { pods: 10 }, roles: [{ role: 'viewer' }] });
    await rt.applyPriorityClass({ name: `capstan-e2e-${suffix}`, uid: `w-${suffix}`, value: 10 });
    await rt.applyPipelineStep({ run: 'e2e', uid: `r-${suffix}`, namespace: ns, step: 'hello', image: 'busybox:1.36', command: ['sh', '-c', 'echo hello'], resources: { cpu: '50m', memory: '32Mi' } });
    const jobs = await rt.api.list('batch/v1', 'Job', `${LABELS.uid}=r-${suffix}`, ns);
    assert.equal(jobs.length, 1);
  } finally {
    await rt.deleteOwned(`r-${suffix}`, 'PipelineRun');
    await rt.deleteOwned(`w-${suffix}`, 'WorkloadPriorityClass');
    await rt.deleteOwned(`p-${suffix}`, 'Project');
  }
});
