/** Every /apis/ request passes the authorizer, including routes capabilities add, before any handler runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import { LocalClient } from '../../src/client/local-client.js';
import { buildApiServer } from '../../src/server/api-server.js';
import { TokenAuthenticator, type Action, type Authorizer } from '../../src/server/auth.js';
import { actionForRequest } from '../../src/server/path-authorization.js';
import { ObjectStore } from '../../src/store/object-store.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';

test('actions from paths: verbs, resources, projects, subresources', () => {
  assert.deepEqual(actionForRequest('GET', '/apis/capstan.dev/v1alpha1/namespaces/p/models', false), { verb: 'list', resource: 'capstan.dev/models', namespace: 'p', name: undefined });
  assert.equal(actionForRequest('GET', '/apis/capstan.dev/v1alpha1/namespaces/p/models', true)?.verb, 'watch');
  assert.deepEqual(actionForRequest('POST', '/apis/capstan.dev/v1alpha1/namespaces/p/models/digits/blobs', false), { verb: 'create', resource: 'capstan.dev/models', namespace: 'p', name: 'digits', subresource: 'blobs' });
  assert.deepEqual(actionForRequest('GET', '/apis/capstan.dev/v1alpha1/projects/x', false), { verb: 'get', resource: 'capstan.dev/projects', namespace: undefined, name: 'x' });
  assert.equal(actionForRequest('GET', '/apis/capstan.dev/v1alpha1', false), undefined, 'discovery is not a resource');
  assert.equal(actionForRequest('GET', '/apis', false), undefined);
});

test('a capability route is refused with 403 when the authorizer says no, and its handler never runs', async () => {
  const backend = new SqliteBackend({ path: ':memory:' });
  const authenticator = new TokenAuthenticator(backend);
  await authenticator.init('test-token-0123456789');
  const seen: Action[] = [];
  let handlerRan = false;
  const authorizer: Authorizer = {
    async authorize(_s, action) {
      seen.push(action);
      return action.subresource === 'log' ? { allowed: false, reason: 'no logs for you' } : { allowed: true };
    },
  };
  const app = await buildApiServer({
    client: new LocalClient(new ObjectStore(backend), builtinKindRegistry()),
    kinds: builtinKindRegistry(),
    authenticator,
    authorizer,
    log: pino({ level: 'silent' }),
    maxBodyBytes: 1 << 20,
    version: 'test',
    plugins: [(a) => { a.get('/apis/capstan.dev/v1alpha1/namespaces/p/trainingjobs/:name/log', async () => { handlerRan = true; return 'secret'; }); }],
  });
  const res = await app.inject({ method: 'GET', url: '/apis/capstan.dev/v1alpha1/namespaces/p/trainingjobs/j/log', headers: { authorization: 'Bearer test-token-0123456789' } });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().reason, 'Forbidden');
  assert.match(res.json().message, /no logs for you/);
  assert.equal(handlerRan, false);
  assert.deepEqual(seen.at(-1), { verb: 'get', resource: 'capstan.dev/trainingjobs', namespace: 'p', name: 'j', subresource: 'log' });
  const ok = await app.inject({ method: 'GET', url: '/apis/capstan.dev/v1alpha1/projects', headers: { authorization: 'Bearer test-token-0123456789' } });
  assert.equal(ok.statusCode, 200);
  await app.close();
  await backend.close();
});
