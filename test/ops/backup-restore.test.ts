/**
 * Backup and restore through the library on real SQLite files, a real filesystem blob store and
 * s3rver: round trip, incremental blobs, one project, and every bad input the issue names
 * (corrupt/truncated backup, newer version, non-empty target, unreachable S3) failing with a
 * clear error and leaving nothing half-restored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { KubeObject } from '../../src/api/meta.js';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { blobKey } from '../../src/artifacts/digest.js';
import { BackupError, renderManifest, type BackupManifest } from '../../src/ops/backup-manifest.js';
import { DirBackupTarget, openBackupTarget } from '../../src/ops/backup-target.js';
import { createBackup } from '../../src/ops/backup.js';
import { listBackups, pruneBackups, restoreBackup, verifyBackup } from '../../src/ops/restore.js';
import { sqlitePath, withRestoreStore } from '../../src/ops/store-location.js';
import { ObjectStore, type ResourceInfo } from '../../src/store/object-store.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';
import { startS3TestServer, type S3TestServer } from '../artifacts/s3-test-server.js';

const Project: ResourceInfo = { resource: 'capstan.dev/projects', kind: 'Project', apiVersion: 'capstan.dev/v1alpha1', namespaced: false };
const Version: ResourceInfo = { resource: 'capstan.dev/modelversions', kind: 'ModelVersion', apiVersion: 'capstan.dev/v1alpha1', namespaced: true };
const Thing: ResourceInfo = { resource: 'capstan.dev/things', kind: 'Thing', apiVersion: 'capstan.dev/v1alpha1', namespaced: true };

const root = mkdtempSync(join(tmpdir(), 'capstan-backup-'));
let n = 0;
const fresh = () => join(root, `d${n++}`);
after(() => rmSync(root, { recursive: true, force: true }));

/** A platform's state: SQLite in a data dir and its artifact blobs, with two projects and models. */
async function seed(dataDir = fresh()): Promise<{ dataDir: string; backend: SqliteBackend; store: ObjectStore; artifacts: FsBlobStore; addVersion(ns: string, name: string, bytes: string): Promise<string> }> {
  mkdirSync(dataDir, { recursive: true });
  const backend = new SqliteBackend({ path: sqlitePath(dataDir) });
  await backend.migrate();
  const store = new ObjectStore(backend);
  const artifacts = new FsBlobStore({ root: join(dataDir, 'blobs') });
  for (const p of ['p1', 'p2']) {
    await store.create(Project, { apiVersion: Project.apiVersion, kind: 'Project', metadata: { name: p } as KubeObject['metadata'], spec: {} });
    for (let i = 0; i < 20; i++) await store.create(Thing, { apiVersion: Thing.apiVersion, kind: 'Thing', metadata: { name: `t${i}`, namespace: p } as KubeObject['metadata'], spec: { i } });
  }
  await backend.setMeta('admin_token_sha256', 'abc');
  const addVersion = async (ns: string, name: string, bytes: string) => {
    const put = await artifacts.put(Readable.from([Buffer.from(bytes)]));
    await store.create(Version, { apiVersion: Version.apiVersion, kind: 'ModelVersion', metadata: { name, namespace: ns } as KubeObject['metadata'], spec: { artifact: { sha256: put.sha256, size: put.size } } });
    return put.sha256;
  };
  await addVersion('p1', 'm-1', 'model one');
  await addVersion('p2', 'm-1', 'model two');
  return { dataDir, backend, store, artifacts, addVersion };
}

async function dump(backend: SqliteBackend): Promise<string[]> {
  const snap = await backend.exportSnapshot();
  const out: string[] = [];
  for await (const page of snap.rows()) for (const r of page) out.push(`${r.resource} ${r.namespace}/${r.name} ${r.data}`);
  await snap.close();
  return out;
}

test('round trip: whole platform into an empty data dir, blobs incremental, verify and list', async () => {
  const src = await seed();
  const target = new DirBackupTarget(fresh());
  const m1 = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date('2026-01-01T00:00:00Z') });
  assert.equal(m1.snapshot.objects, 2 + 40 + 2);
  assert.equal(m1.blobs.length, 2);
  assert.equal(m1.copiedBlobs, 2);
  const m2 = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date('2026-01-02T00:00:00Z') });
  assert.equal(m2.copiedBlobs, 0, 'unchanged blobs are not copied again');
  await src.addVersion('p1', 'm-2', 'model three');
  const m3 = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date('2026-01-03T00:00:00Z') });
  assert.equal(m3.copiedBlobs, 1);
  assert.deepEqual((await listBackups(target)).map((b) => b.id), [m1.id, m2.id, m3.id]);
  assert.equal((await verifyBackup(target, 'latest')).objects, m3.snapshot.objects);

  const dst = fresh();
  const artifacts = new FsBlobStore({ root: join(dst, 'blobs') });
  const r = await withRestoreStore({ dataDir: dst }, (b) => restoreBackup({ target, id: m3.id, backend: b, artifacts }), () => new Error('not empty'));
  assert.equal(r.objects, m3.snapshot.objects);
  assert.equal(r.blobsCopied, 3);
  const restored = new SqliteBackend({ path: sqlitePath(dst) });
  try {
    assert.deepEqual(await dump(restored), await dump(src.backend));
    assert.equal(await restored.getMeta('admin_token_sha256'), 'abc');
    for (const b of m3.blobs) assert.ok(await artifacts.has(b.sha256));
    // The restored store goes on from the snapshot's resourceVersion.
    const next = await new ObjectStore(restored).create(Thing, { apiVersion: Thing.apiVersion, kind: 'Thing', metadata: { name: 'new', namespace: 'p1' } as KubeObject['metadata'], spec: {} });
    assert.ok(Number(next.metadata.resourceVersion) > m3.rv);
  } finally {
    await restored.close();
    await src.backend.close();
  }
});

test('retention keeps the newest and deletes blobs no remaining backup references', async () => {
  const src = await seed();
  const dir = fresh();
  const target = new DirBackupTarget(dir);
  const old = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date('2026-01-01T00:00:00Z'), schedule: 's' });
  await src.store.delete(Version, 'p2', 'm-1');
  const kept = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date('2026-01-09T00:00:00Z'), schedule: 's' });
  const r = await pruneBackups(target, { schedule: 's', keepLast: 1, graceMs: 0 }, new Date(Date.now() + 1000));
  assert.deepEqual(r.deleted, [old.id]);
  assert.ok(r.blobsDeleted >= 2, 'the old snapshot and the deleted version\'s artifact went');
  assert.equal((await verifyBackup(target, kept.id)).id, kept.id);
  await src.backend.close();
});

test('one project: exported alone, restored into a store that lacks it, refused when it exists', async () => {
  const src = await seed();
  const target = new DirBackupTarget(fresh());
  const m = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date(), project: 'p1' });
  assert.equal(m.project, 'p1');
  assert.equal(m.snapshot.objects, 1 + 20 + 1);
  assert.equal(m.blobs.length, 1);
  const other = await seed();
  // Empty p1 in the other platform (keep p2): the project restore brings p1 back.
  for (const k of await other.backend.listNamespace('p1')) await other.backend.commit([{ type: 'delete', key: k, expectedRv: 0 }]);
  await other.backend.commit([{ type: 'delete', key: { resource: Project.resource, namespace: '', name: 'p1' }, expectedRv: 0 }]);
  const r = await restoreBackup({ target, id: m.id, backend: other.backend, artifacts: other.artifacts });
  assert.equal(r.objects, 22);
  assert.equal((await other.store.get(Thing, 'p1', 't3')).spec && true, true);
  await assert.rejects(restoreBackup({ target, id: m.id, backend: other.backend, artifacts: other.artifacts }), (e: unknown) => e instanceof BackupError && e.reason === 'TargetNotEmpty' && /already exists/.test(e.message));
  await src.backend.close();
  await other.backend.close();
});

/** Restores `id` from `target` into a fresh data dir, expecting failure; checks nothing was left. */
async function restoreFails(target: DirBackupTarget, id: string, pattern: RegExp): Promise<void> {
  const dst = fresh();
  const artifacts = new FsBlobStore({ root: join(dst, 'blobs') });
  await assert.rejects(
    withRestoreStore({ dataDir: dst }, (b) => restoreBackup({ target, id, backend: b, artifacts }), () => new Error('not empty')),
    (e: unknown) => {
      assert.match((e as Error).message, pattern);
      return true;
    },
  );
  assert.ok(!existsSync(sqlitePath(dst)), 'no database was left behind');
  assert.deepEqual(existsSync(join(dst, 'blobs', 'blobs')) ? readdirSync(join(dst, 'blobs', 'blobs', 'sha256')).flatMap((d) => readdirSync(join(dst, 'blobs', 'blobs', 'sha256', d))) : [], [], 'no artifact blob was left behind');
}

test('bad backups: truncated snapshot, damaged blob, edited/truncated manifest, newer version: clear errors, nothing restored', async () => {
  const src = await seed();
  const dir = fresh();
  const target = new DirBackupTarget(dir);
  const m = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date() });
  const manifestFile = join(dir, 'backups', `${m.id}.json`);
  const good = readFileSync(manifestFile, 'utf8');
  const snapFile = join(dir, ...blobKey(m.snapshot.sha256).split('/'));
  const snapBytes = readFileSync(snapFile);

  // Truncated snapshot: the size no longer matches; caught before anything is written.
  truncateSync(snapFile, Math.floor(snapBytes.length / 2));
  await restoreFails(target, m.id, /truncated|bytes/);
  await assert.rejects(verifyBackup(target, m.id), /truncated|bytes/);
  // Same size, damaged content: caught by the digest check inside the import, which rolls back.
  const damaged = Buffer.from(snapBytes);
  damaged[damaged.length - 20] ^= 0xff;
  writeFileSync(snapFile, damaged);
  await restoreFails(target, m.id, /damaged|digest|does not match|truncated/);
  writeFileSync(snapFile, snapBytes);

  // A damaged artifact blob (same size).
  const blobFile = join(dir, ...blobKey(m.blobs[0].sha256).split('/'));
  const blobBytes = readFileSync(blobFile);
  writeFileSync(blobFile, Buffer.from(blobBytes.toString().toUpperCase()));
  await restoreFails(target, m.id, /artifact blob .* is damaged/);
  await assert.rejects(verifyBackup(target, m.id), /does not hash/);
  writeFileSync(blobFile, blobBytes);

  // An edited manifest fails its checksum; a truncated one is not JSON.
  writeFileSync(manifestFile, good.replace(`"rv": ${m.rv}`, `"rv": ${m.rv + 1}`));
  await restoreFails(target, m.id, /checksum does not match/);
  writeFileSync(manifestFile, good.slice(0, good.length / 2));
  await restoreFails(target, m.id, /not valid JSON/);

  // A backup from a newer Capstan: newer store schema, or a newer format.
  const { checksum: _c, ...body } = JSON.parse(good) as BackupManifest;
  writeFileSync(manifestFile, renderManifest({ ...body, schemaVersion: 99 }));
  await restoreFails(target, m.id, /schema 99.*upgrade Capstan/);
  writeFileSync(manifestFile, JSON.stringify({ ...body, format: 'capstan-backup/2' }));
  await restoreFails(target, m.id, /newer Capstan/);
  writeFileSync(manifestFile, good);
  await restoreFails(target, 'nope', /not found/);
  assert.equal((await verifyBackup(target, m.id)).id, m.id, 'the repaired backup is intact again');
  await src.backend.close();
});

test('restore into a non-empty data dir is refused and changes nothing', async () => {
  const src = await seed();
  const target = new DirBackupTarget(fresh());
  const m = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date() });
  const other = await seed();
  const before = await dump(other.backend);
  await other.backend.close();
  await assert.rejects(
    withRestoreStore({ dataDir: other.dataDir }, (b) => restoreBackup({ target, id: m.id, backend: b, artifacts: other.artifacts }), (k) => new BackupError('TargetNotEmpty', `not empty (${k} objects)`)),
    /not empty \(44 objects\)/,
  );
  const again = new SqliteBackend({ path: sqlitePath(other.dataDir) });
  assert.deepEqual(await dump(again), before);
  await again.close();
  await src.backend.close();
});

let s3: S3TestServer | undefined;
before(async () => {
  s3 = await startS3TestServer();
});
after(async () => s3?.stop());

test('S3 target: backup, list, verify and restore through s3rver', async () => {
  const src = await seed();
  const { endpoint, bucket } = s3!;
  const conn = { endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };
  const target = openBackupTarget(`s3://${bucket}/backups-${n++}`, conn);
  const m = await createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date() });
  assert.deepEqual((await listBackups(target)).map((b) => b.id), [m.id]);
  assert.equal((await verifyBackup(target, m.id)).blobs, 2);
  const dst = fresh();
  const r = await withRestoreStore({ dataDir: dst }, (b) => restoreBackup({ target, id: 'latest', backend: b, artifacts: new FsBlobStore({ root: join(dst, 'blobs') }) }), () => new Error('x'));
  assert.equal(r.objects, m.snapshot.objects);
  await src.backend.close();
});

test('an unreachable S3 target fails fast with a clear error and writes nothing', async () => {
  const src = await seed();
  // A port nobody listens on.
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const target = openBackupTarget('s3://nowhere/x', { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const t0 = Date.now();
  await assert.rejects(createBackup({ backend: src.backend, artifacts: src.artifacts, target, now: new Date() }), (e: unknown) => e instanceof BackupError && e.reason === 'Unreachable' && /s3:\/\/nowhere\/x\/ is unreachable/.test(e.message));
  assert.ok(Date.now() - t0 < 15_000, 'reported in seconds');
  await assert.rejects(restoreBackup({ target, id: 'latest', backend: src.backend }), /ECONNREFUSED|unreachable|connect/i);
  await src.backend.close();
});
