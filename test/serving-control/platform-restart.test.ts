/**
 * The real `capstan up` as a child process, killed with SIGKILL and started again on the same data dir:
 * no replica process (model servers, a training replica and its children) outlives it, leftovers whose
 * lifeline was cut are reaped at the next start, services come back Ready, and canary splits, revisions,
 * promote and rollback are the same after the restart as before.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceServiceKind, type InferenceServiceSpec, type InferenceServiceStatus } from '../../src/api/kinds/inference-service.js';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import type { TrainingJobStatus } from '../../src/api/kinds/training-job-schema.js';
import { HttpClient } from '../../src/client/http-client.js';
import { promotePatch, rollbackPatch } from '../../src/cli/extensions/serving-commands.js';
import { allProcesses, procInfo, processGone } from '../../src/runtime/local/index.js';
import { startServerProcess, type ServerProcess } from '../support/spawn-capstan.js';
import { condTrue, inferV2, isvcManifest, waitFor, writeModel, useGatewayToken } from './isvc-helpers.js';

let dir: string;
let dataDir: string;
let v1: string;
let v2: string;
let server: ServerProcess | undefined;
let client: HttpClient;
const pidFile = (): string => join(dir, 'trainer.pids');

async function start(): Promise<void> {
  server = await startServerProcess(dataDir);
  client = new HttpClient({ server: server.url, token: readFileSync(join(dataDir, 'admin.token'), 'utf8').trim(), timeoutMs: 10_000 });
  useGatewayToken(readFileSync(join(dataDir, 'admin.token'), 'utf8').trim());
}

/** Replica pids of the platform run that was killed: a status naming one is from before the restart. */
const stalePids = new Set<number>();
const staleStart = new Map<number, number>();

async function crash(): Promise<void> {
  for (const pid of (await replicaGroups()).keys()) {
    stalePids.add(pid);
    staleStart.set(pid, procInfo(pid)?.startTicks ?? -1);
  }
  const s = server!;
  server = undefined;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await exited;
}

async function poll<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every process in the process groups of the running replicas: model servers (pid = group) and the trainer. */
async function replicaGroups(): Promise<Map<number, string>> {
  const groups = new Map<number, string>();
  for (const o of (await client.list(InferenceServiceKind, { namespace: 'default' })).items) {
    for (const r of (o.status as InferenceServiceStatus).revisions ?? []) for (const x of r.replicas ?? []) if (x.pid) groups.set(x.pid, `${o.metadata.name}/${r.name}/${x.index}`);
  }
  const [trainer] = readFileSync(pidFile(), 'utf8').trim().split(' ').map(Number);
  groups.set(trainer!, 'trainingjob/sleeper');
  return groups;
}

/** True when the process runs /bin/sh (the lifeline watcher of a group, when it is not the leader). */
function isShell(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes('(sh)');
  } catch {
    return false;
  }
}

function members(groups: Map<number, string>): number[] {
  return allProcesses().filter((p) => groups.has(p.pgrp)).map((p) => p.pid);
}

async function allReady(): Promise<void> {
  // only a status written by this run counts: every replica it names is a new process, and ready
  const fresh = (s: InferenceServiceStatus): boolean => (s.revisions ?? []).length > 0 && (s.revisions ?? []).every((r) => r.readyReplicas >= r.desiredReplicas && (r.replicas ?? []).length >= r.desiredReplicas && (r.replicas ?? []).every((x) => x.pid !== undefined && !stalePids.has(x.pid)));
  for (const name of ['plain', 'split', 'kserve']) await waitFor(client, name, `${name} Ready`, (s) => condTrue(s, 'Ready') && fresh(s), 120_000);
  await poll('the training job running with its pid file', async () => {
    const s = ((await client.get(TrainingJobKind, 'default', 'sleeper')).status ?? {}) as TrainingJobStatus;
    return s.phase === 'Running' && existsSync(pidFile());
  });
}

/** The parts of a service's status that decide traffic: revisions (name, role, model) and the split. */
async function routing(name: string): Promise<unknown> {
  const s = (await client.get(InferenceServiceKind, 'default', name)).status as InferenceServiceStatus;
  return {
    stable: s.stableRevision,
    latest: s.latestRevision,
    revisions: (s.revisions ?? []).map((r) => ({ name: r.name, role: r.role, sha256: r.model.sha256, desired: r.desiredReplicas })).sort((a, b) => a.name.localeCompare(b.name)),
    traffic: [...(s.traffic ?? [])].sort((a, b) => a.revision.localeCompare(b.revision)),
  };
}

/** Answers of 20 requests by value (the gateway's weighted choice is deterministic: 20 requests show the split). */
async function answers(name: string): Promise<Record<string, number>> {
  const url = ((await client.get(InferenceServiceKind, 'default', name)).status as InferenceServiceStatus).url!;
  const out: Record<string, number> = {};
  for (let i = 0; i < 20; i++) {
    const r = await inferV2(url, name, [1, 1]);
    assert.equal(r.status, 200);
    out[String(r.value)] = (out[String(r.value)] ?? 0) + 1;
  }
  return out;
}

const before1: Record<string, unknown> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-restart-'));
  dataDir = join(dir, 'data');
  v1 = writeModel(dir, 'v1', 10); // answers 13 for [1, 1]
  v2 = writeModel(dir, 'v2', 20); // answers 23
  await start();
});

after(async () => {
  if (server) {
    const exited = new Promise((r) => server!.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
  }
  // a failed run must not leak: old groups still led by the very process recorded go now
  for (const [pid, start] of staleStart) {
    if (procInfo(pid)?.startTicks !== start) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('a platform killed with SIGKILL leaves no replica process or process tree behind', async () => {
  await client.apply(InferenceServiceKind, isvcManifest('plain', { storageUri: v1 }));
  await client.apply(InferenceServiceKind, isvcManifest('split', { storageUri: v1 }, { canary: { storageUri: v2, trafficPercent: 25 } }));
  // KServe's form: a new predictor with canaryTrafficPercent keeps the previous revision as the stable one
  await client.apply(InferenceServiceKind, isvcManifest('kserve', { storageUri: v1 }));
  await waitFor(client, 'kserve', 'kserve on v1', (s) => condTrue(s, 'Ready'), 120_000);
  await client.apply(InferenceServiceKind, isvcManifest('kserve', { storageUri: v2, canaryTrafficPercent: 30 }));
  // a trainer whose command starts a child of its own: the whole tree must go
  const trainer = `const c = require('node:child_process').spawn('sleep', ['1000'], { stdio: 'ignore' }); require('node:fs').writeFileSync(process.env.PID_FILE, process.pid + ' ' + c.pid); setInterval(() => {}, 1e6);`;
  await client.apply(TrainingJobKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'sleeper', namespace: 'default' }, spec: { replicaSpecs: { Worker: { template: { command: [process.execPath, '-e', trainer], env: [{ name: 'PID_FILE', value: pidFile() }] }, restartPolicy: 'OnFailure' } } } });
  await allReady();
  await waitFor(client, 'kserve', 'the KServe canary split', (s) => (s.traffic ?? []).length === 2 && condTrue(s, 'CanaryReady'));
  await waitFor(client, 'split', 'the canary split', (s) => (s.traffic ?? []).length === 2 && condTrue(s, 'CanaryReady'));
  for (const name of ['split', 'kserve']) before1[name] = { routing: await routing(name), answers: await answers(name) };
  assert.deepEqual(before1.split && (before1.split as { answers: unknown }).answers, { 13: 15, 23: 5 });
  assert.deepEqual(before1.kserve && (before1.kserve as { answers: unknown }).answers, { 13: 14, 23: 6 });

  const groups = await replicaGroups();
  assert.equal(groups.size, 6, `5 model servers and a trainer: ${JSON.stringify([...groups])}`);
  const tree = members(groups);
  const [, grandchild] = readFileSync(pidFile(), 'utf8').trim().split(' ').map(Number);
  assert.ok(tree.includes(grandchild!), 'the trainer\'s child is in its group');
  await crash();
  await poll('every replica process gone after the platform was killed', () => tree.every(processGone) && members(groups).length === 0, 30_000);
});

test('restarted on the same data dir, services come back Ready with the same revisions and canary splits', async () => {
  rmSync(pidFile(), { force: true });
  await start();
  await allReady();
  for (const name of ['split', 'kserve']) {
    await waitFor(client, name, `${name} split back`, (s) => (s.traffic ?? []).length === 2 && condTrue(s, 'CanaryReady'), 120_000);
    assert.deepEqual({ routing: await routing(name), answers: await answers(name) }, before1[name], `${name} after the restart`);
  }
});

test('promote and rollback still work after the restart', async () => {
  const kserve = await client.get(InferenceServiceKind, 'default', 'kserve');
  await client.patch(InferenceServiceKind, 'default', 'kserve', rollbackPatch(kserve.spec as InferenceServiceSpec, kserve.status as InferenceServiceStatus));
  await waitFor(client, 'kserve', 'rolled back to the stable revision', (s) => s.traffic?.length === 1 && s.traffic[0]!.percent === 100 && s.traffic[0]!.revision === s.stableRevision);
  assert.deepEqual(await answers('kserve'), { 13: 20 });
  const split = await client.get(InferenceServiceKind, 'default', 'split');
  await client.patch(InferenceServiceKind, 'default', 'split', promotePatch(split.spec as InferenceServiceSpec));
  await waitFor(client, 'split', 'promoted', (s) => (s.revisions ?? []).length === 1 && s.traffic?.[0]?.percent === 100 && condTrue(s, 'Ready'), 120_000);
  assert.deepEqual(await answers('split'), { 23: 20 });
});

test('leftovers of a crash whose lifelines were cut are reaped when the platform starts again', async () => {
  const groups = await replicaGroups();
  // cut every lifeline: the watcher is the group's `sh` that is not the leader
  for (const p of allProcesses()) {
    if (!groups.has(p.pgrp) || p.pid === p.pgrp) continue;
    if (!isShell(p.pid)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await poll('the watchers gone', () => allProcesses().every((p) => !groups.has(p.pgrp) || p.pid === p.pgrp || !isShell(p.pid)));
  const tree = members(groups);
  await crash();
  // without a lifeline nothing ends them: the leak the ledger is for
  const leaders = [...groups.keys()];
  assert.deepEqual(leaders.filter((pid) => processGone(pid)), [], 'the replicas outlive the killed platform');
  rmSync(pidFile(), { force: true });
  await start();
  // reaped before the platform listens (and before any new replica starts)
  assert.deepEqual(tree.filter((pid) => !processGone(pid) && groups.has(procInfo(pid)?.pgrp ?? -1)), []);
  await allReady();
});
