/** Bad input at the registry's boundaries: each gets a clear 4xx (or clean failure) and leaves nothing partial. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../src/api/errors.js';
import { ModelVersionKind } from '../../src/api/kinds/model-version.js';
import { LocalQueueKind } from '../../src/api/kinds/local-queue.js';
import { FsBlobStore, type BlobStore } from '../../src/artifacts/index.js';
import { collectRegistryGarbage } from '../../src/registry/registry-gc.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { pushModel } from '../../src/registry/transfer-client.js';
import { startRegistryPlatform, type RegistryTestPlatform } from './registry-platform.js';
import pino from 'pino';

let tp: RegistryTestPlatform;
let store: FsBlobStore;
let failWritesAfter: number | undefined;
let dir: string;
const P = '/apis/capstan.dev/v1alpha1/namespaces/default';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-registry-bad-'));
  store = new FsBlobStore({
    root: join(dir, 'store'),
    noSync: true,
    faults: {
      beforeWrite(offset) {
        if (failWritesAfter !== undefined && offset >= failWritesAfter) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    },
  });
  tp = await startRegistryPlatform({ blobStore: store });
});
after(async () => tp.stop());

async function blobCount(s: BlobStore): Promise<number> {
  let n = 0;
  for await (const _ of s.list()) n++;
  return n;
}

function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${tp.url}${path}`, { method, headers: { authorization: `Bearer ${tp.token}`, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('sha mismatch → 422 naming the digest, nothing stored', async () => {
  const before = await blobCount(store);
  const r = await raw('POST', `${P}/models/m/blobs`, { 'content-type': 'application/octet-stream', 'x-content-sha256': 'b'.repeat(64) }, Buffer.from('hello'));
  assert.equal(r.status, 422);
  assert.match(r.text, /sha256|digest/i);
  const bad = await raw('POST', `${P}/models/m/blobs`, { 'x-content-sha256': 'nothex' }, Buffer.from('hello'));
  assert.equal(bad.status, 400);
  assert.match(bad.text, /X-Content-Sha256/);
  assert.equal(await blobCount(store), before);
});

test('truncated upload (connection cut mid-body) stores nothing and the server keeps serving', async () => {
  const before = await blobCount(store);
  await new Promise<void>((resolve) => {
    const req = http.request(`${tp.url}${P}/models/m/blobs`, { method: 'POST', headers: { authorization: `Bearer ${tp.token}`, 'content-length': String(1 << 20) } });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(64 * 1024, 1));
    setTimeout(() => {
      req.destroy();
      resolve();
    }, 200);
  });
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await blobCount(store), before);
  assert.equal((await raw('GET', '/healthz', {})).status, 200);
});

test('disk full mid-upload → 503 saying so, no blob, no temp file left', async () => {
  const before = await blobCount(store);
  failWritesAfter = 64 * 1024;
  try {
    const r = await raw('POST', `${P}/models/m/blobs`, { 'content-type': 'application/octet-stream' }, Buffer.alloc(1 << 20, 7));
    assert.equal(r.status, 503);
    assert.match(r.text, /out of space/);
  } finally {
    failWritesAfter = undefined;
  }
  assert.equal(await blobCount(store), before);
  assert.equal(await store.cleanupTemp(new Date(Date.now() + 60_000)), 0, 'the failed put removed its temp file');
});

test('names that are not DNS-1123, malformed SemVer, unknown fields, missing blobs, path traversal: 4xx naming the field', async () => {
  const sha = createHash('sha256').update('x').digest('hex');
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['POST', `${P}/models/Bad_Name/versions`, { file: { path: 'a.onnx', sha256: sha } }, 400, /DNS-1123/],
    ['POST', `${P}/models/ok/versions`, { version: '1.2', file: { path: 'a.bin', sha256: sha }, format: 'raw' }, 422, /version.*SemVer/],
    ['POST', `${P}/models/ok/versions`, { version: '01.2.0', file: { path: 'a.bin', sha256: sha }, format: 'raw' }, 422, /version/],
    ['POST', `${P}/models/ok/versions`, { file: { path: 'a.bin', sha256: sha }, colour: 'red' }, 422, /colour/],
    ['POST', `${P}/models/ok/versions`, {}, 422, /exactly one of file or files/],
    ['POST', `${P}/models/ok/versions`, { file: { path: 'a.bin', sha256: sha }, format: 'raw' }, 422, /file\.sha256.*not uploaded/],
    ['POST', `${P}/models/ok/versions`, { files: [{ path: '../evil', sha256: sha }], format: 'raw' }, 400, /files\[0\]\.path/],
    ['POST', `${P}/models/ok/versions`, { file: { path: 'dir/a.bin', sha256: sha }, format: 'raw' }, 422, /must not contain/],
    ['POST', `${P}/models/ok/versions`, { file: { path: 'a.bin', sha256: sha }, aliases: ['latest'] }, 422, /aliases\[0\].*reserved/],
    ['PUT', `${P}/models/ok/aliases/production`, {}, 422, /version/],
    ['GET', `${P}/models/ok/resolve?selector=%3E%3D%3E1`, undefined, 400, /selector/],
    ['POST', `/apis/capstan.dev/v1alpha1/namespaces/NOPE/models/ok/versions`, {}, 400, /project/],
  ];
  for (const [method, path, body, status, re] of cases) {
    const r = await raw(method, path, body === undefined ? {} : { 'content-type': 'application/json' }, body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)} → ${r.text}`);
    assert.match(r.text, re, `${method} ${path}`);
  }
});

test('a version held by an object (label capstan.dev/model-version) cannot be deleted; the holder is named', async () => {
  const f = join(dir, 'held.bin');
  writeFileSync(f, 'held bytes');
  const mv = await pushModel(tp.target, 'held', f, { version: '1.0.0', format: 'raw' });
  // any namespaced kind can hold; a LocalQueue stands in for an InferenceService (its controller sets the same label)
  await tp.client.create(LocalQueueKind, {
    apiVersion: 'capstan.dev/v1alpha1', kind: 'LocalQueue', metadata: { name: 'holder', namespace: 'default', labels: { 'capstan.dev/model-version': mv.metadata.name } }, spec: { clusterQueue: 'cq' },
  });
  await assert.rejects(tp.client.delete(ModelVersionKind, 'default', mv.metadata.name), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'Conflict');
    assert.match(err.message, /ModelVersion held-v1\.0\.0 is in use by LocalQueue\/holder/);
    return true;
  });
  assert.ok(await tp.client.get(ModelVersionKind, 'default', mv.metadata.name));
  // the controller records the holder and keeps the finalizer, which stops deletes that bypass the HTTP guard
  for (let i = 0; i < 100; i++) {
    const cur = await tp.client.get(ModelVersionKind, 'default', mv.metadata.name);
    if (cur.metadata.finalizers?.includes('capstan.dev/model-in-use')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const inProcess = await tp.platform.client.delete(ModelVersionKind, 'default', mv.metadata.name);
  assert.ok(inProcess.metadata.deletionTimestamp, 'held: deletion waits');
  assert.deepEqual((inProcess.status as { usedBy?: string[] }).usedBy, ['LocalQueue/holder']);
  // the holder goes → the finalizer is released → the version is gone
  await tp.client.delete(LocalQueueKind, 'default', 'holder');
  for (let i = 0; i < 100 && (await tp.client.tryGet(ModelVersionKind, 'default', mv.metadata.name)); i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await tp.client.tryGet(ModelVersionKind, 'default', mv.metadata.name), undefined);
});

test('GC deletes unreferenced blobs past the grace period, keeps referenced and young ones', async () => {
  const f = join(dir, 'gc.bin');
  writeFileSync(f, 'referenced bytes');
  const mv = await pushModel(tp.target, 'gc', f, { version: '1.0.0', format: 'raw' });
  const orphan = await raw('POST', `${P}/models/gc/blobs`, { 'content-type': 'application/octet-stream' }, Buffer.from('orphan bytes'));
  const orphanSha = (JSON.parse(orphan.text) as { sha256: string }).sha256;
  const registry = new ModelRegistry({ client: tp.platform.client, store, log: pino({ level: 'silent' }), maxInspectBytes: 1 << 20 });
  const young = await collectRegistryGarbage(registry, { graceMs: 60 * 60_000, now: new Date() });
  assert.ok(young.keptYoung.includes(orphanSha));
  assert.equal(young.deleted.length, 0);
  const later = await collectRegistryGarbage(registry, { graceMs: 60 * 60_000, now: new Date(Date.now() + 2 * 60 * 60_000) });
  assert.ok(later.deleted.includes(orphanSha));
  assert.ok(!later.deleted.includes(mv.spec.artifact.sha256));
  assert.equal(await store.has(orphanSha), false);
  assert.equal(await store.has(mv.spec.artifact.sha256), true);
});
