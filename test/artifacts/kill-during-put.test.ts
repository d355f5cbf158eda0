import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { S3BlobStore } from '../../src/artifacts/s3-blob-store.js';
import type { BlobStore } from '../../src/artifacts/blob-store.js';
import { collectGarbage } from '../../src/artifacts/garbage-collector.js';
import { startS3TestServer, type S3TestServer } from './s3-test-server.js';
import { readAll } from './stream-fixtures.js';

const here = fileURLToPath(import.meta.url);
// under tsx the sources are .ts; under `npm test` they are compiled .js in dist/
const ext = path.extname(here);
const child = path.join(path.dirname(here), `put-child${ext}`);
const nodeArgs = ext === '.ts' ? ['--import', 'tsx', child] : [child];

/** Starts a child putting an endless body, waits until it is mid-upload, then SIGKILLs it. */
async function killMidPut(backend: 'fs' | 's3', config: string): Promise<void> {
  const proc = spawn(process.execPath, [...nodeArgs, backend, config], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('writing')) resolve();
        if (out.includes('finished') || out.includes('failed')) reject(new Error(`child ended before the kill: ${out}`));
      });
      proc.once('exit', (code) => reject(new Error(`child exited early with ${code}: ${out}`)));
    });
  } finally {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }
}

async function assertConsistent(store: BlobStore): Promise<void> {
  const listed = [];
  for await (const b of store.list()) listed.push(b);
  assert.deepEqual(listed, [], 'no partial blob is visible');
  const r = await store.put(Readable.from([Buffer.from('after the crash')]));
  assert.equal((await readAll(await store.get(r.sha256))).toString(), 'after the crash');
  const gc = await collectGarbage(store, new Set([r.sha256]), { graceMs: 0, now: new Date(Date.now() + 60_000) });
  assert.deepEqual(gc.deleted, []);
}

let s3: S3TestServer;
before(async () => {
  s3 = await startS3TestServer();
});
after(async () => {
  await s3.stop();
});

test('fs: kill -9 during a put leaves no visible blob; the temp leftover is cleaned; the store still works', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-'));
  try {
    await killMidPut('fs', root);
    const leftovers = fs.readdirSync(path.join(root, 'tmp'));
    assert.equal(leftovers.length, 1, 'the interrupted temp file is there before cleanup');
    assert.ok(fs.statSync(path.join(root, 'tmp', leftovers[0])).size > 0);
    const store = new FsBlobStore({ root });
    assert.equal(await store.cleanupTemp(new Date(Date.now() + 60_000)), 1);
    await assertConsistent(store);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('s3: kill -9 during a multipart put leaves no visible blob; the store still works', async () => {
  const opts = s3.options('killed/');
  await killMidPut('s3', JSON.stringify(opts));
  const store = new S3BlobStore(opts);
  try {
    await assertConsistent(store);
  } finally {
    store.close();
  }
});
