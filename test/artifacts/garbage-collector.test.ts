import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { planGarbageCollection } from '../../src/artifacts/gc-plan.js';
import { collectGarbage } from '../../src/artifacts/garbage-collector.js';
import { putDirectory } from '../../src/artifacts/directory-transfer.js';
import type { BlobInfo } from '../../src/artifacts/blob-store.js';

const HOUR = 3_600_000;
const NOW = new Date('2030-01-01T12:00:00Z');
const blob = (c: string, ageMs: number): BlobInfo => ({ sha256: c.repeat(64), size: 10, mtime: new Date(NOW.getTime() - ageMs) });

test('plan: unreferenced blobs older than the grace are deleted, young and referenced kept', () => {
  const blobs = [blob('a', 2 * HOUR), blob('b', 2 * HOUR), blob('c', HOUR - 1), blob('d', HOUR), blob('e', -HOUR)];
  const plan = planGarbageCollection(blobs, new Set(['a'.repeat(64)]), { graceMs: HOUR, now: NOW });
  assert.deepEqual(plan.delete.map((b) => b.sha256[0]), ['b', 'd']);
  assert.deepEqual(plan.keptYoung.map((b) => b.sha256[0]), ['c', 'e']);
  assert.equal(plan.keptReferenced, 1);
});

test('plan: grace 0 deletes every unreferenced blob; nothing referenced is ever deleted', () => {
  const blobs = [blob('a', 0), blob('b', 5)];
  assert.equal(planGarbageCollection(blobs, new Set(), { graceMs: 0, now: NOW }).delete.length, 2);
  assert.equal(planGarbageCollection(blobs, new Set(blobs.map((b) => b.sha256)), { graceMs: 0, now: NOW }).delete.length, 0);
});

test('driver: deletes old unreferenced blobs, keeps young ones and files of referenced manifests, cleans temp', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-'));
  try {
    const storeRoot = path.join(root, 'store');
    const store = new FsBlobStore({ root: storeRoot });
    const src = path.join(root, 'model');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'w1.bin'), 'weights one');
    fs.writeFileSync(path.join(src, 'w2.bin'), 'weights two');
    const dir = await putDirectory(store, src);
    const single = await store.put(Readable.from([Buffer.from('referenced single file model')]));
    const orphanOld = await store.put(Readable.from([Buffer.from('orphan, old')]));
    const orphanYoung = await store.put(Readable.from([Buffer.from('orphan, young')]));
    fs.mkdirSync(path.join(storeRoot, 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(storeRoot, 'tmp', 'crashed.partial'), 'half');

    const old = new Date(NOW.getTime() - 48 * HOUR);
    const young = new Date(NOW.getTime() - 1000);
    const setMtime = (sha: string, t: Date): void => fs.utimesSync(path.join(storeRoot, 'blobs', 'sha256', sha.slice(0, 2), sha), t, t);
    for await (const b of store.list()) setMtime(b.sha256, old);
    setMtime(orphanYoung.sha256, young);
    fs.utimesSync(path.join(storeRoot, 'tmp', 'crashed.partial'), old, old);

    const referenced = new Set([dir.manifestSha256, single.sha256, 'f'.repeat(64)]);
    const dry = await collectGarbage(store, referenced, { graceMs: 24 * HOUR, now: NOW, dryRun: true });
    assert.deepEqual(dry.deleted, [orphanOld.sha256]);
    assert.equal(await store.has(orphanOld.sha256), true, 'dry run deletes nothing');

    const r = await collectGarbage(store, referenced, { graceMs: 24 * HOUR, now: NOW });
    assert.deepEqual(r.deleted, [orphanOld.sha256]);
    assert.deepEqual(r.keptYoung, [orphanYoung.sha256]);
    assert.equal(r.keptReferenced, 4, 'manifest + its 2 files + the single blob');
    assert.equal(r.bytesFreed, 'orphan, old'.length);
    assert.equal(r.tempRemoved, 1);
    assert.deepEqual(r.missingReferenced, ['f'.repeat(64)]);
    for (const f of dir.files) assert.equal(await store.has(f.sha256), true);
    assert.equal(await store.has(orphanOld.sha256), false);

    // without expanding manifests, the directory's files would be orphans: proves expansion is what keeps them
    const r2 = await collectGarbage(store, referenced, { graceMs: 24 * HOUR, now: NOW, expandManifests: false, dryRun: true });
    assert.deepEqual(r2.deleted.sort(), dir.files.map((f) => f.sha256).sort());
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
