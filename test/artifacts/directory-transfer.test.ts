import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { getDirectory, putDirectory, readManifest } from '../../src/artifacts/directory-transfer.js';
import { isArtifactError } from '../../src/artifacts/errors.js';
import { MANIFEST_MEDIA_TYPE } from '../../src/artifacts/manifest.js';
import { patternBytes, sha256Of } from './stream-fixtures.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-'));
}

function makeModelDir(dir: string): void {
  fs.mkdirSync(path.join(dir, 'weights', 'shard'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), patternBytes(100_000, 1));
  fs.writeFileSync(path.join(dir, 'weights', 'shard', 'a.bin'), 'same bytes');
  fs.writeFileSync(path.join(dir, 'weights', 'b.bin'), 'same bytes');
  fs.writeFileSync(path.join(dir, 'empty.txt'), '');
  fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
}

test('a directory round-trips through blobs plus a manifest, identical files stored once', async () => {
  const root = tmp();
  try {
    const store = new FsBlobStore({ root: path.join(root, 'store') });
    const src = path.join(root, 'src');
    makeModelDir(src);
    const put = await putDirectory(store, src);
    assert.deepEqual(put.files.map((f) => f.path), ['empty.txt', 'model.onnx', 'run.sh', 'weights/b.bin', 'weights/shard/a.bin']);
    assert.equal(put.totalSize, 100_000 + 10 + 10 + 10);
    let blobs = 0;
    for await (const _ of store.list()) blobs++;
    assert.equal(blobs, 5, '4 distinct contents + the manifest');
    const again = await putDirectory(store, src);
    assert.equal(again.manifestSha256, put.manifestSha256, 'same tree, same manifest digest');

    const m = await readManifest(store, put.manifestSha256);
    assert.equal(m.mediaType, MANIFEST_MEDIA_TYPE);
    const dest = path.join(root, 'dest');
    await getDirectory(store, put.manifestSha256, dest);
    for (const f of put.files) {
      assert.equal(sha256Of(fs.readFileSync(path.join(dest, f.path))), f.sha256);
    }
    assert.equal(fs.statSync(path.join(dest, 'run.sh')).mode & 0o777, 0o755);
    assert.equal(fs.statSync(path.join(dest, 'model.onnx')).mode & 0o777, 0o644);
    await assert.rejects(getDirectory(store, put.manifestSha256, dest), (e: unknown) => isArtifactError(e, 'InvalidPath'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('symlinks are refused when storing a directory', async () => {
  const root = tmp();
  try {
    const store = new FsBlobStore({ root: path.join(root, 'store') });
    const src = path.join(root, 'src');
    fs.mkdirSync(src);
    fs.symlinkSync('/etc/passwd', path.join(src, 'link'));
    await assert.rejects(putDirectory(store, src), (e: unknown) => isArtifactError(e, 'InvalidPath'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a manifest with a traversal path is InvalidPath and writes nothing', async () => {
  const root = tmp();
  try {
    const store = new FsBlobStore({ root: path.join(root, 'store') });
    const payload = await store.put(Readable.from([Buffer.from('pwned')]));
    const evil = Buffer.from(
      JSON.stringify({ mediaType: MANIFEST_MEDIA_TYPE, files: [{ path: '../escape.txt', sha256: payload.sha256, size: 5, mode: 0o644 }] }),
    );
    const m = await store.put(Readable.from([evil]));
    const dest = path.join(root, 'out', 'dest');
    await assert.rejects(getDirectory(store, m.sha256, dest), (e: unknown) => isArtifactError(e, 'InvalidPath'));
    assert.equal(fs.existsSync(path.join(root, 'out', 'escape.txt')), false);
    assert.equal(fs.existsSync(dest), false);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a corrupted file blob is detected on download (DigestMismatch) and the destination removed', async () => {
  const root = tmp();
  try {
    const storeRoot = path.join(root, 'store');
    const store = new FsBlobStore({ root: storeRoot });
    const src = path.join(root, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'w.bin'), 'original!');
    const put = await putDirectory(store, src);
    const sha = put.files[0].sha256;
    fs.writeFileSync(path.join(storeRoot, 'blobs', 'sha256', sha.slice(0, 2), sha), 'tampered!');
    const dest = path.join(root, 'dest');
    await assert.rejects(getDirectory(store, put.manifestSha256, dest), (e: unknown) => isArtifactError(e, 'DigestMismatch'));
    assert.equal(fs.existsSync(dest), false);
    await assert.rejects(getDirectory(store, sha, path.join(root, 'd2')), (e: unknown) => isArtifactError(e, 'InvalidManifest'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
