/** InferenceService end to end on the embedded default: a real platform, real model-server children, the gateway. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pushModel } from '../../src/registry/transfer-client.js';
import { InferenceServiceKind } from '../../src/api/kinds/inference-service.js';
import { EventKind } from '../../src/api/kinds/event.js';
import { capstanArgv } from '../support/spawn-capstan.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { condTrue, inferV2, isvcManifest, loadLoop, predictV1, waitFor, writeModel, useGatewayToken } from './isvc-helpers.js';

let tp: TestPlatform;
let dir: string;
let v1: string;
let v2: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-'));
  v1 = writeModel(dir, 'v1', 10);
  v2 = writeModel(dir, 'v2', 20);
  tp = await startTestPlatform();
  useGatewayToken(tp.token);
});

let stopped = false;

/** Runs the real CLI against the test platform. */
function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, capstanArgv(args), { env: { ...process.env, CAPSTAN_SERVER: tp.url, CAPSTAN_TOKEN: tp.token }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`capstan ${args.join(' ')} failed: ${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}
after(async () => {
  if (!stopped) await tp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('apply → Ready → OIP REST and V1 answers through the gateway; rolling update under load has zero failures', async () => {
  await tp.client.apply(InferenceServiceKind, isvcManifest('digits', { storageUri: v1 }));
  const o = await waitFor(tp.client, 'digits', 'Ready', (s) => condTrue(s, 'Ready'));
  const st = o.status as { url: string; routeName: string; modelVersions: string[]; revisions: Array<{ readyReplicas: number }> };
  assert.match(st.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(st.routeName, 'digits');
  assert.deepEqual(st.modelVersions, [v1]);
  const r = await inferV2(st.url, 'digits', [1, 2]);
  assert.equal(r.status, 200);
  assert.equal(r.value, 1 + 2 * 2 + 10);
  const p = await predictV1(st.url, 'digits', [3, 4]);
  assert.equal(p.status, 200);
  assert.equal(p.value, 3 + 8 + 10);

  const load = loadLoop(st.url, 'digits', 4);
  await new Promise((res) => setTimeout(res, 300));
  await tp.client.apply(InferenceServiceKind, isvcManifest('digits', { storageUri: v2 }));
  const rolled = await waitFor(tp.client, 'digits', 'the new revision stable and the old one gone', (s) => s.stableRevision === s.latestRevision && (s.revisions ?? []).length === 1 && condTrue(s, 'Ready'));
  await new Promise((res) => setTimeout(res, 300));
  const result = await load.stop();
  assert.equal(result.failed, 0, `failed requests: ${result.failures.slice(0, 5).join('; ')}`);
  assert.ok((result.values.get(13) ?? 0) > 0 && (result.values.get(23) ?? 0) > 0, `answers from both versions: ${JSON.stringify([...result.values])}`);
  assert.equal((await inferV2(st.url, 'digits', [1, 1])).value, 23);
  assert.deepEqual((rolled.status as { modelVersions: string[] }).modelVersions, [v2]);
});

test('canary split by percent, then promote under load with zero failures', async () => {
  await tp.client.apply(InferenceServiceKind, isvcManifest('canary', { storageUri: v1 }, { canary: { storageUri: v2, trafficPercent: 25 } }));
  const o = await waitFor(tp.client, 'canary', 'Ready with a canary', (s) => condTrue(s, 'Ready') && condTrue(s, 'CanaryReady') && (s.traffic ?? []).length === 2);
  const url = (o.status as { url: string }).url;
  const counts = new Map<number, number>();
  for (let i = 0; i < 40; i++) {
    const r = await inferV2(url, 'canary', [1, 1]);
    assert.equal(r.status, 200);
    counts.set(r.value!, (counts.get(r.value!) ?? 0) + 1);
  }
  const canaryShare = counts.get(23) ?? 0;
  assert.ok(canaryShare >= 8 && canaryShare <= 12, `canary answered ${canaryShare} of 40 (25% expected): ${JSON.stringify([...counts])}`);
  assert.equal((counts.get(13) ?? 0) + canaryShare, 40);

  const status = await cli(['rollout', 'status', 'isvc/canary', '--no-wait']);
  assert.match(status, /canary-[0-9a-f]{8}\s+canary\s+1\/1\s+25%/);
  const load = loadLoop(url, 'canary', 4);
  await new Promise((res) => setTimeout(res, 200));
  // the canary's model becomes the predictor's, the canary goes
  assert.match(await cli(['rollout', 'promote', 'isvc/canary']), /promoted/);
  await waitFor(tp.client, 'canary', 'promoted', (s) => (s.revisions ?? []).length === 1 && s.traffic?.[0]?.percent === 100 && condTrue(s, 'Ready'));
  const result = await load.stop();
  assert.equal(result.failed, 0, result.failures.slice(0, 5).join('; '));
  assert.equal((await inferV2(url, 'canary', [1, 1])).value, 23);
  const logs = await cli(['logs', 'isvc/canary', '--replica', '0']);
  assert.match(logs, /"event":"ready"/);
  assert.match(logs, /capstan: run 1 started/);
});

test('bad input reports a reason and leaves other services serving', async () => {
  writeFileSync(join(dir, 'garbage.onnx'), 'not a model');
  await tp.client.apply(InferenceServiceKind, isvcManifest('ghost', { model: 'nosuch@production' }));
  await tp.client.apply(InferenceServiceKind, isvcManifest('broken', { storageUri: pathToFileURL(join(dir, 'garbage.onnx')).href }));
  await tp.client.apply(InferenceServiceKind, isvcManifest('quitter', { runtime: 'custom', command: [process.execPath, '-e', 'console.error("cannot start: no GPU"); process.exit(1)'] }));
  const reasonOf = (s: { conditions?: Array<{ type: string; reason?: string }> }) => s.conditions?.find((c) => c.type === 'Ready')?.reason;
  const ghost = await waitFor(tp.client, 'ghost', 'ModelNotFound', (s) => reasonOf(s) === 'ModelNotFound');
  assert.match(JSON.stringify(ghost.status), /nosuch/);
  await waitFor(tp.client, 'broken', 'ModelLoadFailed', (s) => reasonOf(s) === 'ModelLoadFailed');
  await waitFor(tp.client, 'quitter', 'CrashLoopBackOff', (s) => reasonOf(s) === 'CrashLoopBackOff');
  // The Event carries the replica's last log lines, read after the status changed: poll for it (bounded).
  const findCrash = async () => (await tp.client.list(EventKind, { namespace: 'default' })).items
    .find((e) => (e as { reason?: string }).reason === 'CrashLoopBackOff' && (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'quitter');
  let crash = await findCrash();
  for (const deadline = Date.now() + 15_000; !crash && Date.now() < deadline; crash = await findCrash()) await new Promise((r) => setTimeout(r, 100));
  assert.ok(crash, 'a CrashLoopBackOff event');
  assert.match(String((crash as { message?: string }).message), /cannot start: no GPU/);
  const url = ((await tp.client.get(InferenceServiceKind, 'default', 'digits')).status as { url: string }).url;
  assert.equal((await inferV2(url, 'digits', [1, 1])).value, 23);
  for (const n of ['ghost', 'broken', 'quitter']) await tp.client.delete(InferenceServiceKind, 'default', n);
});

test('a custom runtime serves V1 on $PORT behind the gateway', async () => {
  const server = `require('node:http').createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ predictions: [[42]], path: req.url, model: process.env.MODEL_NAME })); }).listen(Number(process.env.PORT), '127.0.0.1')`;
  // spec.public: true answers without credentials (services are private by default).
  await tp.client.apply(InferenceServiceKind, isvcManifest('mine', { runtime: 'custom', command: [process.execPath, '-e', server] }, { public: true }));
  const o = await waitFor(tp.client, 'mine', 'Ready', (s) => condTrue(s, 'Ready'));
  const res = await fetch(`${(o.status as { url: string }).url}/v1/models/mine:predict`, { method: 'POST', body: JSON.stringify({ instances: [[1]] }) });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { predictions: number[][]; path: string; model: string };
  assert.deepEqual(body.predictions, [[42]]);
  assert.equal(body.path, '/v1/models/mine:predict');
  assert.equal(body.model, 'mine');
  await tp.client.delete(InferenceServiceKind, 'default', 'mine');
});

test('an http:// storageUri is downloaded once into the model cache and served', async () => {
  let downloads = 0;
  const bytes = readFileSync(fileURLToPath(v1));
  const srv = http.createServer((req, res) => {
    if (req.url !== '/models/v1.onnx') return void res.writeHead(404).end();
    downloads++;
    res.end(bytes);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const uri = `http://127.0.0.1:${(srv.address() as { port: number }).port}/models/v1.onnx`;
    await tp.client.apply(InferenceServiceKind, isvcManifest('web', { storageUri: uri, minReplicas: 2 }));
    const o = await waitFor(tp.client, 'web', 'Ready with 2 replicas', (s) => condTrue(s, 'Ready') && s.revisions?.[0]?.readyReplicas === 2);
    assert.equal((await inferV2((o.status as { url: string }).url, 'web', [1, 1])).value, 13);
    assert.equal(downloads, 1);
    await tp.client.apply(InferenceServiceKind, isvcManifest('missing', { storageUri: uri.replace('v1.onnx', 'nope.onnx') }));
    await waitFor(tp.client, 'missing', 'ModelNotFound', (s) => s.conditions?.some((c) => c.type === 'Ready' && c.reason === 'ModelNotFound') === true);
  } finally {
    await tp.client.delete(InferenceServiceKind, 'default', 'web');
    await tp.client.delete(InferenceServiceKind, 'default', 'missing');
    srv.close();
  }
});

test('scale to zero when idle, wake on the next request', async () => {
  await tp.client.apply(InferenceServiceKind, isvcManifest('sleepy', { storageUri: v1, minReplicas: 0 }, {}, {
    'autoscaling.knative.dev/window': '6s',
    'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '0s',
  }));
  const o = await waitFor(tp.client, 'sleepy', 'Ready', (s) => condTrue(s, 'Ready') && (s.revisions?.[0]?.readyReplicas ?? 0) === 1);
  const url = (o.status as { url: string }).url;
  assert.equal((await inferV2(url, 'sleepy', [1, 1])).value, 13);
  await waitFor(tp.client, 'sleepy', 'scaled to zero', (s) => s.conditions?.some((c) => c.type === 'Ready' && c.reason === 'ScaledToZero') === true && (s.revisions?.[0]?.replicas ?? []).length === 0);
  const woke = await inferV2(url, 'sleepy', [2, 2]);
  assert.equal(woke.status, 200);
  assert.equal(woke.value, 2 + 4 + 10);
  const events = (await tp.client.list(EventKind, { namespace: 'default' })).items.filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'sleepy');
  const reasons = events.map((e) => (e as { reason?: string }).reason);
  assert.ok(reasons.includes('ScaledToZero'), reasons.join(','));
  assert.ok(events.some((e) => (e as { reason?: string; message?: string }).reason === 'ScaledUp' && /0 → 1/.test(String((e as { message?: string }).message))), JSON.stringify(events.map((e) => (e as { message?: string }).message)));
});

test('a service following a registry alias holds its version and rolls when the alias moves', async () => {
  const t = { server: tp.url, token: tp.token, namespace: 'default' };
  await pushModel(t, 'mnist', fileURLToPath(v1), { version: '1.0.0', aliases: ['production'] });
  await pushModel(t, 'mnist', fileURLToPath(v2), { version: '2.0.0' });
  await tp.client.apply(InferenceServiceKind, isvcManifest('reg', { model: 'mnist@production' }));
  let o = await waitFor(tp.client, 'reg', 'Ready on 1.0.0', (s) => condTrue(s, 'Ready') && (s.modelVersions ?? []).includes('mnist-v1.0.0'));
  const url = (o.status as { url: string }).url;
  assert.equal((await inferV2(url, 'reg', [1, 1])).value, 13);
  o = await waitFor(tp.client, 'reg', 'holder label', (_s, obj) => obj.metadata.labels?.['capstan.dev/model-version'] === 'mnist-v1.0.0');
  const res = await fetch(`${tp.url}/apis/capstan.dev/v1alpha1/namespaces/default/models/mnist/aliases/production`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.token}`, 'x-capstan-correlation-id': 'alias-flow-1' },
    body: JSON.stringify({ version: '2.0.0', reason: 'better' }),
  });
  assert.equal(res.status, 200, await res.text());
  await waitFor(tp.client, 'reg', 'rolled to 2.0.0', (s, obj) => (s.modelVersions ?? []).join() === 'mnist-v2.0.0' && (s.revisions ?? []).length === 1 && obj.metadata.labels?.['capstan.dev/model-version'] === 'mnist-v2.0.0');
  assert.equal((await inferV2(url, 'reg', [1, 1])).value, 23);
  // The alias move and the rollout it started are one flow in the audit log.
  const audit = (await tp.client.request<{ items: Array<{ verb: string; kind?: string; name?: string; subresource?: string; correlationId: string; user: string }> }>('GET', '/auth/audit?limit=200')).body.items;
  const flow = audit.filter((r) => r.correlationId === 'alias-flow-1');
  assert.ok(flow.some((r) => r.verb === 'update' && r.subresource === 'aliases/production' && r.user === 'admin'), JSON.stringify(flow));
  assert.ok(flow.some((r) => r.verb === 'rollout' && r.kind === 'InferenceService' && r.name === 'reg' && r.user === 'system:controller:inferenceservice'), JSON.stringify(flow));
  // rollback returns to the previous stable revision's exact version
  assert.match(await cli(['rollout', 'rollback', 'isvc/reg']), /rolled back/);
  const back = await waitFor(tp.client, 'reg', 'back on 1.0.0', (s) => (s.modelVersions ?? []).join() === 'mnist-v1.0.0' && (s.revisions ?? []).length === 1);
  assert.equal((back.spec as { predictor: { model: string } }).predictor.model, 'mnist@1.0.0');
  assert.equal((await inferV2(url, 'reg', [1, 1])).value, 13);
});

test('stopping the platform leaves no replica process behind', async () => {
  const pids: number[] = [];
  for (const o of (await tp.client.list(InferenceServiceKind, { namespace: 'default' })).items) {
    for (const r of (o.status as { revisions?: Array<{ replicas?: Array<{ pid?: number }> }> }).revisions ?? []) for (const x of r.replicas ?? []) if (x.pid) pids.push(x.pid);
  }
  assert.ok(pids.length > 0);
  stopped = true;
  await tp.stop();
  const alive = pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, []);
});
