/**
 * The authorization matrix on a real platform over HTTP: every kind of subject (no role, viewer,
 * editor and admin of project A, a group's editor, cluster-viewer, cluster-admin, a cluster admin's
 * token limited to A as viewer, a service account of A, an expired, a revoked token and a disabled
 * user) × verbs on project kinds and subresources × own/other project, plus cluster-scoped actions.
 * The expectations are written out here by hand from docs/tenancy.md's table, not derived from the
 * rule code: a request is "allowed" when it is not answered 401/403.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiTokenKind } from '../../src/api/kinds/tenancy-kinds.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let tp: TestPlatform;
const P = '/apis/capstan.dev/v1alpha1';
const PASSWORD = 'correct horse battery staple';

async function call(token: string | undefined, method: string, path: string, body?: unknown): Promise<number> {
  const ctl = new AbortController();
  const res = await fetch(`${tp.url}${path}`, {
    method,
    signal: ctl.signal,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  // Watches stream: the status is all we need.
  ctl.abort();
  return res.status;
}

async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${tp.url}${path}`, { method, headers: { authorization: `Bearer ${tp.token}`, 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function login(user: string): Promise<string> {
  const res = await fetch(`${tp.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, password: PASSWORD, issueToken: true }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

async function tokenOf(token: string, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const res = await fetch(`${tp.url}/auth/tokens`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: string; token: string };
}

const model = (name: string, ns: string) => ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Model', metadata: { name, namespace: ns }, spec: { description: 'x' } });
const event = (name: string, ns: string) => ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name, namespace: ns }, involvedObject: { kind: 'Project', name: ns }, reason: 'Test', message: 'm' });

type Cell = 'read' | 'write' | 'infer' | 'manage';
/** Per subject: what it may do in A, in B, and cluster-wide. */
interface Expect {
  a: Cell[];
  b: Cell[];
  listUsers: boolean;
  createUser: boolean;
  createProject: boolean;
  /** 401 for everything. */
  unauthenticated?: boolean;
}
const ALL: Cell[] = ['read', 'write', 'infer', 'manage'];
const subjects: Record<string, { token: string; expect: Expect }> = {};

before(async () => {
  tp = await startTestPlatform();
  for (const p of ['team-a', 'team-b']) await admin('POST', `${P}/projects`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: p }, spec: {} });
  for (const [u, clusterRole] of [['nobody'], ['viewer'], ['editor'], ['owner'], ['grouped'], ['cviewer', 'cluster-viewer'], ['cadmin', 'cluster-admin'], ['gone']] as Array<[string, string?]>) {
    await admin('POST', `${P}/users`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'User', metadata: { name: u }, spec: clusterRole ? { clusterRole } : {} });
    await admin('PUT', `/auth/users/${u}/password`, { password: PASSWORD });
  }
  await admin('POST', `${P}/groups`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Group', metadata: { name: 'team-a-devs' }, spec: { members: ['grouped'] } });
  await admin('PATCH', `${P}/projects/team-a`, { spec: { members: [{ user: 'viewer', role: 'viewer' }, { user: 'editor', role: 'editor' }, { user: 'owner', role: 'admin' }, { group: 'team-a-devs', role: 'editor' }, { user: 'gone', role: 'editor' }] } });
  const none: Cell[] = [];
  const cluster = { listUsers: false, createUser: false, createProject: false };
  subjects.nobody = { token: await login('nobody'), expect: { a: none, b: none, ...cluster } };
  subjects.viewer = { token: await login('viewer'), expect: { a: ['read', 'infer'], b: none, ...cluster } };
  subjects.editor = { token: await login('editor'), expect: { a: ['read', 'write', 'infer'], b: none, ...cluster } };
  subjects.owner = { token: await login('owner'), expect: { a: ALL, b: none, ...cluster } };
  subjects.grouped = { token: await login('grouped'), expect: { a: ['read', 'write', 'infer'], b: none, ...cluster } };
  subjects.cviewer = { token: await login('cviewer'), expect: { a: ['read', 'infer'], b: ['read', 'infer'], ...cluster, listUsers: true } };
  const cadmin = await login('cadmin');
  subjects.cadmin = { token: cadmin, expect: { a: ALL, b: ALL, listUsers: true, createUser: true, createProject: true } };
  subjects.cadminLimited = { token: (await tokenOf(cadmin, { project: 'team-a', role: 'viewer' })).token, expect: { a: ['read', 'infer'], b: none, ...cluster } };
  subjects.serviceAccount = { token: (await tokenOf(subjects.owner.token, { serviceAccount: 'ci', project: 'team-a', role: 'editor' })).token, expect: { a: ['read', 'write', 'infer'], b: none, ...cluster } };
  const expired = await tokenOf(subjects.editor.token, { expires: '1h' });
  await tp.platform.client.patch(ApiTokenKind, undefined, expired.id, { spec: { expiresAt: new Date(Date.now() - 1000).toISOString() } });
  subjects.expired = { token: expired.token, expect: { a: none, b: none, ...cluster, unauthenticated: true } };
  const revoked = await tokenOf(subjects.editor.token, {});
  assert.equal(await call(subjects.editor.token, 'DELETE', `/auth/tokens/${revoked.id}`), 200);
  subjects.revoked = { token: revoked.token, expect: { a: none, b: none, ...cluster, unauthenticated: true } };
  subjects.disabled = { token: await login('gone'), expect: { a: none, b: none, ...cluster, unauthenticated: true } };
  await admin('PATCH', `${P}/users/gone`, { spec: { disabled: true } });
  // The watch-fed index has seen every change above once a fresh read through it agrees.
  for (let i = 0; i < 200 && (await call(subjects.disabled.token, 'GET', `${P}/projects`)) !== 401; i++) await new Promise((r) => setTimeout(r, 10));
  for (const ns of ['team-a', 'team-b']) for (const n of ['m1', 'm2']) await admin('POST', `${P}/namespaces/${ns}/models`, model(n, ns));
});
after(async () => tp?.stop());

/** The requests of each cell in a project. */
function requests(ns: string, who: string): Array<{ cell: Cell; method: string; path: string; body?: unknown }> {
  const base = `${P}/namespaces/${ns}`;
  return [
    { cell: 'read', method: 'GET', path: `${base}/models` },
    { cell: 'read', method: 'GET', path: `${base}/models/m1` },
    { cell: 'read', method: 'GET', path: `${base}/models?watch=true` },
    { cell: 'read', method: 'GET', path: `${base}/events` },
    { cell: 'read', method: 'GET', path: `${base}/trainingjobs/nope/log` },
    { cell: 'read', method: 'GET', path: `${base}/models/m1/artifact` },
    { cell: 'read', method: 'GET', path: `/apis/capstan.dev/v1alpha1/projects/${ns}` },
    { cell: 'write', method: 'POST', path: `${base}/models`, body: model(`new-${who}`.toLowerCase(), ns) },
    { cell: 'write', method: 'POST', path: `${base}/events`, body: event(`e-${who}`.toLowerCase(), ns) },
    { cell: 'write', method: 'PATCH', path: `${base}/models/m2`, body: { spec: { description: who } } },
    { cell: 'write', method: 'PUT', path: `${base}/models/m2`, body: model('m2', ns) },
    { cell: 'write', method: 'DELETE', path: `${base}/models/does-not-exist` },
    { cell: 'write', method: 'PUT', path: `${base}/models/m1/aliases/production`, body: { version: '9.9.9' } },
    { cell: 'infer', method: 'POST', path: `${base}/inferenceservices/nope/proxy/v2/models/nope/infer`, body: { inputs: [] } },
    { cell: 'manage', method: 'PATCH', path: `/apis/capstan.dev/v1alpha1/projects/${ns}`, body: { spec: { description: who } } },
    { cell: 'manage', method: 'GET', path: `/auth/audit?project=${ns}` },
  ];
}

test('every subject gets exactly the documented cells in its own and another project', async () => {
  const wrong: string[] = [];
  for (const [who, { token, expect }] of Object.entries(subjects)) {
    for (const [ns, cells] of [['team-a', expect.a], ['team-b', expect.b]] as const) {
      for (const r of requests(ns, who)) {
        const status = await call(token, r.method, r.path, r.body);
        const want = expect.unauthenticated ? 401 : cells.includes(r.cell) ? 'allowed' : 403;
        const got = status === 401 || status === 403 ? status : 'allowed';
        if (got !== want) wrong.push(`${who}: ${r.method} ${r.path} → ${status}, expected ${want}`);
      }
    }
    const cluster: Array<[boolean, string, string, unknown?]> = [
      [expect.listUsers, 'GET', `${P}/users`],
      [expect.createUser, 'POST', `${P}/users`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'User', metadata: { name: `u-${who}`.toLowerCase() }, spec: {} }],
      [expect.createProject, 'POST', `${P}/projects`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: `p-${who}`.toLowerCase() }, spec: {} }],
      [expect.createProject, 'DELETE', `${P}/projects/does-not-exist`],
      [expect.listUsers, 'GET', '/auth/audit'],
      [!expect.unauthenticated, 'GET', `${P}/clusterqueues`],
      [!expect.unauthenticated, 'GET', '/auth/whoami'],
    ];
    for (const [allowed, method, path, body] of cluster) {
      const status = await call(token, method, path, body);
      const want = expect.unauthenticated ? 401 : allowed ? 'allowed' : 403;
      const got = status === 401 || status === 403 ? status : 'allowed';
      if (got !== want) wrong.push(`${who}: ${method} ${path} → ${status}, expected ${want}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('apitokens are never written through the generic routes, not even by cluster admins', async () => {
  assert.equal(await call(tp.token, 'POST', `${P}/apitokens`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'ApiToken', metadata: { name: 'tok-0000000000000000000000000000000000000000' }, spec: { type: 'personal', user: 'cadmin' } }), 403);
  assert.equal(await call(subjects.cadmin.token, 'POST', `${P}/apitokens`, { apiVersion: 'capstan.dev/v1alpha1', kind: 'ApiToken', metadata: { name: 'tok-0000000000000000000000000000000000000000' }, spec: { type: 'personal', user: 'cadmin' } }), 403);
});

test('the project list shows only projects with a role; can-i and the access review agree with the matrix', async () => {
  const list = async (token: string) => {
    const res = await fetch(`${tp.url}${P}/projects`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { items: Array<{ metadata: { name: string } }> }).items.map((p) => p.metadata.name).sort();
  };
  assert.deepEqual(await list(subjects.nobody.token), []);
  assert.deepEqual(await list(subjects.viewer.token), ['team-a']);
  assert.deepEqual(await list(subjects.cadminLimited.token), ['team-a']);
  assert.ok((await list(subjects.cviewer.token)).includes('team-b'));
  const canI = async (token: string, body: Record<string, unknown>) => {
    const res = await fetch(`${tp.url}/auth/can-i`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return ((await res.json()) as { allowed: boolean }).allowed;
  };
  assert.equal(await canI(subjects.viewer.token, { verb: 'create', resource: 'inferenceservices', namespace: 'team-a' }), false);
  assert.equal(await canI(subjects.viewer.token, { verb: 'create', resource: 'isvc', namespace: 'team-a', subresource: 'infer' }), true);
  assert.equal(await canI(tp.token, { verb: 'delete', resource: 'models', namespace: 'team-a', as: 'editor' }), true);
  assert.equal(await canI(tp.token, { verb: 'delete', resource: 'models', namespace: 'team-b', as: 'editor' }), false);
  const asOther = await fetch(`${tp.url}/auth/can-i`, { method: 'POST', headers: { authorization: `Bearer ${subjects.viewer.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ verb: 'get', resource: 'models', as: 'cadmin' }) });
  assert.equal(asOther.status, 403, 'only cluster admins ask for others');
  const bad = await fetch(`${tp.url}/auth/can-i`, { method: 'POST', headers: { authorization: `Bearer ${tp.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ verb: 'fly', resource: 'models' }) });
  assert.equal(bad.status, 422);
  assert.match(await bad.text(), /verb/);
  const review = await fetch(`${tp.url}/auth/access-review?project=team-a`, { headers: { authorization: `Bearer ${subjects.viewer.token}` } });
  const r = (await review.json()) as { members: Array<{ user?: string; group?: string; members?: string[]; role: string }>; serviceAccounts: Array<{ serviceAccount: string; role: string }> };
  assert.deepEqual(r.members.find((m) => m.group === 'team-a-devs'), { group: 'team-a-devs', members: ['grouped'], role: 'editor', grants: ['read', 'infer', 'write'] });
  assert.ok(r.serviceAccounts.some((s) => s.serviceAccount === 'system:serviceaccount:team-a:ci' && s.role === 'editor'));
  assert.equal((await fetch(`${tp.url}/auth/access-review?project=team-b`, { headers: { authorization: `Bearer ${subjects.viewer.token}` } })).status, 403);
});

test('a removed member loses access at once; a 401 names why without quoting the token', async () => {
  const before = await call(subjects.editor.token, 'GET', `${P}/namespaces/team-a/models`);
  assert.equal(before, 200);
  const p = await admin<{ spec: { members: Array<{ user?: string }> } }>('GET', `${P}/projects/team-a`);
  await admin('PATCH', `${P}/projects/team-a`, { spec: { members: p.spec.members.filter((m) => m.user !== 'editor') } });
  let status = 0;
  for (let i = 0; i < 200 && (status = await call(subjects.editor.token, 'GET', `${P}/namespaces/team-a/models`)) !== 403; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(status, 403);
  const res = await fetch(`${tp.url}${P}/projects`, { headers: { authorization: `Bearer ${subjects.expired.token}` } });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  const text = await res.text();
  assert.match(text, /expired/);
  assert.ok(!text.includes(subjects.expired.token));
});
