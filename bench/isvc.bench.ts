/**
 * `npm run bench:isvc`: InferenceService on the embedded default, against `capstan up` in its own process.
 * Cold start (apply → first successful inference), scale-from-zero cold start, failed requests during a rolling
 * update, a canary promote and a kill -9 of one replica under load, a 1 → 64 concurrency step (time to the desired
 * replica count, p99 during the step), and the gateway hop (p50 via the gateway against a replica called directly,
 * in the same run).
 */
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InferenceServiceKind, type InferenceServiceStatus } from '../src/api/kinds/inference-service.js';
import type { KubeObject } from '../src/api/meta.js';
import { HttpClient } from '../src/client/http-client.js';
import { buildMlpOnnx } from '../src/onnx/index.js';
import { startServerProcess } from '../test/support/spawn-capstan.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const BODY = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [1, 1] }] });

/** One inference; resolves with the HTTP status (0 on a connection error). */
function infer(base: string, service: string): Promise<number> {
  const u = new URL(base);
  return new Promise((resolve) => {
    const req = http.request({ host: u.hostname, port: u.port, path: `/v2/models/${service}/infer`, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(BODY);
  });
}

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A closed-loop load generator; `concurrency` may change while it runs. */
class Load {
  ok = 0;
  failed = 0;
  lat: Array<{ t: number; ms: number }> = [];
  private workers: Promise<void>[] = [];
  private target = 0;
  private running = true;
  constructor(private readonly base: string, private readonly service: string) {}
  setConcurrency(n: number): void {
    this.target = n;
    while (this.workers.length < n) {
      const id = this.workers.length;
      this.workers.push(this.worker(id));
    }
  }
  private async worker(id: number): Promise<void> {
    while (this.running) {
      if (id >= this.target) {
        await sleep(20);
        continue;
      }
      const t0 = performance.now();
      const code = await infer(this.base, this.service);
      const ms = performance.now() - t0;
      if (code === 200) {
        this.ok++;
        this.lat.push({ t: Date.now(), ms });
      } else this.failed++;
    }
  }
  async stop(): Promise<{ ok: number; failed: number }> {
    this.running = false;
    await Promise.all(this.workers);
    return { ok: this.ok, failed: this.failed };
  }
}

function manifest(name: string, predictor: Record<string, unknown>, extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}) {
  return { apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name, namespace: 'default', annotations }, spec: { predictor, ...extra } };
}

async function until(client: HttpClient, name: string, pred: (s: InferenceServiceStatus, o: KubeObject) => boolean, timeoutMs = 60_000, pollMs = 50): Promise<KubeObject> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const o = await client.tryGet(InferenceServiceKind, 'default', name);
    const s = (o?.status ?? {}) as InferenceServiceStatus;
    if (o && s.observedGeneration === o.metadata.generation && pred(s, o)) return o;
    if (Date.now() > end) throw new Error(`timed out on ${name}: ${JSON.stringify(o?.status)}`);
    await sleep(pollMs);
  }
}
const ready = (s: InferenceServiceStatus) => s.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-isvc-bench-'));
  const model = (name: string, bias: number) => {
    const f = join(dir, `${name}.onnx`);
    writeFileSync(f, buildMlpOnnx({ inputSize: 2, layers: [{ out: 1, weights: Float32Array.from([1, 2]), bias: Float32Array.from([bias]), activation: 'none' }] }));
    return pathToFileURL(f).href;
  };
  const v1 = model('v1', 10);
  const v2 = model('v2', 20);
  const v3 = model('v3', 30);
  const dataDir = join(dir, 'data');
  const server = await startServerProcess(dataDir, { CAPSTAN_LOG_LEVEL: 'warn' });
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const client = new HttpClient({ server: server.url, token });
  const rows: Array<[string, string]> = [];
  const out: Record<string, number> = {};
  try {
    // 1. cold start: apply → first 200 through the gateway
    let t0 = performance.now();
    await client.apply(InferenceServiceKind, manifest('cold', { storageUri: v1 }));
    let url = '';
    for (;;) {
      const o = await client.get(InferenceServiceKind, 'default', 'cold');
      url = (o.status as InferenceServiceStatus | undefined)?.url ?? '';
      if (url && (await infer(url, 'cold')) === 200) break;
      await sleep(10);
    }
    out.coldStartMs = round(performance.now() - t0, 0);

    // 2. gateway hop: sequential requests via the gateway and straight to the replica
    const o = await until(client, 'cold', (s) => (s.revisions?.[0]?.replicas?.[0]?.port ?? 0) > 0 && ready(s));
    const port = (o.status as InferenceServiceStatus).revisions![0].replicas![0].port!;
    const direct = `http://127.0.0.1:${port}`;
    const seq = async (base: string, service: string, n: number) => {
      const xs: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = performance.now();
        await infer(base, service);
        xs.push(performance.now() - a);
      }
      return xs;
    };
    await seq(direct, 'cold', 100);
    await seq(url, 'cold', 100);
    const dl = await seq(direct, 'cold', 1000);
    const gl = await seq(url, 'cold', 1000);
    out.directP50Ms = round(pct(dl, 50), 3);
    out.gatewayP50Ms = round(pct(gl, 50), 3);
    out.gatewayHopP50Ms = round(out.gatewayP50Ms - out.directP50Ms, 3);

    // 3. rolling update under load
    let load = new Load(url, 'cold');
    load.setConcurrency(8);
    await sleep(1000);
    await client.apply(InferenceServiceKind, manifest('cold', { storageUri: v2 }));
    await until(client, 'cold', (s) => (s.revisions ?? []).length === 1 && s.stableRevision === s.latestRevision && ready(s));
    await sleep(500);
    let r = await load.stop();
    out.rollingUpdateRequests = r.ok + r.failed;
    out.rollingUpdateFailed = r.failed;

    // 4. canary 20% then promote under load
    await client.apply(InferenceServiceKind, manifest('cold', { storageUri: v2 }, { canary: { storageUri: v3, trafficPercent: 20 } }));
    await until(client, 'cold', (s) => (s.traffic ?? []).length === 2 && ready(s));
    load = new Load(url, 'cold');
    load.setConcurrency(8);
    await sleep(1000);
    await client.apply(InferenceServiceKind, manifest('cold', { storageUri: v3 }));
    await until(client, 'cold', (s) => (s.revisions ?? []).length === 1 && ready(s));
    await sleep(500);
    r = await load.stop();
    out.canaryPromoteRequests = r.ok + r.failed;
    out.canaryPromoteFailed = r.failed;

    // 5. kill -9 of one of two replicas under load
    await client.apply(InferenceServiceKind, manifest('cold', { storageUri: v3, minReplicas: 2, maxReplicas: 2 }));
    const two = await until(client, 'cold', (s) => (s.revisions?.[0]?.readyReplicas ?? 0) === 2);
    load = new Load(url, 'cold');
    load.setConcurrency(8);
    await sleep(1000);
    process.kill((two.status as InferenceServiceStatus).revisions![0].replicas![0].pid!, 'SIGKILL');
    await sleep(500);
    await until(client, 'cold', (s) => (s.revisions?.[0]?.readyReplicas ?? 0) === 2);
    await sleep(500);
    r = await load.stop();
    out.kill9Requests = r.ok + r.failed;
    out.kill9Failed = r.failed;
    await client.delete(InferenceServiceKind, 'default', 'cold');

    // 6. 1 → 64 concurrency step: time until ready replicas reach the (settled) desired count, p99 during the step
    await client.apply(InferenceServiceKind, manifest('step', { storageUri: v1, minReplicas: 1, maxReplicas: 6, scaleTarget: 8 }, {}, { 'autoscaling.knative.dev/window': '20s' }));
    const stepUrl = ((await until(client, 'step', ready)).status as InferenceServiceStatus).url!;
    load = new Load(stepUrl, 'step');
    load.setConcurrency(1);
    await sleep(3000);
    const stepAt = Date.now();
    load.setConcurrency(64);
    // watch a fixed window: the count the autoscaler settles on, and when that many replicas were first ready
    const timeline: Array<{ t: number; desired: number; ready: number }> = [];
    while (Date.now() - stepAt < 15_000) {
      const s = (await client.get(InferenceServiceKind, 'default', 'step')).status as InferenceServiceStatus;
      timeline.push({ t: Date.now() - stepAt, desired: s.autoscaler?.desiredReplicas ?? 1, ready: (s.revisions ?? []).reduce((a, x) => a + x.readyReplicas, 0) });
      await sleep(100);
    }
    r = await load.stop();
    const during = load.lat.filter((x) => x.t >= stepAt).map((x) => x.ms);
    const desired = Math.max(...timeline.map((x) => x.desired));
    const reachedAt = timeline.find((x) => x.ready >= desired)?.t ?? -1;
    const firstDecisionAt = timeline.find((x) => x.desired > 1)?.t ?? -1;
    out.stepFirstDecisionMs = firstDecisionAt;
    out.stepDesiredReplicas = desired;
    out.stepToDesiredMs = reachedAt;
    out.stepP50Ms = round(pct(during, 50));
    out.stepP99Ms = round(pct(during, 99));
    out.stepFailed = r.failed;

    // 7. scale-from-zero cold start
    await client.apply(InferenceServiceKind, manifest('zero', { storageUri: v1, minReplicas: 0 }, {}, { 'autoscaling.knative.dev/window': '6s', 'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '0s' }));
    const zeroUrl = ((await until(client, 'zero', ready)).status as InferenceServiceStatus).url!;
    await infer(zeroUrl, 'zero');
    await until(client, 'zero', (s) => (s.revisions?.[0]?.replicas ?? []).length === 0 && (s.autoscaler?.desiredReplicas ?? 1) === 0, 60_000, 200);
    t0 = performance.now();
    const code = await infer(zeroUrl, 'zero');
    out.scaleFromZeroMs = code === 200 ? round(performance.now() - t0, 0) : -1;
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((res) => server.child.once('exit', res));
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }

  rows.push(['cold start (apply → first 200)', `${out.coldStartMs} ms`]);
  rows.push(['scale-from-zero (request → 200)', `${out.scaleFromZeroMs} ms`]);
  rows.push(['rolling update under load (c=8)', `${out.rollingUpdateFailed} failed / ${out.rollingUpdateRequests}`]);
  rows.push(['canary 20% → promote under load (c=8)', `${out.canaryPromoteFailed} failed / ${out.canaryPromoteRequests}`]);
  rows.push(['kill -9 of 1 of 2 replicas under load (c=8)', `${out.kill9Failed} failed / ${out.kill9Requests}`]);
  rows.push(['1 → 64 step: first scale-up decision', `${out.stepFirstDecisionMs} ms`]);
  rows.push([`1 → 64 step: to ${out.stepDesiredReplicas} ready replicas (settled count)`, `${out.stepToDesiredMs} ms`]);
  rows.push(['1 → 64 step: p50 / p99 latency', `${out.stepP50Ms} / ${out.stepP99Ms} ms (${out.stepFailed} failed)`]);
  rows.push(['direct replica p50 (baseline, c=1)', `${out.directP50Ms} ms`]);
  rows.push(['via gateway p50 (c=1)', `${out.gatewayP50Ms} ms (hop +${out.gatewayHopP50Ms} ms)`]);
  const w = Math.max(...rows.map((x) => x[0].length));
  console.log(`${'measure'.padEnd(w)}  value`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log(JSON.stringify({ bench: 'isvc', ...out }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
