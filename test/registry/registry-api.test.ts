import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../src/api/errors.js';
import { ModelVersionKind } from '../../src/api/kinds/model-version.js';
import { ModelKind, type ModelStatus } from '../../src/api/kinds/model.js';
import { buildMlpOnnx } from '../../src/onnx/index.js';
import { pullVersion, pushModel, resolveRemote } from '../../src/registry/transfer-client.js';
import { resolveModelRef } from '../../src/registry/resolve-model-ref.js';
import { startRegistryPlatform, type RegistryTestPlatform } from './registry-platform.js';

let tp: RegistryTestPlatform;
let dir: string;
before(async () => {
  tp = await startRegistryPlatform();
  dir = mkdtempSync(join(tmpdir(), 'capstan-registry-files-'));
});
after(async () => tp.stop());

function onnx(seed: number): Buffer {
  return Buffer.from(buildMlpOnnx({ inputSize: 4, layers: [{ out: 2, weights: Float32Array.from({ length: 8 }, (_, i) => (i + seed) / 10), bias: Float32Array.from([seed, 0]), activation: 'relu' }] }));
}
function file(name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function expectApiError(p: Promise<unknown>, reason: string, re: RegExp): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.reason, reason, err.message);
    assert.match(err.message, re);
    return err;
  }
  assert.fail('expected an error');
}

test('push an ONNX file: signature read, metrics stored, model created; same bytes again is idempotent; other bytes → 409', async () => {
  const bytes = onnx(1);
  const mv = await pushModel(tp.target, 'digits', file('m1.onnx', bytes), { version: '1.0.0', metrics: { accuracy: 0.9 }, params: { lr: '0.01' } });
  assert.equal(mv.metadata.name, 'digits-v1.0.0');
  assert.equal(mv.spec.artifact.sha256, sha(bytes));
  assert.equal(mv.spec.artifact.size, bytes.length);
  assert.equal(mv.spec.signature?.inputs[0].name, 'input');
  assert.equal(mv.spec.signature?.inputs[0].datatype, 'FP32');
  assert.deepEqual(mv.spec.metrics, { accuracy: 0.9 });
  assert.ok(await tp.client.get(ModelKind, 'default', 'digits'));
  const again = await pushModel(tp.target, 'digits', file('m1b.onnx', bytes), { version: '1.0.0' });
  assert.equal(again.metadata.uid, mv.metadata.uid);
  await expectApiError(pushModel(tp.target, 'digits', file('m2.onnx', onnx(2)), { version: '1.0.0' }), 'Conflict', /version 1\.0\.0 is already registered with artifact sha256 .*immutable/);
});

test('version omitted → next patch; concurrent pushes without a version all get distinct versions', async () => {
  const a = await pushModel(tp.target, 'auto', file('a.onnx', onnx(10)), {});
  assert.equal(a.spec.version, '1.0.0');
  const many = await Promise.all([11, 12, 13, 14].map((s) => pushModel(tp.target, 'auto', file(`a${s}.onnx`, onnx(s)), {})));
  assert.deepEqual(many.map((m) => m.spec.version).sort(), ['1.0.1', '1.0.2', '1.0.3', '1.0.4']);
});

test('concurrent pushes of the same version with different bytes: exactly one wins, the others get 409', async () => {
  const results = await Promise.allSettled([21, 22, 23].map((s) => pushModel(tp.target, 'race', file(`r${s}.onnx`, onnx(s)), { version: '2.0.0' })));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as ApiError).reason, 'Conflict');
});

test('not a valid ONNX model is refused naming format; other formats are stored as they are', async () => {
  await expectApiError(pushModel(tp.target, 'bad', file('junk.onnx', Buffer.from('this is not onnx at all')), { version: '1.0.0' }), 'Invalid', /junk\.onnx is not a valid ONNX model/);
  assert.equal(await tp.client.tryGet(ModelVersionKind, 'default', 'bad-v1.0.0'), undefined);
  const raw = await pushModel(tp.target, 'bad', file('weights.pt', Buffer.from('torch bytes')), { version: '1.0.0', format: 'pytorch' });
  assert.equal(raw.spec.format, 'pytorch');
  assert.equal(raw.spec.signature, undefined);
});

test('directory push and pull round-trip with verification; aliases, history, rollback, resolution', async () => {
  const src = join(dir, 'tree');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'model.onnx'), onnx(30));
  writeFileSync(join(src, 'sub', 'vocab.txt'), 'a\nb\n');
  const v1 = await pushModel(tp.target, 'tree', src, { version: '1.1.0', aliases: ['production'], reason: 'first' });
  assert.equal(v1.spec.artifact.layout, 'directory');
  assert.deepEqual(v1.spec.artifact.files.map((f) => f.path), ['model.onnx', 'sub/vocab.txt']);
  writeFileSync(join(src, 'sub', 'vocab.txt'), 'a\nb\nc\n');
  await pushModel(tp.target, 'tree', src, { version: '1.2.0' });
  const out = join(dir, 'pulled');
  const written = await pullVersion(tp.target, await resolveRemote(tp.target, 'tree', 'production'), out);
  assert.equal(written.length, 2);
  assert.equal(readFileSync(join(out, 'sub', 'vocab.txt'), 'utf8'), 'a\nb\n');

  // alias moves through the API, recorded with who/why; rollback walks back
  await tp.client.request('PUT', '/apis/capstan.dev/v1alpha1/namespaces/default/models/tree/aliases/production', { version: '1.2.0', reason: 'better accuracy' });
  assert.equal((await resolveModelRef(tp.platform.client, 'default', 'tree@production')).spec.version, '1.2.0');
  await expectApiError(tp.client.request('PUT', '/apis/capstan.dev/v1alpha1/namespaces/default/models/tree/aliases/production', { version: '9.9.9' }), 'Invalid', /has no version 9\.9\.9/);
  await expectApiError(tp.client.request('PUT', '/apis/capstan.dev/v1alpha1/namespaces/default/models/tree/aliases/1', { version: '1.2.0' }), 'Invalid', /reads as a SemVer range/);
  await tp.client.request('POST', '/apis/capstan.dev/v1alpha1/namespaces/default/models/tree/aliases/production/rollback', { reason: 'regression' });
  const m = await tp.client.get(ModelKind, 'default', 'tree');
  const st = m.status as ModelStatus;
  assert.equal(st.aliases?.production.version, '1.1.0');
  assert.deepEqual(st.aliasHistory?.map((h) => [h.from, h.to, h.by, h.reason, h.rollback ?? false]), [
    [null, '1.1.0', 'admin', 'first', false],
    ['1.1.0', '1.2.0', 'admin', 'better accuracy', false],
    ['1.2.0', '1.1.0', 'admin', 'regression', true],
  ]);
  await expectApiError(tp.client.request('POST', '/apis/capstan.dev/v1alpha1/namespaces/default/models/tree/aliases/production/rollback', {}), 'Conflict', /no earlier version/);
  assert.equal((await resolveModelRef(tp.client, 'default', 'tree@^1')).spec.version, '1.2.0');
  assert.equal((await resolveModelRef(tp.client, 'default', 'tree')).spec.version, '1.2.0');
  await expectApiError(resolveModelRef(tp.client, 'default', 'tree@^1.2.x.y'), 'BadRequest', /ref: /);
});

test('the artifact is immutable through the generic API; metrics stay editable', async () => {
  const mv = await pushModel(tp.target, 'immut', file('i.onnx', onnx(40)), { version: '1.0.0' });
  const changed = { ...mv, spec: { ...mv.spec, artifact: { ...mv.spec.artifact, sha256: 'a'.repeat(64) } } };
  await expectApiError(tp.client.update(ModelVersionKind, changed), 'Invalid', /spec\.artifact/);
  await expectApiError(tp.client.patch(ModelVersionKind, 'default', mv.metadata.name, { spec: { version: '1.0.1' } }), 'Invalid', /spec\.version/);
  const patched = await tp.client.patch(ModelVersionKind, 'default', mv.metadata.name, { spec: { metrics: { f1: 0.5 } } });
  assert.deepEqual((patched.spec as { metrics: unknown }).metrics, { f1: 0.5 });
});

test('download: ETag, If-None-Match, Range; path traversal refused', async () => {
  const bytes = onnx(50);
  const mv = await pushModel(tp.target, 'dl', file('dl.onnx', bytes), { version: '1.0.0' });
  const url = `${tp.url}${mv.spec.artifact.uri}`;
  const auth = { authorization: `Bearer ${tp.token}` };
  const full = await fetch(url, { headers: auth });
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('etag'), `"${sha(bytes)}"`);
  assert.deepEqual(Buffer.from(await full.arrayBuffer()), bytes);
  assert.equal((await fetch(url, { headers: { ...auth, 'if-none-match': `"${sha(bytes)}"` } })).status, 304);
  const part = await fetch(url, { headers: { ...auth, range: 'bytes=2-9' } });
  assert.equal(part.status, 206);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(2, 10));
  const trav = await fetch(`${url}?path=${encodeURIComponent('../../etc/passwd')}`, { headers: auth });
  assert.equal(trav.status, 400);
  assert.match(await trav.text(), /segment/);
  assert.equal((await fetch(url)).status, 401);
});
