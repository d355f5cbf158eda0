// Child process for the kill -9 test: streams an endless body into a store and reports progress on
// stdout, so the parent can SIGKILL it in the middle of a put. Not a test file by itself.
import { Readable } from 'node:stream';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from '../../src/artifacts/s3-blob-store.js';
import type { BlobStore } from '../../src/artifacts/blob-store.js';

const [backend, config] = process.argv.slice(2);
const store: BlobStore =
  backend === 's3' ? new S3BlobStore(JSON.parse(config) as S3BlobStoreOptions) : new FsBlobStore({ root: config });

const chunk = Buffer.alloc(1024 * 1024, 7);
let sent = 0;
let reported = false;
const body = new Readable({
  read() {
    sent += chunk.length;
    if (!reported && sent >= 16 * chunk.length) {
      reported = true;
      process.stdout.write('writing\n');
    }
    // never ends: the parent kills us mid-way; a slight delay keeps the child from racing ahead
    setTimeout(() => this.push(chunk), 1);
  },
});
store.put(body).then(
  () => process.stdout.write('finished\n'),
  (err: unknown) => process.stdout.write(`failed ${String(err)}\n`),
);
