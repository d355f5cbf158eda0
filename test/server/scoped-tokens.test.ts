// Scoped tokens: the pure scope check, and issue/lookup/revoke on a real SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/meta.js';
import { TokenAuthenticator } from '../../src/server/auth.js';
import { RoleAuthorizer } from '../../src/server/role-authorizer.js';
import { ScopedTokens, scopeAllows, scopeNeedsObject } from '../../src/server/scoped-tokens.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';
import { modelReadScope } from '../../src/runtime/kubernetes/registry-token.js';

const scope = modelReadScope('team-a', 'digits');
const get = (resource: string, name?: string, namespace = 'team-a', subresource?: string) => ({ verb: 'get' as const, resource, namespace, ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) });

const version = (name: string, model: string, namespace = 'team-a'): KubeObject =>
  ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'ModelVersion', metadata: { name, namespace, uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '' }, spec: { model, version: '1.0.0' } });

test('a model-read scope allows get on the model and its versions only', () => {
  assert.equal(scopeAllows(scope, get('capstan.dev/models', 'digits', 'team-a', 'artifact')).allowed, true);
  for (const v of ['digits-v1.0.0', 'digits-v12.3.4-rc.1']) assert.equal(scopeAllows(scope, get('capstan.dev/modelversions', v), version(v, 'digits')).allowed, true, v);
  const refused = [
    get('capstan.dev/models', 'digits', 'team-b'),
    get('capstan.dev/models', 'digits-v2'),
    get('capstan.dev/modelversions', 'digits-v2-v1.0.0'),
    get('capstan.dev/modelversions', 'digitsx-v1.0.0'),
    get('capstan.dev/modelversions', 'digits-v1.0'),
    get('capstan.dev/models'),
    get('capstan.dev/inferenceservices', 'digits'),
    { verb: 'patch' as const, resource: 'capstan.dev/models', namespace: 'team-a', name: 'digits' },
    { verb: 'delete' as const, resource: 'capstan.dev/modelversions', namespace: 'team-a', name: 'digits-v1.0.0' },
    { verb: 'list' as const, resource: 'capstan.dev/modelversions', namespace: 'team-a' },
  ];
  for (const a of refused) {
    const d = scopeAllows(scope, a, a.name?.endsWith('-v1.0.0') ? version(a.name, a.name.slice(0, -7)) : undefined);
    assert.equal(d.allowed, false, JSON.stringify(a));
    assert.ok(d.reason);
  }
});

test('a model-read scope matches versions by spec.model, never by name', () => {
  const a = get('capstan.dev/modelversions', 'digits-v1.0.0-rc-v1.0.0');
  // The same name is a version of `digits` (1.0.0-rc-v1.0.0, stored before such versions were refused) or of `digits-v1.0.0-rc` (1.0.0).
  assert.equal(scopeAllows(scope, a, version(a.name!, 'digits')).allowed, true);
  assert.equal(scopeAllows(scope, a, version(a.name!, 'digits-v1.0.0-rc')).allowed, false, 'another model whose name starts with digits-v');
  assert.equal(scopeAllows(scope, a).allowed, false, 'without the stored object the rule fails closed');
  assert.equal(scopeAllows(scope, a, version('digits-v2.0.0', 'digits')).allowed, false, 'an object other than the one named');
  assert.equal(scopeNeedsObject(scope, a), true);
  assert.equal(scopeNeedsObject(scope, get('capstan.dev/models', 'digits')), false);
  assert.equal(scopeNeedsObject(scope, { ...a, verb: 'delete' }), false, 'no rule could allow it: nothing to read');
  // A record issued before: a name pattern for the versions allows nothing now (the owner re-issues it).
  const legacy = { namespace: 'team-a', rules: [{ verbs: ['get' as const], resource: 'capstan.dev/modelversions', namePattern: '^digits-v.*$' }] };
  assert.equal(scopeAllows(legacy, get('capstan.dev/modelversions', 'digits-v1.0.0'), version('digits-v1.0.0', 'digits')).allowed, false);
});

test('the authorizer reads the named object only when a scope rule needs it; its synchronous decide() fails closed without it', async () => {
  const reads: string[] = [];
  const stored = new Map([['digits-v1.0.0', version('digits-v1.0.0', 'digits')], ['digits-v1.0.0-rc-v1.0.0', version('digits-v1.0.0-rc-v1.0.0', 'digits-v1.0.0-rc')]]);
  const authz = new RoleAuthorizer({ clusterRole: () => undefined, projectRole: () => undefined }, async (a) => (reads.push(a.name!), stored.get(a.name!)));
  const subject = { name: 'token:x', groups: [], scope };
  assert.equal((await authz.authorize(subject, get('capstan.dev/modelversions', 'digits-v1.0.0', 'team-a', 'artifact'))).allowed, true);
  assert.equal((await authz.authorize(subject, get('capstan.dev/modelversions', 'digits-v1.0.0-rc-v1.0.0', 'team-a', 'artifact'))).allowed, false);
  assert.equal((await authz.authorize(subject, get('capstan.dev/modelversions', 'missing-v1.0.0'))).allowed, false);
  assert.equal((await authz.authorize(subject, get('capstan.dev/models', 'digits'))).allowed, true);
  assert.deepEqual(reads, ['digits-v1.0.0', 'digits-v1.0.0-rc-v1.0.0', 'missing-v1.0.0']);
  assert.equal(authz.decide(subject, get('capstan.dev/modelversions', 'digits-v1.0.0')).allowed, false, 'no object at hand: refused');
  assert.equal(authz.decide(subject, get('capstan.dev/models', 'digits')).allowed, true);
  assert.equal((await authz.authorize({ name: 'admin', groups: ['system:masters'] }, { verb: 'delete', resource: 'capstan.dev/projects', name: 'x' })).allowed, true);
  assert.equal((await authz.authorize({ name: 'nobody', groups: [] }, get('capstan.dev/models', 'digits'))).allowed, false);
});

test('tokens: issued, authenticated with their scope, replaced and revoked; the admin is unaffected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-tok-'));
  const backend = new SqliteBackend({ path: join(dir, 'db.sqlite') });
  try {
    const authn = new TokenAuthenticator(backend);
    const { createdToken } = await authn.init();
    const tokens = new ScopedTokens(backend);
    const owner = { kind: 'InferenceService', name: 'svc', uid: 'u-1', namespace: 'team-a' };
    const t1 = await tokens.issue(owner, scope);
    const s1 = await authn.authenticate(`Bearer ${t1}`);
    assert.equal(s1?.name, 'token:InferenceService/team-a/svc');
    assert.deepEqual(s1?.scope, scope);
    assert.ok(!s1?.groups.includes('system:masters'));
    const authz = new RoleAuthorizer({ clusterRole: () => undefined, projectRole: () => undefined });
    assert.equal((await authz.authorize(s1!, get('capstan.dev/models', 'digits'))).allowed, true);
    assert.equal((await authz.authorize(s1!, { verb: 'create', resource: 'capstan.dev/projects' })).allowed, false);
    assert.equal((await authz.authorize((await authn.authenticate(`Bearer ${createdToken}`))!, { verb: 'create', resource: 'capstan.dev/projects' })).allowed, true);

    await tokens.markDelivered('u-1', 'gpu');
    assert.deepEqual((await tokens.ofOwner('u-1'))?.deliveredTo, ['gpu']);
    const t2 = await tokens.issue(owner, scope);
    assert.equal(await authn.authenticate(`Bearer ${t1}`), undefined, 'a new token for the owner revokes the old one');
    assert.ok(await authn.authenticate(`Bearer ${t2}`));
    assert.equal((await tokens.ofOwner('u-1'))?.deliveredTo, undefined, 'the new token is delivered nowhere yet');
    await tokens.revokeOwner('u-1');
    assert.equal(await authn.authenticate(`Bearer ${t2}`), undefined);
    assert.equal(await tokens.ofOwner('u-1'), undefined);
    // Survives a reopen (the record is in the store, not in memory).
    const t3 = await tokens.issue(owner, scope);
    await backend.close();
    const again = new SqliteBackend({ path: join(dir, 'db.sqlite') });
    const authn2 = new TokenAuthenticator(again);
    await authn2.init();
    assert.equal((await authn2.authenticate(`Bearer ${t3}`))?.name, 'token:InferenceService/team-a/svc');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
