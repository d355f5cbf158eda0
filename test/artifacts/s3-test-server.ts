import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { S3BlobStoreOptions } from '../../src/artifacts/s3-blob-store.js';

/** An in-process S3-compatible server (s3rver) on 127.0.0.1 and an ephemeral port, with one bucket. */
export interface S3TestServer {
  /** Store options pointing at the server; give each test its own prefix. */
  options(prefix: string): S3BlobStoreOptions;
  endpoint: string;
  bucket: string;
  stop(): Promise<void>;
}

/** Starts s3rver in a temp directory; stop() closes it and removes the directory. */
export async function startS3TestServer(): Promise<S3TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-'));
  const bucket = 'capstan-test';
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    options: (prefix) => ({
      bucket,
      prefix,
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      partSize: 5 * 1024 * 1024,
    }),
    async stop() {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
