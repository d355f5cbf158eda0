/**
 * Kubernetes runtime benchmark (`npm run bench:kubernetes`), on the in-repo fake API server:
 *  1. reconcile latency from a pod turning Ready on the cluster to the InferenceService's status
 *     (Ready True), and from a training pod turning Running to the TrainingJob's phase Running;
 *     baseline: the same cluster change reaching a plain watch client (the floor any watch-driven
 *     controller has), measured in the same run;
 *  2. API calls per reconcile at steady state: every service is Ready, nothing changed, and each
 *     is reconciled again (an annotation touch); calls counted by method on the fake API server.
 * The platform runs in this process; prints a table, then one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { KubeObject } from '../src/api/meta.js';
import { KubeApi } from '../src/runtime/kubernetes/kube-api.js';
import { kubeConfigFor } from '../src/runtime/kubernetes/kube-connection.js';
import { LABELS } from '../src/runtime/kubernetes/managed-labels.js';
import { loadServerConfig } from '../src/server/config.js';
import { startPlatform } from '../src/server/platform.js';
import { FakeKubeApi } from '../test/kubernetes/fake-kube-api.js';

const V = 'capstan.dev/v1alpha1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const cond = (o: KubeObject | undefined, t: string) => (o?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.find((c) => c.type === t);

async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 2): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  const N = Number(process.env.BENCH_SERVICES ?? 20);
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-bench-k8s-'));
  const fake = await new FakeKubeApi().start();
  fake.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { allocatable: { cpu: '64', memory: '256Gi' }, conditions: [{ type: 'Ready', status: 'True' }] } });
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
  const platform = await startPlatform(cfg, {}, pino({ level: 'silent' }));
  const client = platform.client;
  const kind = (k: string) => client.kinds.find(k)!;
  const kubeconfig = fake.writeKubeconfig(dataDir);
  try {
    await client.create(kind('Cluster'), { apiVersion: V, kind: 'Cluster', metadata: { name: 'x' }, spec: { type: 'kubernetes', kubeconfig: { path: kubeconfig }, probeIntervalSeconds: 300 } });
    await until(() => client.tryGet(kind('Node'), undefined, 'x.n1'), 30_000, 20);
    await client.create(kind('ResourceFlavor'), { apiVersion: V, kind: 'ResourceFlavor', metadata: { name: 'on-x' }, spec: { cluster: 'x', nodeLabels: { 'capstan.dev/cluster': 'x' } } });
    await client.create(kind('ClusterQueue'), { apiVersion: V, kind: 'ClusterQueue', metadata: { name: 'cq' }, spec: { resourceGroups: [{ coveredResources: ['cpu'], flavors: [{ name: 'on-x', resources: [{ name: 'cpu', nominalQuota: '64' }] }] }] } });
    await client.create(kind('LocalQueue'), { apiVersion: V, kind: 'LocalQueue', metadata: { name: 'q', namespace: 'default' }, spec: { clusterQueue: 'cq' } });

    // Baseline: a pod change reaching a plain watch client on the same fake API server.
    const api = new KubeApi(kubeConfigFor({ type: 'kubernetes', kubeconfig: { path: kubeconfig }, probeIntervalSeconds: 30 }));
    const seen = new Map<string, number>();
    const ac = new AbortController();
    api.watch('/api/v1/pods', 'bench=baseline', (e) => { if ((e.object.status as { phase?: string } | undefined)?.phase === 'Running') seen.set(e.object.metadata.name, performance.now()); }, () => undefined, ac.signal);
    await sleep(300);
    const baseline: number[] = [];
    for (let i = 0; i < N; i++) {
      const name = `baseline-${i}`;
      fake.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { bench: 'baseline' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
      const t0 = performance.now();
      fake.setStatus('v1', 'Pod', 'default', name, { phase: 'Running' });
      baseline.push((await until(() => seen.get(name))) - t0);
    }
    ac.abort();

    // 1a. InferenceServices: pod Ready → status Ready.
    const isvc: number[] = [];
    for (let i = 0; i < N; i++) {
      const name = `svc-${i}`;
      await client.create(kind('InferenceService'), { apiVersion: V, kind: 'InferenceService', metadata: { name, namespace: 'default', annotations: { 'capstan.dev/cluster': 'x' } }, spec: { predictor: { storageUri: 'http://models.example/m.onnx' } } });
      const dep = await until(() => fake.list('Deployment').find((d) => d.metadata.labels[LABELS.name] === name), 30_000, 5);
      await until(async () => cond(await client.tryGet(kind('InferenceService'), 'default', name), 'ClusterSynced')?.status === 'True', 30_000, 5);
      await sleep(50);
      const t0 = performance.now();
      // What the kubelet and the Deployment controller report when the replica turns Ready.
      fake.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${dep.metadata.name}-p`, namespace: 'default', labels: dep.spec.template.metadata.labels }, spec: { containers: [{ name: 'model-server', image: 'x' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } });
      fake.setStatus('apps/v1', 'Deployment', 'default', dep.metadata.name, { replicas: 1, readyReplicas: 1 });
      await until(async () => cond(await client.tryGet(kind('InferenceService'), 'default', name), 'Ready')?.status === 'True');
      isvc.push(performance.now() - t0);
    }

    // 1b. TrainingJobs: pod Running → phase Running.
    const jobs: number[] = [];
    for (let i = 0; i < Math.min(N, 10); i++) {
      const name = `job-${i}`;
      await client.create(kind('TrainingJob'), { apiVersion: V, kind: 'TrainingJob', metadata: { name, namespace: 'default' }, spec: { queueName: 'q', replicaSpecs: { Worker: { replicas: 1, template: { image: 'x', command: ['x'], resources: { cpu: '1' } } } } } });
      const pod = await until(() => fake.list('Pod').find((p) => p.metadata.labels?.[LABELS.name] === name), 30_000, 5);
      await until(async () => ((await client.tryGet(kind('TrainingJob'), 'default', name))?.status as { phase?: string } | undefined)?.phase === 'Admitted', 30_000, 5);
      await sleep(50);
      const t0 = performance.now();
      fake.setStatus('v1', 'Pod', 'default', pod.metadata.name, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'worker', ready: true, restartCount: 0, image: 'x', imageID: '', state: { running: {} } }] });
      await until(async () => ((await client.tryGet(kind('TrainingJob'), 'default', name))?.status as { phase?: string } | undefined)?.phase === 'Running');
      jobs.push(performance.now() - t0);
    }

    // 2. Steady state: every service Ready; each reconciled once more with nothing changed.
    await sleep(1000);
    const before = fake.requests.length;
    for (let i = 0; i < N; i++) {
      const o = await client.get(kind('InferenceService'), 'default', `svc-${i}`);
      await client.update(kind('InferenceService'), { ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata.annotations ?? {}), 'bench.capstan.dev/touch': String(Date.now()) } } });
    }
    // Quiet: no call for a second.
    let last = fake.requests.length;
    for (;;) {
      await sleep(1000);
      if (fake.requests.length === last) break;
      last = fake.requests.length;
    }
    const calls = fake.requests.slice(before);
    const by = (m: string) => calls.filter((c) => c.method === m).length;
    const reads = by('GET');
    const writes = calls.length - reads;

    const rows = [
      ['baseline: pod change → watch client', pct(baseline, 50), pct(baseline, 95)],
      ['pod Ready → InferenceService Ready', pct(isvc, 50), pct(isvc, 95)],
      ['pod Running → TrainingJob Running', pct(jobs, 50), pct(jobs, 95)],
    ] as const;
    console.log(`kubernetes runtime on the fake API server (${N} services, ${jobs.length} jobs)`);
    console.log('latency'.padEnd(42), 'p50 ms'.padStart(8), 'p95 ms'.padStart(8));
    for (const [l, a, b] of rows) console.log(l.padEnd(42), a.toFixed(1).padStart(8), b.toFixed(1).padStart(8));
    console.log(`steady state: ${N} reconciles with nothing changed → ${calls.length} API calls (${(calls.length / N).toFixed(1)}/reconcile): ${(reads / N).toFixed(1)} reads, ${(writes / N).toFixed(1)} writes (${['PATCH', 'POST', 'PUT', 'DELETE'].map((m) => `${m} ${by(m)}`).join(', ')})`);
    console.log(JSON.stringify({
      bench: 'kubernetes', services: N, jobs: jobs.length,
      baselineWatchP50Ms: +pct(baseline, 50).toFixed(2), isvcReadyP50Ms: +pct(isvc, 50).toFixed(2), isvcReadyP95Ms: +pct(isvc, 95).toFixed(2),
      jobRunningP50Ms: +pct(jobs, 50).toFixed(2), jobRunningP95Ms: +pct(jobs, 95).toFixed(2),
      steadyCallsPerReconcile: +(calls.length / N).toFixed(2), steadyReadsPerReconcile: +(reads / N).toFixed(2), steadyWritesPerReconcile: +(writes / N).toFixed(2),
    }));
  } finally {
    await platform.stop();
    await fake.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
