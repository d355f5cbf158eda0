import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { isArtifactError } from '../../src/artifacts/errors.js';
import { blobStoreContract } from './blob-store-contract.js';
import { patternStream, sha256Of } from './stream-fixtures.js';

function tempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-'));
}

blobStoreContract('filesystem', async () => {
  const root = tempRoot();
  return { store: new FsBlobStore({ root }), cleanup: async () => fs.rmSync(root, { recursive: true, force: true }) };
});

test('fs: blobs live at blobs/sha256/ab/<sha>', async () => {
  const root = tempRoot();
  try {
    const store = new FsBlobStore({ root });
    const { sha256 } = await store.put(Readable.from([Buffer.from('layout')]));
    assert.equal(fs.readFileSync(path.join(root, 'blobs', 'sha256', sha256.slice(0, 2), sha256), 'utf8'), 'layout');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('fs: a disk that fills up mid-upload fails with NoSpace and leaves no blob or temp file', async () => {
  const root = tempRoot();
  try {
    const store = new FsBlobStore({
      root,
      faults: {
        beforeWrite(offset) {
          if (offset >= 1024 * 1024) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
        },
      },
    });
    await assert.rejects(store.put(patternStream(4 * 1024 * 1024, 2)), (err: unknown) => isArtifactError(err, 'NoSpace'));
    const blobs = [];
    for await (const b of store.list()) blobs.push(b);
    assert.deepEqual(blobs, []);
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
    // other I/O failures are Unavailable, not NoSpace
    const eio = new FsBlobStore({ root, faults: { beforeWrite() { throw Object.assign(new Error('EIO'), { code: 'EIO' }); } } });
    await assert.rejects(eio.put(Readable.from([Buffer.from('x')])), (err: unknown) => isArtifactError(err, 'Unavailable'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('fs: cleanupTemp removes abandoned temp files older than the cutoff only', async () => {
  const root = tempRoot();
  try {
    const store = new FsBlobStore({ root });
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    const old = path.join(root, 'tmp', 'old.partial');
    const young = path.join(root, 'tmp', 'young.partial');
    fs.writeFileSync(old, 'x');
    fs.writeFileSync(young, 'y');
    const t = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(old, t, t);
    assert.equal(await store.cleanupTemp(new Date('2021-01-01T00:00:00Z')), 1);
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), ['young.partial']);
    assert.equal(await store.has(sha256Of('y')), false);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
