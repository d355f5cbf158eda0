/**
 * `npm run bench:auth`: what tenancy costs, each against a baseline measured in the same run.
 * 1. The decision itself, in process: authenticate + authorize per request for the admin token
 *    (today's path) and for a user's personal token (the new path), in µs per call.
 * 2. The gateway's infer path: p50 latency through a gateway without authorization (before),
 *    with the admin token and with a viewer's token (after), over HTTP to a replica child process;
 *    rounds interleaved so machine noise hits every mode alike. Aim: within 20 µs of before.
 * 3. The API: p50 of GET with the admin token vs a viewer's token on one server.
 * 4. Audit overhead: creates/s (the bench:api workload: Events, concurrency 32) on a server with the
 *    audit log vs one started with CAPSTAN_AUDIT=false, rounds interleaved. Aim: < 10 % lower.
 * Prints a table, then one JSON line.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { builtinKindRegistry } from '../src/api/kinds/index.js';
import { ProjectKind } from '../src/api/kinds/project.js';
import { UserKind } from '../src/api/kinds/tenancy-kinds.js';
import { LocalClient } from '../src/client/local-client.js';
import { TokenAuthenticator } from '../src/server/auth.js';
import { RoleAuthorizer } from '../src/server/role-authorizer.js';
import { TenancyIndex } from '../src/server/tenancy-index.js';
import { UserAccounts } from '../src/server/user-accounts.js';
import { Gateway } from '../src/serving/gateway/index.js';
import { runFixedReplica } from './fixed-replica.js';
import { inferAuthorizer } from '../src/serving/control/infer-authorizer.js';
import { ObjectStore } from '../src/store/object-store.js';
import { SqliteBackend } from '../src/store/sqlite-backend.js';
import { startServerProcess } from '../test/support/spawn-capstan.js';

const BODY = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
const ANSWER = JSON.stringify({ model_name: 'm', outputs: [{ name: 'out', shape: [1, 1], datatype: 'FP32', data: [0.5] }] });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** A tenancy setup in memory: the admin token, user alice (viewer of default) and her token. */
async function tenancy() {
  const backend = new SqliteBackend({ path: ':memory:' });
  const client = new LocalClient(new ObjectStore(backend), builtinKindRegistry());
  await client.create(ProjectKind, { apiVersion: ProjectKind.apiVersion, kind: 'Project', metadata: { name: 'default' }, spec: { members: [{ user: 'alice', role: 'viewer' }] } });
  await client.create(UserKind, { apiVersion: UserKind.apiVersion, kind: 'User', metadata: { name: 'alice' }, spec: {} });
  const index = new TenancyIndex(client, pino({ level: 'silent' }));
  await index.start();
  const authn = new TokenAuthenticator(backend);
  const { createdToken } = await authn.init();
  authn.useTenancy(index, () => undefined);
  const { token } = await new UserAccounts(client, backend).issueToken({ type: 'personal', user: 'alice' }, 'alice');
  while (!index.allTokens().length) await new Promise((r) => setTimeout(r, 5));
  return { authn, authz: new RoleAuthorizer(index), admin: createdToken!, alice: token };
}

async function decisionCost(): Promise<Record<string, number>> {
  const t = await tenancy();
  const action = { verb: 'create' as const, resource: 'capstan.dev/inferenceservices', namespace: 'default', name: 'svc', subresource: 'infer' };
  const per = async (token: string) => {
    const n = 20_000;
    for (let i = 0; i < 2000; i++) t.authz.decide((await t.authn.authenticate(`Bearer ${token}`))!, action);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) t.authz.decide((await t.authn.authenticate(`Bearer ${token}`))!, action);
    return ((performance.now() - t0) * 1000) / n;
  };
  const admin = [];
  const user = [];
  for (let r = 0; r < 3; r++) {
    admin.push(await per(t.admin));
    user.push(await per(t.alice));
  }
  return { adminUs: Math.min(...admin), userUs: Math.min(...user) };
}

/** Child: a gateway (with or without the platform's infer check) in front of the replica. */
async function runGateway(replicaUrl: string, withAuth: boolean): Promise<void> {
  const t = await tenancy();
  const gw = new Gateway({ logger: pino({ level: 'warn' }), registry: new Registry(), ...(withAuth ? { authorize: inferAuthorizer((h) => t.authn.authenticateToken(TokenAuthenticator.bearer(h) ?? ''), t.authz) } : {}) });
  gw.setRoute('svc', { modelName: 'm', project: 'default', revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'r0', url: replicaUrl }] }] });
  process.send?.({ port: await gw.listen(0, '127.0.0.1'), admin: t.admin, alice: t.alice });
}

function startChild(args: string[]): Promise<{ child: ChildProcess; msg: { port: number; admin?: string; alice?: string } }> {
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, msg: m as { port: number } }));
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}`)));
  });
}

function request(agent: http.Agent, port: number, method: string, path: string, token: string | undefined, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) };
    const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** p50 latency (µs) of `n` sequential requests. */
async function latency(agent: http.Agent, port: number, method: string, path: string, token: string | undefined, n: number, body?: string): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const code = await request(agent, port, method, path, token, body);
    xs.push((performance.now() - t0) * 1000);
    if (code !== 200) throw new Error(`HTTP ${code} for ${path}`);
  }
  return pct(xs, 50);
}

async function gatewayPath(): Promise<Record<string, number>> {
  const replica = await startChild(['replica']);
  const url = `http://127.0.0.1:${replica.msg.port}`;
  const before = await startChild(['gateway', url, 'none']);
  const after = await startChild(['gateway', url, 'auth']);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const p = '/v2/models/svc/infer';
  const rounds: Record<string, number[]> = { before: [], admin: [], user: [] };
  try {
    for (const g of [before, after]) await latency(agent, g.msg.port, 'POST', p, g.msg.admin, 500, BODY);
    for (let r = 0; r < 5; r++) {
      rounds.before.push(await latency(agent, before.msg.port, 'POST', p, undefined, 1000, BODY));
      rounds.admin.push(await latency(agent, after.msg.port, 'POST', p, after.msg.admin, 1000, BODY));
      rounds.user.push(await latency(agent, after.msg.port, 'POST', p, after.msg.alice, 1000, BODY));
    }
  } finally {
    agent.destroy();
    for (const c of [replica, before, after]) c.child.kill();
  }
  const med = (xs: number[]) => pct(xs, 50);
  return { beforeUs: med(rounds.before), adminUs: med(rounds.admin), userUs: med(rounds.user) };
}

async function apiAndAudit(): Promise<Record<string, number>> {
  const dirs = [mkdtempSync(join(tmpdir(), 'capstan-auth-a-')), mkdtempSync(join(tmpdir(), 'capstan-auth-b-'))];
  const withAudit = await startServerProcess(dirs[0]);
  const without = await startServerProcess(dirs[1], { CAPSTAN_AUDIT: 'false' });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const port = (u: string) => Number(new URL(u).port);
  try {
    const admin = readFileSync(join(dirs[0], 'admin.token'), 'utf8').trim();
    const admin2 = readFileSync(join(dirs[1], 'admin.token'), 'utf8').trim();
    const P = '/apis/capstan.dev/v1alpha1';
    const pa = port(withAudit.url);
    await request(agent, pa, 'POST', `${P}/users`, admin, JSON.stringify({ apiVersion: 'capstan.dev/v1alpha1', kind: 'User', metadata: { name: 'alice' }, spec: {} }));
    await request(agent, pa, 'PUT', '/auth/users/alice/password', admin, JSON.stringify({ password: 'bench password' }));
    await request(agent, pa, 'PATCH', `${P}/projects/default`, admin, JSON.stringify({ spec: { members: [{ user: 'alice', role: 'viewer' }] } }));
    const alice = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: pa, path: '/auth/login', method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let s = '';
        res.on('data', (d) => (s += d));
        res.on('end', () => resolve((JSON.parse(s) as { token: string }).token));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ user: 'alice', password: 'bench password', issueToken: true }));
    });
    const get = `${P}/namespaces/default/models`;
    const api = { admin: [] as number[], user: [] as number[] };
    for (let r = 0; r < 5; r++) {
      api.admin.push(await latency(agent, pa, 'GET', get, admin, 400));
      api.user.push(await latency(agent, pa, 'GET', get, alice, 400));
    }
    const creates = async (p: number, token: string, round: number) => {
      let next = 0;
      const total = 3000;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: 32 }, async () => {
        while (next < total) {
          const i = next++;
          const code = await request(agent, p, 'POST', `${P}/namespaces/default/events`, token, JSON.stringify({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name: `e${round}-${i}` }, involvedObject: { kind: 'Project', name: 'default' }, reason: 'Bench', message: 'm' }));
          if (code !== 201) throw new Error(`create: HTTP ${code}`);
        }
      }));
      return total / ((performance.now() - t0) / 1000);
    };
    const audit = { on: [] as number[], off: [] as number[] };
    for (let r = 0; r < 4; r++) {
      audit.off.push(await creates(port(without.url), admin2, r));
      audit.on.push(await creates(pa, admin, r));
    }
    return { apiAdminUs: pct(api.admin, 50), apiUserUs: pct(api.user, 50), createsAuditOn: pct(audit.on, 50), createsAuditOff: pct(audit.off, 50) };
  } finally {
    agent.destroy();
    for (const s of [withAudit, without]) s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const role = process.argv[2];
  if (role === 'replica') return runFixedReplica(ANSWER);
  if (role === 'gateway') return runGateway(process.argv[3], process.argv[4] === 'auth');
  const d = await decisionCost();
  const g = await gatewayPath();
  const a = await apiAndAudit();
  const f = (x: number) => x.toFixed(1);
  const rows: Array<[string, string, string, string]> = [
    ['decision (authenticate + authorize), in process', `admin ${f(d.adminUs)} µs`, `user token ${f(d.userUs)} µs`, `+${f(d.userUs - d.adminUs)} µs`],
    ['gateway infer p50, c=1', `no auth ${f(g.beforeUs)} µs`, `admin ${f(g.adminUs)} µs / user ${f(g.userUs)} µs`, `+${f(g.userUs - g.beforeUs)} µs (aim ≤ 20)`],
    ['API GET list p50, c=1', `admin ${f(a.apiAdminUs)} µs`, `viewer ${f(a.apiUserUs)} µs`, `+${f(a.apiUserUs - a.apiAdminUs)} µs`],
    ['creates/s, c=32 (Events)', `audit off ${a.createsAuditOff.toFixed(0)}`, `audit on ${a.createsAuditOn.toFixed(0)}`, `${(((a.createsAuditOn - a.createsAuditOff) / a.createsAuditOff) * 100).toFixed(1)} % (aim > -10 %)`],
  ];
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 10));
  console.log(['what', 'baseline', 'with tenancy', 'difference'].map((h, i) => h.padEnd(w[i])).join('  '));
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i])).join('  '));
  const gatewayAddedUs = g.userUs - g.beforeUs;
  const auditRatio = a.createsAuditOn / a.createsAuditOff;
  console.log(JSON.stringify({ bench: 'auth', decision: d, gateway: g, api: { adminUs: a.apiAdminUs, userUs: a.apiUserUs }, audit: { on: a.createsAuditOn, off: a.createsAuditOff, ratio: auditRatio }, gatewayAddedUs, met: { gateway: gatewayAddedUs <= 20, audit: auditRatio >= 0.9 } }));
}

await main();
