/** Downloading by model reference: `…/models/{m}/artifact?ref=production` redirects to the resolved version's artifact. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startRegistryPlatform, type RegistryTestPlatform } from './registry-platform.js';

let tp: RegistryTestPlatform;
before(async () => {
  tp = await startRegistryPlatform();
});
after(async () => tp.stop());

const base = '/apis/capstan.dev/v1alpha1/namespaces/default';
const auth = () => ({ authorization: `Bearer ${tp.token}` });

async function push(version: string, bytes: Buffer): Promise<void> {
  const res = await fetch(`${tp.url}${base}/modelversions/blob-v${version}/artifact?model=blob&format=binary&filename=model.bin`, { method: 'PUT', body: new Uint8Array(bytes), headers: { ...auth(), 'content-type': 'application/octet-stream' } });
  assert.ok(res.status === 201 || res.status === 200, `push ${version}: ${res.status} ${await res.text()}`);
}

test('a model reference resolves server-side and redirects to the version; unknown refs are 404 Status', async () => {
  const one = Buffer.from('version one bytes');
  const two = Buffer.from('version two bytes, newer');
  await push('1.0.0', one);
  await push('1.1.0', two);
  await tp.client.request('PUT', `${base}/models/blob/aliases/production`, { version: '1.0.0', reason: 'first' });
  const r = await fetch(`${tp.url}${base}/models/blob/artifact?ref=production`, { headers: auth(), redirect: 'manual' });
  assert.equal(r.status, 307);
  assert.equal(r.headers.get('location'), `${base}/modelversions/blob-v1.0.0/artifact`);
  const followed = await fetch(`${tp.url}${base}/models/blob/artifact?ref=production`, { headers: auth() });
  assert.equal(followed.status, 200);
  assert.deepEqual(Buffer.from(await followed.arrayBuffer()), one);
  const latest = await fetch(`${tp.url}${base}/models/blob/artifact`, { headers: auth() });
  assert.equal(createHash('sha256').update(Buffer.from(await latest.arrayBuffer())).digest('hex'), createHash('sha256').update(two).digest('hex'));
  const missing = await fetch(`${tp.url}${base}/models/blob/artifact?ref=staging`, { headers: auth() });
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).kind, 'Status');
  const bad = await fetch(`${tp.url}${base}/models/blob/artifact?ref=%5E%5E1`, { headers: auth() });
  assert.equal(bad.status, 400);
});
