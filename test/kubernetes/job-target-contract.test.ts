// The compute-target contract on Kubernetes: KubernetesJobTarget against the in-repo fake API
// server, whose pods a fake kubelet runs as real child processes. With KUBECONFIG set, the same
// cases also run on that real cluster (image node:20-alpine; namespace capstan-contract-*).
import { after, test } from 'node:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { KubernetesRuntime } from '../../src/runtime/kubernetes/kubernetes-runtime.js';
import { KubernetesJobTarget } from '../../src/runtime/kubernetes/kubernetes-job-target.js';
import { jobTargetContract } from '../runtime/job-target-contract.js';
import { FakeKubeApi } from './fake-kube-api.js';
import { FakeKubelet } from './fake-kubelet.js';

const dir = mkdtempSync(`${tmpdir()}/capstan-contract-k8s-`);
let fake: FakeKubeApi | undefined;
let kubelet: FakeKubelet | undefined;
let realNs: { rt: KubernetesRuntime; uid: string } | undefined;

after(async () => {
  kubelet?.stop();
  await fake?.stop();
  if (realNs) await realNs.rt.deleteOwned(realNs.uid, 'Project');
  rmSync(dir, { recursive: true, force: true });
});

jobTargetContract('kubernetes (fake API server + fake kubelet)', async () => {
  fake = await new FakeKubeApi().start();
  kubelet = new FakeKubelet(fake);
  fake.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'contract' } });
  const rt = KubernetesRuntime.forCluster('fake', { type: 'kubernetes', kubeconfig: { path: fake.writeKubeconfig(dir) }, probeIntervalSeconds: 30 });
  return { target: new KubernetesJobTarget(rt, 'unused'), namespace: 'contract', node: process.execPath, image: 'node:20-alpine', timeoutMs: 20_000 };
});

const kubeconfig = process.env.KUBECONFIG;
if (kubeconfig && existsSync(kubeconfig)) {
  jobTargetContract('kubernetes (real cluster from KUBECONFIG)', async () => {
    const rt = KubernetesRuntime.forCluster('real', { type: 'kubernetes', kubeconfig: { path: kubeconfig }, probeIntervalSeconds: 30 });
    const suffix = Date.now().toString(36);
    const ns = `capstan-contract-${suffix}`;
    await rt.applyProject({ name: ns, uid: `contract-${suffix}`, roles: [] });
    realNs = { rt, uid: `contract-${suffix}` };
    return { target: new KubernetesJobTarget(rt, 'node:20-alpine'), namespace: ns, node: 'node', image: 'node:20-alpine', timeoutMs: 180_000 };
  });
} else {
  test('compute-target contract on a real cluster', { skip: 'no real cluster: KUBECONFIG is not set to an existing file (expected in CI, which has no cluster); see docs/kubernetes.md' }, () => undefined);
}
