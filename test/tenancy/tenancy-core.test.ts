/** The pure tenancy cores: the rule table's decisions, the login throttle's back-off, password hashes, audit redaction and diffs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets, specDiff } from '../../src/server/audit-log.js';
import { LoginThrottle } from '../../src/tenancy/login-throttle.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../src/tenancy/passwords.js';
import { accessClass, decide, projectVisible, type ProjectRole, type SubjectFacts } from '../../src/tenancy/roles.js';

const facts = (roles: Record<string, ProjectRole>, extra: Partial<SubjectFacts> = {}): SubjectFacts => ({ user: 'u', projectRole: (p) => roles[p], ...extra });
const act = (verb: 'get' | 'create' | 'patch' | 'delete' | 'list', resource: string, namespace?: string, subresource?: string, name?: string) => ({ verb, resource: `capstan.dev/${resource}`, ...(namespace ? { namespace } : {}), ...(subresource ? { subresource } : {}), ...(name ? { name } : {}) });

test('access classes: reads, writes, inference (also through the dashboard proxy) and project management', () => {
  assert.equal(accessClass(act('get', 'models', 'a', 'artifact')), 'read');
  assert.equal(accessClass(act('create', 'models', 'a', 'versions')), 'write');
  assert.equal(accessClass(act('create', 'inferenceservices', 'a', 'infer')), 'infer');
  assert.equal(accessClass(act('create', 'inferenceservices', 'a', 'proxy/v2/models/x/infer')), 'infer');
  assert.equal(accessClass(act('patch', 'projects', undefined, undefined, 'a')), 'manage');
  assert.equal(accessClass(act('get', 'projects', undefined, undefined, 'a')), 'read');
});

test('decide: roles bound by token limits; cluster roles; what every signed-in user may do', () => {
  assert.equal(decide(facts({ a: 'viewer' }), act('get', 'models', 'a')).allowed, true);
  assert.equal(decide(facts({ a: 'viewer' }), act('create', 'models', 'a')).allowed, false);
  assert.equal(decide(facts({ a: 'editor' }), act('create', 'models', 'a')).allowed, true);
  assert.equal(decide(facts({ a: 'editor' }), act('patch', 'projects', undefined, undefined, 'a')).allowed, false);
  assert.equal(decide(facts({ a: 'admin' }), act('patch', 'projects', undefined, undefined, 'a')).allowed, true);
  assert.equal(decide(facts({ a: 'admin' }), act('delete', 'projects', undefined, undefined, 'a')).allowed, false, 'deleting a project is a cluster admin\'s');
  assert.equal(decide(facts({ a: 'admin' }, { limit: { role: 'viewer' } }), act('create', 'models', 'a')).allowed, false);
  assert.equal(decide(facts({ a: 'admin', b: 'admin' }, { limit: { project: 'a' } }), act('get', 'models', 'b')).allowed, false);
  assert.equal(decide(facts({}, { clusterRole: 'cluster-viewer' }), act('get', 'models', 'z')).allowed, true);
  assert.equal(decide(facts({}, { clusterRole: 'cluster-viewer' }), act('delete', 'models', 'z')).allowed, false);
  assert.equal(decide(facts({}, { clusterRole: 'cluster-viewer' }), act('list', 'users')).allowed, true);
  assert.equal(decide(facts({}, { clusterRole: 'cluster-admin' }), act('create', 'users')).allowed, true);
  assert.equal(decide(facts({}, { clusterRole: 'cluster-admin' }), act('create', 'apitokens')).allowed, false);
  assert.equal(decide(facts({}), act('list', 'clusterqueues')).allowed, true);
  assert.equal(decide(facts({}), act('create', 'clusterqueues')).allowed, false);
  assert.equal(decide(facts({}), act('get', 'users', undefined, undefined, 'u')).allowed, true, 'a user reads their own User');
  assert.equal(decide(facts({}), act('get', 'users', undefined, undefined, 'v')).allowed, false);
  const d = decide(facts({}), act('get', 'models', 'a'));
  assert.equal(d.allowed, false);
  assert.match(!d.allowed ? d.reason : '', /no role in project a/);
  assert.equal(projectVisible(facts({ a: 'viewer' }), 'a'), true);
  assert.equal(projectVisible(facts({ a: 'viewer' }), 'b'), false);
});

test('login throttle: free failures, then doubling lock-outs; success clears the user; bounded memory', () => {
  const t = new LoginThrottle({ freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, maxEntries: 3 });
  const k = ['user:a'];
  t.fail(k, 0);
  t.fail(k, 0);
  assert.equal(t.retryAfterMs(k, 0), 0);
  t.fail(k, 0);
  assert.equal(t.retryAfterMs(k, 0), 1000);
  t.fail(k, 1000);
  assert.equal(t.retryAfterMs(k, 1000), 2000);
  for (let i = 0; i < 10; i++) t.fail(k, 5000);
  assert.equal(t.retryAfterMs(k, 5000), 8000, 'capped');
  t.succeed('user:a');
  assert.equal(t.retryAfterMs(k, 5000), 0);
  for (const x of ['b', 'c', 'd', 'e']) for (let i = 0; i < 3; i++) t.fail([x], 0);
  assert.equal(t.retryAfterMs(['b'], 0), 0, 'the oldest entry was dropped');
  assert.ok(t.retryAfterMs(['e'], 0) > 0);
});

test('passwords: scrypt hashes with salt and parameters; wrong, malformed and oversized inputs fail', async () => {
  const h = await hashPassword('s3cret passphrase');
  assert.match(h, /^scrypt\$32768\$8\$1\$/);
  assert.notEqual(h, await hashPassword('s3cret passphrase'), 'salted');
  assert.equal(await verifyPassword('s3cret passphrase', h), true);
  assert.equal(await verifyPassword('s3cret passphrasf', h), false);
  assert.equal(await verifyPassword('x', 'plain'), false);
  assert.equal(await verifyPassword('x', 'scrypt$99999999999$8$1$AA$AA'), false);
  assert.match(passwordProblem('short') ?? '', /at least 8/);
  assert.match(passwordProblem('x'.repeat(2000)) ?? '', /at most/);
  assert.equal(passwordProblem('long enough'), undefined);
});

test('audit: secrets redacted by key and by token shape; diffs name changed paths', () => {
  const r = redactSecrets({ spec: { password: 'p', nested: { apiToken: 't', note: 'use cap_abcdefghijklmnopqrstuvwxyz0123 here' } } }) as { spec: { password: string; nested: { apiToken: string; note: string } } };
  assert.equal(r.spec.password, '<redacted>');
  assert.equal(r.spec.nested.apiToken, '<redacted>');
  assert.equal(r.spec.nested.note, 'use <redacted> here');
  assert.deepEqual(specDiff({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, d: [1, 2] }, e: 'new' }), { 'b.c': { from: 2, to: 3 }, 'b.d': { from: [1], to: [1, 2] }, e: { to: 'new' } });
});

test('the printed configuration shows the environment by names only (it may hold keys and tokens)', async () => {
  const { loadServerConfig, redactConfig } = await import('../../src/server/config.js');
  const env = { AWS_SECRET_ACCESS_KEY: 's3cr3t-value', CAPSTAN_DATABASE_URL: 'postgres://u:pw@h/db' };
  const cfg = loadServerConfig({ adminToken: 'cap_0123456789abcdef0123' }, env, undefined, env);
  const text = JSON.stringify(redactConfig(cfg));
  for (const secret of ['s3cr3t-value', 'cap_0123456789abcdef0123', ':pw@']) assert.ok(!text.includes(secret), `${secret} is printed`);
  assert.ok(text.includes('AWS_SECRET_ACCESS_KEY'));
});
