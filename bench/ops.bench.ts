/**
 * Operations benchmark. (1) Backup and restore of a SQLite platform with `--objects N` objects
 * (default 20,000) and `--blob-mib M` MiB of model blobs (default 1024, in 64 MiB files) against
 * a plain recursive copy of the data dir (+ sync) in the same run: time and size. (2) API p99 of
 * GET requests on an in-process platform with those objects, idle and while a backup of the same
 * store runs in the same process (the BackupSchedule case). (3) Failover: `--kills K` (default 20)
 * kill -9s of the leader among three `capstan up` on one PostgreSQL, time from the kill to the
 * lease held by another server. The machine is shared: the load average is printed. Prints a
 * table, then one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { FsBlobStore } from '../src/artifacts/fs-blob-store.js';
import { DirBackupTarget } from '../src/ops/backup-target.js';
import { createBackup } from '../src/ops/backup.js';
import { restoreBackup } from '../src/ops/restore.js';
import { sqlitePath, withRestoreStore } from '../src/ops/store-location.js';
import { loadServerConfig } from '../src/server/config.js';
import { startPlatform } from '../src/server/platform.js';
import { SqliteBackend } from '../src/store/sqlite-backend.js';
import { CapstanCluster } from '../test/support/capstan-cluster.js';
import { postgresUnavailableReason, startPostgres } from '../test/support/postgres-server.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? def : Number(process.argv[i + 1]);
};
const OBJECTS = arg('objects', 20_000);
const BLOB_MIB = arg('blob-mib', 1024);
const KILLS = arg('kills', 20);
/** `--parts backup,api,failover` (default all) runs only some parts. */
const PARTS = (() => {
  const i = process.argv.indexOf('--parts');
  return new Set(i < 0 ? ['backup', 'api', 'failover'] : process.argv[i + 1].split(','));
})();
const secs = (t0: number) => (performance.now() - t0) / 1000;
const du = (p: string) => Number(execFileSync('du', ['-sb', p]).toString().split('\t')[0]);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function seed(dataDir: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const b = new SqliteBackend({ path: sqlitePath(dataDir) });
  await b.migrate();
  const blobs = new FsBlobStore({ root: join(dataDir, 'blobs') });
  const digests: string[] = [];
  for (let left = BLOB_MIB; left > 0; left -= 64) {
    const mib = Math.min(64, left);
    const chunks = Array.from({ length: mib }, () => randomBytes(1024 * 1024));
    digests.push((await blobs.put(Readable.from(chunks))).sha256);
  }
  const pad = 'x'.repeat(700);
  for (let i = 0; i < OBJECTS; i += 1000) {
    const ops = [];
    for (let j = i; j < Math.min(OBJECTS, i + 1000); j++) {
      const isVersion = j < digests.length;
      const resource = isVersion ? 'capstan.dev/modelversions' : 'capstan.dev/things';
      const name = `o${j}`;
      const object = { apiVersion: 'capstan.dev/v1alpha1', kind: isVersion ? 'ModelVersion' : 'Thing', metadata: { name, namespace: 'default', uid: `u${j}`, resourceVersion: '', generation: 1, creationTimestamp: new Date().toISOString() }, spec: isVersion ? { artifact: { sha256: digests[j], size: 0 } } : { pad } };
      ops.push({ type: 'create' as const, key: { resource, namespace: 'default', name }, object });
    }
    await b.commit(ops);
  }
  await b.close();
}

async function backupRestore(root: string) {
  const src = join(root, 'src');
  await seed(src);
  const dataBytes = du(src);
  let t0 = performance.now();
  cpSync(src, join(root, 'copy'), { recursive: true });
  execFileSync('sync');
  const copySeconds = secs(t0);
  const target = new DirBackupTarget(join(root, 'target'));
  const backend = new SqliteBackend({ path: sqlitePath(src) });
  t0 = performance.now();
  const m = await createBackup({ backend, artifacts: new FsBlobStore({ root: join(src, 'blobs') }), target, now: new Date() });
  const backupSeconds = secs(t0);
  t0 = performance.now();
  const m2 = await createBackup({ backend, artifacts: new FsBlobStore({ root: join(src, 'blobs') }), target, now: new Date(Date.now() + 1000) });
  const incrementalSeconds = secs(t0);
  await backend.close();
  const backupBytes = du(join(root, 'target'));
  const dst = join(root, 'restored');
  t0 = performance.now();
  await withRestoreStore({ dataDir: dst }, (b) => restoreBackup({ target, id: m.id, backend: b, artifacts: new FsBlobStore({ root: join(dst, 'blobs') }) }), () => new Error('not empty'));
  execFileSync('sync');
  const restoreSeconds = secs(t0);
  rmSync(join(root, 'copy'), { recursive: true, force: true });
  rmSync(dst, { recursive: true, force: true });
  return { objects: m.snapshot.objects, dataBytes, backupBytes, snapshotBytes: m.snapshot.size, copySeconds, backupSeconds, incrementalSeconds, incrementalCopiedBytes: m2.copiedBytes, restoreSeconds, restoreVsCopy: restoreSeconds / copySeconds };
}

async function apiDuringBackup(root: string) {
  const dataDir = join(root, 'src');
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
  const p = await startPlatform(cfg, { modules: [] }, pino({ level: 'silent' }));
  const token = p.adminToken ?? (await import('node:fs')).readFileSync(p.adminTokenFile, 'utf8').trim();
  const measure = async (until: () => boolean) => {
    const lat: number[] = [];
    while (!until()) {
      const t0 = performance.now();
      const r = await fetch(`${p.url}/apis/capstan.dev/v1alpha1/namespaces/default/events?limit=10`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      lat.push(performance.now() - t0);
    }
    return lat;
  };
  // Warm up first (JIT, the platform's own start-up writes), so the idle figure is the steady state.
  let end = performance.now() + 3000;
  await measure(() => performance.now() > end);
  end = performance.now() + 5000;
  const idle = await measure(() => performance.now() > end);
  let done = false;
  const target = new DirBackupTarget(join(root, 'target-live'));
  const t0 = performance.now();
  const backup = createBackup({ backend: new SqliteBackend({ path: sqlitePath(dataDir) }), artifacts: new FsBlobStore({ root: join(dataDir, 'blobs') }), target, now: new Date() }).finally(() => (done = true));
  const during = await measure(() => done);
  await backup;
  const backupSeconds = secs(t0);
  end = 0;
  await p.stop();
  return { idleP50: pct(idle, 50), idleP99: pct(idle, 99), duringP50: pct(during, 50), duringP99: pct(during, 99), duringRequests: during.length, backupSeconds };
}

async function failover() {
  const reason = postgresUnavailableReason();
  if (reason) return { skipped: reason };
  const pgs = await startPostgres();
  const c = new CapstanCluster(pgs.connectionString);
  const times: number[] = [];
  try {
    await c.add();
    await Promise.all([c.add(), c.add()]);
    let { token } = await c.waitForLeader(0);
    const first = token;
    for (let k = 0; k < KILLS; k++) {
      // Replace dead servers one at a time (a supervisor would), so starts do not pile up on this machine.
      while (c.servers.length < 3) await c.add().catch((err: Error) => process.stderr.write(`a server did not start: ${err.message.slice(0, 200)}\n`));
      const leader = await c.leader();
      if (!leader) throw new Error('no live leader');
      const t0 = performance.now();
      await c.kill(leader);
      const next = await c.waitForLeader(token, 60_000);
      times.push(performance.now() - t0);
      token = next.token;
      process.stderr.write(`kill ${k + 1}/${KILLS}: ${(times[times.length - 1] / 1000).toFixed(2)} s\n`);
    }
    return { kills: KILLS, leaderChanges: token - first, p50: pct(times, 50), p90: pct(times, 90), p99: pct(times, 99), max: Math.max(...times), times: times.map((t) => Math.round(t)) };
  } finally {
    await c.stop();
    await pgs.stop();
  }
}

const root = mkdtempSync(join(tmpdir(), 'capstan-bench-ops-'));
try {
  const load = loadavg()[0];
  const none = { objects: 0, dataBytes: 0, backupBytes: 0, snapshotBytes: 0, copySeconds: 0, backupSeconds: 0, incrementalSeconds: 0, incrementalCopiedBytes: 0, restoreSeconds: 0, restoreVsCopy: 0 };
  const br = PARTS.has('backup') ? await backupRestore(root) : none;
  process.stderr.write(`backup/restore: ${JSON.stringify(br)}\n`);
  if (!PARTS.has('backup') && PARTS.has('api')) await seed(join(root, 'src'));
  const api = PARTS.has('api') ? await apiDuringBackup(root) : { idleP50: 0, idleP99: 0, duringP50: 0, duringP99: 0, duringRequests: 0, backupSeconds: 0 };
  process.stderr.write(`api: ${JSON.stringify(api)}\n`);
  const fo = PARTS.has('failover') ? await failover() : { skipped: 'not asked (--parts)' };
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
  console.log(`load average ${load.toFixed(1)} at start (2 cores, shared machine)`);
  console.log(`objects ${br.objects}, data dir ${mib(br.dataBytes)} (${BLOB_MIB} MiB of model blobs)`);
  if (PARTS.has('backup')) console.table([
    { what: 'plain copy (cp -r + sync)', seconds: br.copySeconds.toFixed(2), size: mib(br.dataBytes) },
    { what: 'backup create (full)', seconds: br.backupSeconds.toFixed(2), size: mib(br.backupBytes) },
    { what: 'backup create (incremental, unchanged)', seconds: br.incrementalSeconds.toFixed(2), size: `${mib(br.incrementalCopiedBytes)} copied` },
    { what: 'restore (verified, + sync)', seconds: br.restoreSeconds.toFixed(2), size: `x${br.restoreVsCopy.toFixed(2)} of copy` },
  ]);
  console.table([
    { what: 'API GET p50/p99 idle (ms)', value: `${api.idleP50.toFixed(1)} / ${api.idleP99.toFixed(1)}` },
    { what: 'API GET p50/p99 during backup (ms)', value: `${api.duringP50.toFixed(1)} / ${api.duringP99.toFixed(1)} (${api.duringRequests} requests, backup ${api.backupSeconds.toFixed(1)} s)` },
    { what: `failover over ${KILLS} leader kills p50/p90/p99/max (s)`, value: 'skipped' in fo ? fo.skipped : `${(fo.p50 / 1000).toFixed(2)} / ${(fo.p90 / 1000).toFixed(2)} / ${(fo.p99 / 1000).toFixed(2)} / ${(fo.max / 1000).toFixed(2)} (${fo.leaderChanges} leader changes)` },
  ]);
  console.log(JSON.stringify({ bench: 'ops', loadAverage: load, blobMiB: BLOB_MIB, backupRestore: br, api, failover: fo }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
