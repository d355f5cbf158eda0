/**
 * A ModelVersion's identity is its spec.model, not a prefix of its name: `a`@`1.0.0-rc-v1.0.0` and
 * `a-v1.0.0-rc`@`1.0.0` would both be named `a-v1.0.0-rc-v1.0.0`. New versions containing "-v<digit>"
 * are refused (so new names split one way only); a name stored before that rule is never taken for
 * another model's version (register answers 409, an alias refuses it, and stays readable itself);
 * a read-only token for model `digits` cannot read versions of model `digits-v1.0.0-rc`; and a
 * missing model is reported as missing, not as lacking an alias.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ModelVersionKind } from '../../src/api/kinds/model-version.js';
import { ModelCache } from '../../src/artifacts/index.js';
import { createRegistryModule } from '../../src/registry/registry-module.js';
import { modelReadScope } from '../../src/runtime/kubernetes/registry-token.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startPlatform, type Platform } from '../../src/server/platform.js';
import { ScopedTokens } from '../../src/server/scoped-tokens.js';
import { ModelResolver, ModelSourceError } from '../../src/serving/control/model-resolver.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';

const NS = '/apis/capstan.dev/v1alpha1/namespaces/default';
let dir: string;
let backend: SqliteBackend;
let platform: Platform;
let url: string;
let admin: Record<string, string>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-mv-identity-'));
  backend = new SqliteBackend({ path: join(dir, 'store.db') });
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir: dir, logLevel: 'silent' }, {});
  platform = await startPlatform(cfg, { modules: [createRegistryModule({ gcIntervalMs: 0, inUseResyncMs: 500 }, {})], openBackend: async () => backend }, pino({ level: 'silent' }));
  url = platform.url;
  admin = { authorization: `Bearer ${platform.adminToken}` };
});
after(async () => {
  await platform?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(path: string, init: RequestInit = {}, headers: Record<string, string> = admin): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, { redirect: 'manual', ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a blob or an empty body
  }
  return { status: res.status, body };
}

const putVersion = (model: string, version: string, bytes: string) =>
  call(`${NS}/modelversions/${model}-v${version}/artifact?model=${model}&format=binary&filename=model.bin`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });

const fieldsOf = (st: { details?: { causes?: Array<{ field?: string }> } }) => (st.details?.causes ?? []).map((c) => c.field);

test('a version containing "-v<digit>" is refused with 422 naming version, on every way in', async () => {
  const put = await putVersion('a', '1.0.0-rc-v1.0.0', 'bytes of a');
  assert.equal(put.status, 422, JSON.stringify(put.body));
  assert.deepEqual(fieldsOf(put.body), ['version']);
  assert.match(put.body.details.causes[0].message, /another model/);

  const blob = await call(`${NS}/models/a/blobs`, { method: 'POST', body: 'bytes of a', headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(blob.status, 201);
  const post = await call(`${NS}/models/a/versions`, { method: 'POST', body: JSON.stringify({ version: '2.0.0-x-v3', format: 'binary', file: { path: 'model.bin', sha256: blob.body.sha256 } }), headers: { 'content-type': 'application/json' } });
  assert.equal(post.status, 422, JSON.stringify(post.body));
  assert.deepEqual(fieldsOf(post.body), ['version']);

  const generic = await call(`${NS}/modelversions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'capstan.dev/v1alpha1', kind: 'ModelVersion',
      metadata: { name: 'a-v1.0.0-rc-v1.0.0', labels: { 'capstan.dev/model': 'a' } },
      spec: { model: 'a', version: '1.0.0-rc-v1.0.0', format: 'binary', artifact: { uri: '/x', sha256: blob.body.sha256, size: 10 } },
    }),
  });
  assert.equal(generic.status, 422, JSON.stringify(generic.body));
  assert.deepEqual(fieldsOf(generic.body), ['spec.version']);
  assert.equal(await platform.client.tryGet(ModelVersionKind, 'default', 'a-v1.0.0-rc-v1.0.0'), undefined);

  // Other prereleases, and model names containing -v, are fine.
  assert.equal((await putVersion('a', '1.0.0-rc.1', 'bytes of a')).status, 201);
  assert.equal((await putVersion('resnet-v2', '1.0.0', 'bytes of resnet')).status, 201);
});

test('a name stored before the rule is never taken for another model\'s version, and stays readable', async () => {
  // What an older server could store: model a, version 1.0.0-rc-v1.0.0 (written in-process, past the HTTP guards).
  const blob = await call(`${NS}/models/old/blobs`, { method: 'POST', body: 'legacy bytes', headers: { 'content-type': 'application/octet-stream' } });
  const sha = blob.body.sha256 as string;
  await platform.client.create(ModelVersionKind, {
    apiVersion: 'capstan.dev/v1alpha1', kind: 'ModelVersion',
    metadata: { name: 'old-v1.0.0-rc-v1.0.0', namespace: 'default', labels: { 'capstan.dev/model': 'old' } },
    spec: { model: 'old', version: '1.0.0-rc-v1.0.0', format: 'binary', artifact: { uri: `${NS}/modelversions/old-v1.0.0-rc-v1.0.0/artifact`, sha256: sha, size: 12, files: [{ path: 'model.bin', sha256: sha, size: 12 }] } },
  });

  // The same bytes pushed as old-v1.0.0-rc@1.0.0 used to answer 200 with model old's object.
  const clash = await putVersion('old-v1.0.0-rc', '1.0.0', 'legacy bytes');
  assert.equal(clash.status, 409, JSON.stringify(clash.body));
  assert.equal(clash.body.reason, 'Conflict');
  assert.match(clash.body.message, /old-v1\.0\.0-rc-v1\.0\.0 is taken by version 1\.0\.0-rc-v1\.0\.0 of model old/);
  const other = await putVersion('old-v1.0.0-rc', '1.0.0', 'other bytes');
  assert.equal(other.status, 409, JSON.stringify(other.body));

  // An alias of old-v1.0.0-rc cannot point at model old's object.
  const alias = await call(`${NS}/models/old-v1.0.0-rc/aliases/production`, { method: 'PUT', body: JSON.stringify({ version: '1.0.0' }), headers: { 'content-type': 'application/json' } });
  assert.equal(alias.status, 422, JSON.stringify(alias.body));
  assert.match(alias.body.details.causes[0].message, /has no version 1\.0\.0/);

  // The stored version keeps working: download, resolve, alias, metadata edits.
  const dl = await fetch(`${url}${NS}/modelversions/old-v1.0.0-rc-v1.0.0/artifact`, { headers: admin });
  assert.equal(dl.status, 200);
  assert.equal(await dl.text(), 'legacy bytes');
  const resolved = await call(`${NS}/models/old/resolve?selector=1.0.0-rc-v1.0.0`);
  assert.equal(resolved.status, 200, JSON.stringify(resolved.body));
  assert.equal(resolved.body.metadata.name, 'old-v1.0.0-rc-v1.0.0');
  await platform.client.create(platform.kinds.find('Model')!, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Model', metadata: { name: 'old', namespace: 'default' }, spec: {} }).catch(() => undefined);
  const moved = await call(`${NS}/models/old/aliases/production`, { method: 'PUT', body: JSON.stringify({ version: '1.0.0-rc-v1.0.0' }), headers: { 'content-type': 'application/json' } });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  const patched = await call(`${NS}/modelversions/old-v1.0.0-rc-v1.0.0`, { method: 'PATCH', body: JSON.stringify({ spec: { metrics: { accuracy: 0.9 } } }), headers: { 'content-type': 'application/merge-patch+json' } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
});

test('a read-only token for model digits reads digits\' versions, not those of model digits-v1.0.0-rc', async () => {
  assert.equal((await putVersion('digits', '1.0.0', 'digits bytes')).status, 201);
  // Allowed now (1.0.0 has no -v<digit>), and named digits-v1.0.0-rc-v1.0.0: the old name pattern took it for digits'.
  assert.equal((await putVersion('digits-v1.0.0-rc', '1.0.0', 'secret bytes')).status, 201);
  const token = await new ScopedTokens(backend).issue({ kind: 'InferenceService', name: 'svc', uid: 'uid-svc', namespace: 'default' }, modelReadScope('default', 'digits'));
  const bearer = { authorization: `Bearer ${token}` };

  const own = await fetch(`${url}${NS}/modelversions/digits-v1.0.0/artifact`, { headers: bearer });
  assert.equal(own.status, 200);
  assert.equal(await own.text(), 'digits bytes');
  assert.equal((await call(`${NS}/modelversions/digits-v1.0.0`, {}, bearer)).status, 200);
  const viaRef = await call(`${NS}/models/digits/artifact?ref=1.0.0`, {}, bearer);
  assert.equal(viaRef.status, 307);

  for (const path of [`${NS}/modelversions/digits-v1.0.0-rc-v1.0.0/artifact`, `${NS}/modelversions/digits-v1.0.0-rc-v1.0.0`, `${NS}/modelversions/digits-v1.0.0-rc-v1.0.0/status`, `${NS}/models/digits-v1.0.0-rc/artifact`]) {
    const r = await call(path, {}, bearer);
    assert.equal(r.status, 403, `${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    assert.equal(r.body.reason, 'Forbidden');
  }
  // A version that does not exist is refused too (nothing to show it belongs to digits).
  assert.equal((await call(`${NS}/modelversions/digits-v9.9.9/artifact`, {}, bearer)).status, 403);
});

test('a missing model is reported as missing in its project, not as lacking the alias', async () => {
  for (const path of [`${NS}/models/ghost/resolve?selector=production`, `${NS}/models/ghost/artifact?ref=production`, `${NS}/models/ghost/resolve`]) {
    const r = await call(path);
    assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.reason, 'NotFound');
    assert.equal(r.body.message, 'model ghost does not exist in project default', path);
    assert.equal(r.body.details.kind, 'Model');
    assert.equal(r.body.details.name, 'ghost');
  }
  // An existing model without the alias still says so.
  const noAlias = await call(`${NS}/models/digits/resolve?selector=production`);
  assert.equal(noAlias.status, 404);
  assert.match(noAlias.body.message, /no alias "production"/);

  // What an InferenceService's condition says (the controller's resolver).
  const resolver = new ModelResolver({ cache: new ModelCache({ root: join(dir, 'cache'), maxBytes: 1 << 20 }), client: platform.client, downloadDir: join(dir, 'downloads') });
  await assert.rejects(resolver.resolve('default', { model: 'ghost@production' }), (err: unknown) => {
    assert.ok(err instanceof ModelSourceError);
    assert.equal(err.reason, 'ModelNotFound');
    assert.match(err.message, /model ghost does not exist in project default/);
    assert.doesNotMatch(err.message, /alias/);
    return true;
  });
});
