/**
 * Sessions, login throttling, the gateway's data plane, the audit log and secrets, on a real
 * platform: a dashboard session is a cookie whose writes need the CSRF header; failed sign-ins
 * are slowed with 429 + Retry-After; a private InferenceService answers 401/403/200 by token and a
 * public one without; every mutation lands in the audit log with its correlation id and without
 * any secret; and no password or token appears in the server's output, Events or audit records.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerProcess, type ServerProcess } from '../support/spawn-capstan.js';

let server: ServerProcess;
let dataDir: string;
let admin: string;
let alice: string;
const P = '/apis/capstan.dev/v1alpha1';
const PASSWORD = 'a long and secret passphrase';

async function req(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; type?: string } = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': opts.type ?? 'application/json' } : {}), ...opts.headers },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'capstan-sessions-'));
  server = await startServerProcess(dataDir, { CAPSTAN_LOG_LEVEL: 'debug' });
  admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  for (const p of ['alpha', 'beta']) assert.equal((await req('POST', `${P}/projects`, { token: admin, body: { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: p }, spec: {} } })).status, 201);
  assert.equal((await req('POST', `${P}/users`, { token: admin, body: { apiVersion: 'capstan.dev/v1alpha1', kind: 'User', metadata: { name: 'alice' }, spec: {} } })).status, 201);
  assert.equal((await req('PUT', '/auth/users/alice/password', { token: admin, body: { password: PASSWORD } })).status, 200);
  assert.equal((await req('PATCH', `${P}/projects/alpha`, { token: admin, type: 'application/merge-patch+json', body: { spec: { members: [{ user: 'alice', role: 'editor' }] } } })).status, 200);
  const res = await req('POST', '/auth/login', { body: { user: 'alice', password: PASSWORD, issueToken: true } });
  alice = ((await res.json()) as { token: string }).token;
});
after(async () => {
  server?.child.kill('SIGTERM');
  await new Promise((r) => server?.child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
});

test('the first start made an admin user whose password (in admin.password) signs in', async () => {
  const password = readFileSync(join(dataDir, 'admin.password'), 'utf8').trim();
  const res = await req('POST', '/auth/login', { body: { user: 'admin', password } });
  assert.equal(res.status, 200);
  assert.ok(!server.output().includes(password), 'the admin password is not printed');
});

test('a dashboard session: httpOnly SameSite cookie; writes need the CSRF header; logout ends it', async () => {
  const res = await req('POST', '/auth/login', { body: { user: 'alice', password: PASSWORD } });
  assert.equal(res.status, 200);
  const cookies = res.headers.getSetCookie();
  const session = cookies.find((c) => c.startsWith('capstan_session='))!;
  assert.match(session, /HttpOnly/);
  assert.match(session, /SameSite=Strict/);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
  assert.equal((await req('GET', `${P}/namespaces/alpha/models`, { headers: { cookie } })).status, 200);
  const model = { apiVersion: 'capstan.dev/v1alpha1', kind: 'Model', metadata: { name: 'm' }, spec: {} };
  const noCsrf = await req('POST', `${P}/namespaces/alpha/models`, { headers: { cookie }, body: model });
  assert.equal(noCsrf.status, 403);
  assert.match(await noCsrf.text(), /x-capstan-csrf/);
  assert.equal((await req('POST', `${P}/namespaces/alpha/models`, { headers: { cookie, 'x-capstan-csrf': 'forged' }, body: model })).status, 403);
  assert.equal((await req('POST', `${P}/namespaces/alpha/models`, { headers: { cookie, 'x-capstan-csrf': csrfToken }, body: model })).status, 201);
  assert.equal((await req('POST', '/auth/logout', { headers: { cookie, 'x-capstan-csrf': csrfToken } })).status, 200);
  let status = 0;
  for (let i = 0; i < 100 && (status = (await req('GET', `${P}/namespaces/alpha/models`, { headers: { cookie } })).status) !== 401; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(status, 401, 'the session is revoked at logout');
});

test('failed sign-ins are slowed: after 5 failures 429 with Retry-After, even with the right password', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await req('POST', '/auth/login', { body: { user: 'alice', password: `wrong guess ${i}` } })).status);
  assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401]);
  const locked = await req('POST', '/auth/login', { body: { user: 'alice', password: PASSWORD } });
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) >= 1);
  const unknown = await req('POST', '/auth/login', { body: { user: 'nobody-here', password: 'whatever it is' } });
  assert.equal(unknown.status, 429, 'the address is throttled too');
  const malformed = await req('POST', '/auth/login', { body: { user: 'alice', password: 5 } });
  assert.equal(malformed.status, 422);
  assert.match(await malformed.text(), /password/);
});

test('the audit log has who, what, outcome and correlation id; no secrets; JSON lines export; paging', async () => {
  const cid = 'flow-42';
  const created = await req('POST', `${P}/namespaces/alpha/models`, { token: admin, headers: { 'x-capstan-correlation-id': cid }, body: { apiVersion: 'capstan.dev/v1alpha1', kind: 'Model', metadata: { name: 'audited' }, spec: { description: 'first' } } });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('x-capstan-correlation-id'), cid);
  await req('PATCH', `${P}/namespaces/alpha/models/audited`, { token: admin, type: 'application/merge-patch+json', headers: { 'x-capstan-correlation-id': cid }, body: { spec: { description: 'second' } } });
  await req('PUT', `${P}/namespaces/alpha/models/audited`, { token: admin, body: { apiVersion: 'capstan.dev/v1alpha1', kind: 'Model', metadata: { name: 'audited', namespace: 'alpha' }, spec: { description: 'third' } } });
  const denied = await req('DELETE', `${P}/namespaces/beta/models/x`, { token: alice });
  assert.equal(denied.status, 403);
  const res = await req('GET', '/auth/audit?since=1h&kind=models&limit=50', { token: admin });
  assert.equal(res.status, 200);
  const page = (await res.json()) as { items: Array<Record<string, unknown>> };
  const mine = page.items.filter((i) => i.name === 'audited');
  assert.deepEqual(mine.map((i) => i.verb), ['update', 'patch', 'create']);
  assert.ok(mine.slice(1).every((i) => i.correlationId === cid));
  assert.equal(mine[2].user, 'admin');
  assert.equal(mine[2].kind, 'Model');
  assert.ok(typeof mine[2].uid === 'string');
  assert.deepEqual(mine[0].diff, { description: { from: 'second', to: 'third' } });
  const d = page.items.find((i) => i.verb === 'delete' && i.namespace === 'beta')!;
  assert.equal(d.user, 'alice');
  assert.equal(d.outcome, 'denied');
  assert.match(String(d.message), /forbidden/);
  const logins = (await (await req('GET', '/auth/audit?user=alice&limit=100', { token: admin })).json()) as { items: Array<Record<string, unknown>> };
  assert.ok(logins.items.some((i) => i.verb === 'login' && i.outcome === 'denied'), 'failed logins are audited');
  assert.ok(logins.items.some((i) => i.verb === 'login' && i.outcome === 'success'));
  const p1 = (await (await req('GET', '/auth/audit?limit=2', { token: admin })).json()) as { items: Array<{ id: number }>; continue: string };
  const p2 = (await (await req('GET', `/auth/audit?limit=2&continue=${p1.continue}`, { token: admin })).json()) as { items: Array<{ id: number }> };
  assert.ok(p2.items[0].id < p1.items[1].id, 'the next page is older');
  const jsonl = await (await req('GET', '/auth/audit?limit=5&format=jsonl', { token: admin })).text();
  assert.equal(jsonl.trim().split('\n').length, 5);
  for (const line of jsonl.trim().split('\n')) JSON.parse(line);
  const bad = await req('GET', '/auth/audit?limit=99999', { token: admin });
  assert.equal(bad.status, 422);
  assert.match(await bad.text(), /limit/);
  const forbidden = await req('GET', '/auth/audit', { token: alice });
  assert.equal(forbidden.status, 403);
});

test('tokens and passwords never appear in the server output, Events or the audit log', async () => {
  const { token } = (await (await req('POST', '/auth/tokens', { token: admin, body: { description: 'grep me' } })).json()) as { token: string };
  await req('GET', `${P}/projects`, { token });
  await req('GET', `${P}/projects`, { token: `${token}x` });
  await req('POST', '/auth/login', { body: { user: 'admin', password: PASSWORD } });
  await req('PUT', '/auth/users/alice/password', { token: admin, body: { password: `${PASSWORD}!` } });
  const events = await (await req('GET', `${P}/namespaces/default/events`, { token: admin })).text();
  const audit = await (await req('GET', '/auth/audit?limit=1000&format=jsonl', { token: admin })).text();
  const output = server.output();
  assert.ok(output.length > 0);
  for (const secret of [token, admin, PASSWORD, readFileSync(join(dataDir, 'admin.password'), 'utf8').trim()]) {
    for (const [where, text] of [['output', output], ['events', events], ['audit', audit]]) assert.ok(!text.includes(secret), `a secret appears in ${where}`);
  }
});
