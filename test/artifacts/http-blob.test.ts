import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { contentDisposition, receiveUpload, serveBlob } from '../../src/artifacts/http-blob.js';
import { ArtifactError, isArtifactError } from '../../src/artifacts/errors.js';
import type { PutResult } from '../../src/artifacts/blob-store.js';
import { sha256Of } from './stream-fixtures.js';

let root: string;
let store: FsBlobStore;
let server: http.Server;
let base: string;
let sha: string;
const DATA = Buffer.from('0123456789abcdef');
/** Outcome of every upload the server handled, so tests can await the server-side result. */
const uploads: Promise<PutResult>[] = [];

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-'));
  store = new FsBlobStore({ root });
  sha = (await store.put(Readable.from([DATA]))).sha256;
  server = http.createServer((req, res) => {
    const fail = (err: unknown): void => {
      const status = err instanceof ArtifactError ? err.httpStatus : 500;
      const code = err instanceof ArtifactError ? err.code : 'Internal';
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' });
      res.end(JSON.stringify({ code }));
    };
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname.startsWith('/blobs/')) {
      serveBlob(req, res, store, url.pathname.slice(7), { filename: url.searchParams.get('name') ?? undefined }).catch(fail);
    } else if (url.pathname === '/upload') {
      const maxBytes = url.searchParams.has('max') ? Number(url.searchParams.get('max')) : undefined;
      const p = receiveUpload(req, store, { maxBytes });
      uploads.push(p);
      p.then((r) => res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify(r)), fail);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(root, { recursive: true, force: true });
});

test('GET serves the whole blob with ETag, length and ranges advertised', async () => {
  const r = await fetch(`${base}/blobs/${sha}?name=model.onnx`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), `"${sha}"`);
  assert.equal(r.headers.get('content-length'), String(DATA.length));
  assert.equal(r.headers.get('accept-ranges'), 'bytes');
  assert.equal(r.headers.get('content-disposition'), 'attachment; filename="model.onnx"');
  assert.deepEqual(Buffer.from(await r.arrayBuffer()), DATA);
});

test('HEAD sends headers only', async () => {
  const r = await fetch(`${base}/blobs/${sha}`, { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-length'), String(DATA.length));
  assert.equal((await r.arrayBuffer()).byteLength, 0);
});

test('Range: single ranges give 206 with Content-Range; suffix and open ranges work', async () => {
  const get = (range: string, extra: Record<string, string> = {}): Promise<Response> =>
    fetch(`${base}/blobs/${sha}`, { headers: { Range: range, ...extra } });
  let r = await get('bytes=2-5');
  assert.equal(r.status, 206);
  assert.equal(r.headers.get('content-range'), `bytes 2-5/${DATA.length}`);
  assert.equal(r.headers.get('content-length'), '4');
  assert.equal(await r.text(), '2345');
  r = await get('bytes=-3');
  assert.equal(await r.text(), 'def');
  r = await get('bytes=14-');
  assert.equal(await r.text(), 'ef');
  r = await get('bytes=10-999');
  assert.equal(r.headers.get('content-range'), `bytes 10-15/${DATA.length}`);
  assert.equal(await r.text(), 'abcdef');
  r = await get('bytes=0-1,4-5');
  assert.equal(r.status, 200, 'multi-range is ignored, whole body served');
  await r.arrayBuffer();
  r = await get('bytes=2-5', { 'If-Range': '"other"' });
  assert.equal(r.status, 200, 'If-Range mismatch serves the whole body');
  await r.arrayBuffer();
  r = await get('bytes=2-5', { 'If-Range': `"${sha}"` });
  assert.equal(r.status, 206);
  await r.arrayBuffer();
});

test('Range: unsatisfiable gives 416 with bytes */size', async () => {
  for (const range of ['bytes=16-', 'bytes=100-200', 'bytes=-0']) {
    const r = await fetch(`${base}/blobs/${sha}`, { headers: { Range: range } });
    assert.equal(r.status, 416, range);
    assert.equal(r.headers.get('content-range'), `bytes */${DATA.length}`);
    await r.arrayBuffer();
  }
});

test('If-None-Match with the ETag gives 304', async () => {
  for (const inm of [`"${sha}"`, `W/"${sha}"`, `"x", "${sha}"`, '*']) {
    const r = await fetch(`${base}/blobs/${sha}`, { headers: { 'If-None-Match': inm } });
    assert.equal(r.status, 304, inm);
  }
  const r = await fetch(`${base}/blobs/${sha}`, { headers: { 'If-None-Match': '"nope"' } });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
});

test('missing and malformed digests are typed errors, other methods 405', async () => {
  let r = await fetch(`${base}/blobs/${'0'.repeat(64)}`);
  assert.equal(r.status, 404);
  assert.deepEqual(await r.json(), { code: 'NotFound' });
  r = await fetch(`${base}/blobs/..%2F..%2Fetc%2Fpasswd`);
  assert.equal(r.status, 400);
  assert.deepEqual(await r.json(), { code: 'InvalidDigest' });
  r = await fetch(`${base}/blobs/${sha}`, { method: 'DELETE' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
});

test('contentDisposition encodes non-ASCII names and neutralises quotes', () => {
  assert.equal(contentDisposition('a"b.bin'), `attachment; filename="a_b.bin"; filename*=UTF-8''a%22b.bin`);
  assert.equal(contentDisposition('modèle.onnx'), `attachment; filename="mod_le.onnx"; filename*=UTF-8''mod%C3%A8le.onnx`);
  assert.equal(contentDisposition('../../x.bin'), 'attachment; filename="x.bin"');
});

test('upload: a body streams into the store', async () => {
  const body = Buffer.from('uploaded over http');
  const r = await fetch(`${base}/upload`, { method: 'PUT', body });
  assert.equal(r.status, 201);
  const json = (await r.json()) as PutResult;
  assert.equal(json.sha256, sha256Of(body));
  assert.equal(await store.has(json.sha256), true);
});

test('upload: Content-Encoding gzip is 415, an oversized Content-Length is 413', async () => {
  let r = await fetch(`${base}/upload`, { method: 'PUT', body: 'x', headers: { 'Content-Encoding': 'gzip' } });
  assert.equal(r.status, 415);
  assert.deepEqual(await r.json(), { code: 'UnsupportedEncoding' });
  r = await fetch(`${base}/upload?max=10`, { method: 'PUT', body: 'x'.repeat(11) });
  assert.equal(r.status, 413);
  assert.deepEqual(await r.json(), { code: 'TooLarge' });
});

test('upload: a client that disconnects mid-body yields Aborted and stores nothing', async () => {
  const before = new Set<string>();
  for await (const b of store.list()) before.add(b.sha256);
  const n = uploads.length;
  const sock = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => sock.once('connect', resolve));
  sock.write(`PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n`);
  sock.write(Buffer.alloc(256 * 1024, 1));
  // wait until the server has started the upload, then drop the connection
  while (uploads.length === n) await new Promise((r) => setImmediate(r));
  sock.destroy();
  await assert.rejects(uploads[n], (e: unknown) => isArtifactError(e, 'Aborted'));
  const after = new Set<string>();
  for await (const b of store.list()) after.add(b.sha256);
  assert.deepEqual(after, before);
  assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
});

test('a multi-MiB blob is served whole and by range byte for byte (the copy loop crosses its buffers)', async () => {
  const big = randomBytes(3 * 1024 * 1024 + 12_345);
  const bigSha = (await store.put(Readable.from([big]))).sha256;
  const whole = Buffer.from(await (await fetch(`${base}/blobs/${bigSha}`)).arrayBuffer());
  assert.equal(whole.length, big.length);
  assert.ok(whole.equals(big));
  const from = 1024 * 1024 - 7;
  const r = await fetch(`${base}/blobs/${bigSha}`, { headers: { Range: `bytes=${from}-${from + 2 * 1024 * 1024}` } });
  assert.equal(r.status, 206);
  assert.ok(Buffer.from(await r.arrayBuffer()).equals(big.subarray(from, from + 2 * 1024 * 1024 + 1)));
});

test('a client that leaves mid-body: the server carries on and closes the blob', async () => {
  const big = randomBytes(64 * 1024 * 1024);
  const bigSha = (await store.put(Readable.from([big]))).sha256;
  const openOnBlob = () =>
    fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith(bigSha);
      } catch {
        return false;
      }
    }).length;
  await new Promise<void>((resolve, reject) => {
    const req = http.get(`${base}/blobs/${bigSha}`, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve();
      });
    });
    req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
  });
  for (let i = 0; i < 500 && openOnBlob() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(openOnBlob(), 0, 'the descriptor was closed');
  const again = await fetch(`${base}/blobs/${sha}`);
  assert.equal(Buffer.from(await again.arrayBuffer()).toString(), DATA.toString());
});
