import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3BlobStore } from '../../src/artifacts/s3-blob-store.js';
import { blobStoreContract } from './blob-store-contract.js';
import { startS3TestServer, type S3TestServer } from './s3-test-server.js';
import { sha256Of } from './stream-fixtures.js';

let server: S3TestServer;
let n = 0;

before(async () => {
  server = await startS3TestServer();
});
after(async () => {
  await server.stop();
});

blobStoreContract('s3 (s3rver)', async () => {
  const store = new S3BlobStore(server.options(`t${++n}/`));
  return { store, cleanup: async () => store.close() };
});

test('s3: blobs live at <prefix>blobs/sha256/ab/<sha> and foreign keys are not listed', async () => {
  const opts = server.options('layout');
  const store = new S3BlobStore(opts);
  const client = new S3Client({ ...opts });
  try {
    const { sha256 } = await store.put(Readable.from([Buffer.from('layout')]));
    await client.send(new PutObjectCommand({ Bucket: opts.bucket, Key: 'layout/blobs/sha256/zz/not-a-digest', Body: 'x' }));
    const listed = [];
    for await (const b of store.list()) listed.push(b.sha256);
    assert.deepEqual(listed, [sha256]);
    assert.equal(sha256, sha256Of('layout'));
  } finally {
    client.destroy();
    store.close();
  }
});

test('s3: cleanupTemp removes stale tmp/ keys left by a crash between upload and copy', async () => {
  const opts = server.options('crash/');
  const store = new S3BlobStore(opts);
  const client = new S3Client({ ...opts });
  try {
    await client.send(new PutObjectCommand({ Bucket: opts.bucket, Key: 'crash/tmp/leftover', Body: 'partial' }));
    assert.equal(await store.cleanupTemp(new Date(Date.now() - 3_600_000)), 0);
    assert.equal(await store.cleanupTemp(new Date(Date.now() + 3_600_000)), 1);
    assert.equal(await store.cleanupTemp(new Date(Date.now() + 3_600_000)), 0);
  } finally {
    client.destroy();
    store.close();
  }
});
