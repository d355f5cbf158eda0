/**
 * The authenticated data plane on a real platform: an InferenceService is private by default, so
 * the gateway answers 401 (with WWW-Authenticate) without a token, 403 for a token without infer in
 * the service's project, and forwards for one with it; `spec.public: true` opens it explicitly.
 * The replica is a small custom runtime (a real child process speaking KServe V1 on $PORT).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InferenceServiceKind } from '../../src/api/kinds/inference-service.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { condTrue, waitFor } from './isvc-helpers.js';

let tp: TestPlatform;
const P = '/apis/capstan.dev/v1alpha1';
const SERVER = `require('node:http').createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ predictions: [[7]] })); }).listen(Number(process.env.PORT), '127.0.0.1')`;

async function admin(method: string, path: string, body: unknown): Promise<Response> {
  const res = await fetch(`${tp.url}${path}`, { method, headers: { authorization: `Bearer ${tp.token}`, 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
  return res;
}

async function userToken(user: string): Promise<string> {
  await admin('POST', `${P}/users`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'User', metadata: { name: user }, spec: {} });
  await admin('PUT', `/auth/users/${user}/password`, { password: 'password of a user' });
  const res = await fetch(`${tp.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: 'password of a user', issueToken: true }) });
  return ((await res.json()) as { token: string }).token;
}

before(async () => {
  tp = await startTestPlatform();
});
after(async () => tp?.stop());

test('private by default: 401 without a token, 403 from another project, 200 with infer; public opens it', async () => {
  await admin('POST', `${P}/projects`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'other' }, spec: {} });
  const member = await userToken('member');
  const outsider = await userToken('outsider');
  await admin('PATCH', `${P}/projects/default`, { spec: { members: [{ user: 'member', role: 'viewer' }] } });
  await admin('PATCH', `${P}/projects/other`, { spec: { members: [{ user: 'outsider', role: 'admin' }] } });
  const manifest = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'InferenceService', metadata: { name, namespace: 'default' }, spec: { predictor: { runtime: 'custom', command: [process.execPath, '-e', SERVER] }, ...extra } });
  await tp.client.apply(InferenceServiceKind, manifest('secret'));
  const o = await waitFor(tp.client, 'secret', 'Ready', (s) => condTrue(s, 'Ready'));
  const url = `${(o.status as { url: string }).url}/v1/models/secret:predict`;
  const predict = (token?: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ instances: [[1]] }) });

  const anonymous = await predict();
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer realm="capstan"/);
  assert.match(((await anonymous.json()) as { error: string }).error, /private/);
  const bogus = await predict('cap_not-a-real-token-at-all-000000000000');
  assert.equal(bogus.status, 401);
  const wrongProject = await predict(outsider);
  assert.equal(wrongProject.status, 403);
  assert.match(((await wrongProject.json()) as { error: string }).error, /forbidden/);
  const ok = await predict(member);
  assert.equal(ok.status, 200);
  assert.deepEqual(((await ok.json()) as { predictions: number[][] }).predictions, [[7]]);
  // A token limited to another project cannot infer here, even for a cluster admin.
  const limited = (await (await admin('POST', '/auth/tokens', { project: 'other' })).json()) as { token: string };
  assert.equal((await predict(limited.token)).status, 403);

  await tp.client.patch(InferenceServiceKind, 'default', 'secret', { spec: { public: true } });
  let status = 0;
  for (let i = 0; i < 200 && (status = (await predict()).status) !== 200; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(status, 200, 'spec.public: true answers without credentials');
  await tp.client.delete(InferenceServiceKind, 'default', 'secret');
});
