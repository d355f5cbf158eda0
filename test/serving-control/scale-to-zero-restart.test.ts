/**
 * A service the autoscaler scaled to zero stays at zero across a platform restart: the real `capstan up` as a
 * child process, killed with SIGKILL and started again on the same data dir. The restarted platform starts no
 * replica for it, keeps the autoscaler's record in status, and the first request wakes it (held by the gateway).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventKind } from '../../src/api/kinds/event.js';
import type { InferenceServiceStatus } from '../../src/api/kinds/inference-service.js';
import { InferenceServiceKind } from '../../src/api/kinds/inference-service.js';
import { HttpClient } from '../../src/client/http-client.js';
import { startServerProcess, type ServerProcess } from '../support/spawn-capstan.js';
import { condTrue, inferV2, isvcManifest, waitFor, writeModel, useGatewayToken } from './isvc-helpers.js';

let dir: string;
let dataDir: string;
let v1: string;
let server: ServerProcess | undefined;
let client: HttpClient;
let portHolder: net.Server | undefined;

async function start(): Promise<void> {
  server = await startServerProcess(dataDir);
  client = new HttpClient({ server: server.url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(), timeoutMs: 10_000 });
  useGatewayToken(readFileSync(join(dataDir, 'admin.token'), 'utf8').trim());
}

async function stop(signal: NodeJS.Signals): Promise<void> {
  const s = server!;
  server = undefined;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill(signal);
  await exited;
}

const scaledToZero = (s: InferenceServiceStatus): boolean =>
  s.conditions?.some((c) => c.type === 'Ready' && c.reason === 'ScaledToZero') === true && (s.revisions ?? []).length === 1 && s.revisions![0]!.desiredReplicas === 0 && (s.revisions![0]!.replicas ?? []).length === 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-zero-restart-'));
  dataDir = join(dir, 'data');
  v1 = writeModel(dir, 'v1', 10); // answers 13 for [1, 1]
  await start();
});

after(async () => {
  if (server) await stop('SIGTERM');
  await new Promise((r) => (portHolder ? portHolder.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

test('scaled to zero before a SIGKILL, the service stays at zero after the restart and wakes on a request', async () => {
  await client.apply(InferenceServiceKind, isvcManifest('sleepy', { storageUri: v1, minReplicas: 0 }, {}, {
    'autoscaling.knative.dev/window': '6s',
    'autoscaling.knative.dev/scale-to-zero-pod-retention-period': '0s',
  }));
  const o = await waitFor(client, 'sleepy', 'Ready', (s) => condTrue(s, 'Ready') && (s.revisions?.[0]?.readyReplicas ?? 0) === 1, 120_000);
  const oldUrl = (o.status as InferenceServiceStatus).url!;
  assert.equal((await inferV2(oldUrl, 'sleepy', [1, 1])).value, 13);
  const zero = await waitFor(client, 'sleepy', 'scaled to zero', scaledToZero, 120_000);
  const revision = (zero.status as InferenceServiceStatus).revisions![0]!.name;
  assert.equal((zero.status as InferenceServiceStatus).autoscaler?.desiredReplicas, 0);

  await stop('SIGKILL');
  // the old gateway port stays taken, so a status naming a new gateway URL is one the restarted platform wrote
  portHolder = net.createServer();
  await new Promise<void>((resolve, reject) => portHolder!.once('error', reject).listen(Number(new URL(oldUrl).port), '127.0.0.1', resolve));
  await start();
  const back = await waitFor(client, 'sleepy', 'a status from the restarted platform', (s) => s.url !== undefined && s.url !== oldUrl && (s.revisions ?? []).length > 0, 120_000);
  const st = back.status as InferenceServiceStatus;
  assert.ok(scaledToZero(st), `still at zero after the restart: ${JSON.stringify(st)}`);
  assert.equal(st.revisions![0]!.name, revision);
  assert.equal(st.autoscaler?.desiredReplicas, 0, 'the autoscaler record is kept');

  // the first request is held while the service wakes, and answered
  const woke = await inferV2(st.url!, 'sleepy', [2, 2]);
  assert.equal(woke.status, 200);
  assert.equal(woke.value, 2 + 4 + 10);
  const events = (await client.list(EventKind, { namespace: 'default' })).items.filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'sleepy');
  assert.ok(events.some((e) => (e as { reason?: string; message?: string }).reason === 'ScaledUp' && /0 → 1: request arrived/.test(String((e as { message?: string }).message))), JSON.stringify(events.map((e) => (e as { message?: string }).message)));
});
