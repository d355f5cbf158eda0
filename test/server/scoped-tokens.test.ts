// Scoped tokens: the pure scope check, and issue/lookup/revoke on a real SQLite store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenAuthenticator } from '../../src/server/auth.js';
import { RoleAuthorizer } from '../../src/server/role-authorizer.js';
import { ScopedTokens, scopeAllows } from '../../src/server/scoped-tokens.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';
import { modelReadScope } from '../../src/runtime/kubernetes/registry-token.js';

const scope = modelReadScope('team-a', 'digits');
const get = (resource: string, name?: string, namespace = 'team-a', subresource?: string) => ({ verb: 'get' as const, resource, namespace, ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) });

test('a model-read scope allows get on the model and its versions only', () => {
  assert.equal(scopeAllows(scope, get('capstan.dev/models', 'digits', 'team-a', 'artifact')).allowed, true);
  for (const v of ['digits-v1.0.0', 'digits-v12.3.4-rc.1']) assert.equal(scopeAllows(scope, get('capstan.dev/modelversions', v)).allowed, true, v);
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
    const d = scopeAllows(scope, a);
    assert.equal(d.allowed, false, JSON.stringify(a));
    assert.ok(d.reason);
  }
  // A model name with regular-expression characters is matched literally.
  assert.equal(scopeAllows(modelReadScope('p', 'a.b'), get('capstan.dev/modelversions', 'aXb-v1.0.0', 'p')).allowed, false);
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
