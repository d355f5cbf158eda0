/** The HTTP API end to end on a real server: auth, CRUD, Status errors, apply, patch, watch, cascade. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { ApiError } from '../../src/api/errors.js';
import { EventKind } from '../../src/api/kinds/event.js';
import { ProjectKind } from '../../src/api/kinds/project.js';
import type { WatchEvent } from '../../src/client/resource-client.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform();
});
after(async () => tp.stop());

const P = '/apis/capstan.dev/v1alpha1';
const project = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name }, spec: { ...extra } });
const event = (name: string, ns: string) => ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name, namespace: ns }, involvedObject: { kind: 'Project', name: ns }, reason: 'Tested', message: 'hello' });

async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(tp.url + path, { method, body, headers: { authorization: `Bearer ${tp.token}`, 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Sends a path exactly as written (fetch would normalise "..") and returns the status code. */
function rawPathStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(tp.url);
    const req = http.request({ host: u.hostname, port: u.port, path, method: 'GET', headers: { authorization: `Bearer ${tp.token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('no token or a wrong token is 401 with a Status; health and OpenAPI are public', async () => {
  const none = await fetch(`${tp.url}${P}/projects`);
  assert.equal(none.status, 401);
  const st = await none.json();
  assert.equal(st.kind, 'Status');
  assert.equal(st.reason, 'Unauthorized');
  const wrong = await fetch(`${tp.url}${P}/projects`, { headers: { authorization: 'Bearer nope' } });
  assert.equal(wrong.status, 401);
  assert.equal((await fetch(`${tp.url}/healthz`)).status, 200);
  const openapi = await (await fetch(`${tp.url}/openapi/v3`)).json();
  assert.ok(openapi.paths[`${P}/projects/{name}`]);
  assert.equal(openapi.components.schemas.Project.additionalProperties, false);
});

test('create, get, list, update and delete through the HTTP client', async () => {
  const c = tp.client;
  const created = await c.create(ProjectKind, project('alpha', { displayName: 'A' }));
  assert.equal(created.metadata.generation, 1);
  const got = await c.get(ProjectKind, undefined, 'alpha');
  assert.equal((got.spec as { displayName: string }).displayName, 'A');
  const updated = await c.update(ProjectKind, { ...got, spec: { displayName: 'B' } });
  assert.equal(updated.metadata.generation, 2);
  await assert.rejects(c.update(ProjectKind, { ...got, spec: { displayName: 'C' } }), (e: ApiError) => e.reason === 'Conflict' && e.code === 409);
  const list = await c.list(ProjectKind, { labelSelector: '!nothing' });
  assert.ok(list.items.some((p) => p.metadata.name === 'alpha'));
  const deleting = await c.delete(ProjectKind, undefined, 'alpha');
  assert.ok(deleting.metadata.deletionTimestamp, 'a project with a finalizer is marked for deletion first');
});

test('invalid objects are 422 with the field named; unknown fields are rejected with their path', async () => {
  const r = await raw('POST', `${P}/projects`, JSON.stringify(project('Bad_Name')));
  assert.equal(r.status, 422);
  assert.equal(r.body.reason, 'Invalid');
  assert.ok(r.body.details.causes.some((c: { field: string }) => c.field === 'metadata.name'));
  const u = await raw('POST', `${P}/projects`, JSON.stringify({ ...project('okname'), spec: { displayName: 'x', colour: 'red' } }));
  assert.equal(u.status, 422);
  assert.deepEqual(u.body.details.causes.map((c: { field: string }) => c.field), ['spec.colour']);
  const t = await raw('POST', `${P}/projects`, JSON.stringify({ ...project('okname2'), spec: { displayName: 42 } }));
  assert.equal(t.status, 422);
  assert.equal(t.body.details.causes[0].field, 'spec.displayName');
});

test('malformed bodies, unknown kinds, bad names and oversized bodies are 4xx Status', async () => {
  assert.equal((await raw('POST', `${P}/projects`, '{"apiVersion":')).status, 400);
  assert.equal((await raw('GET', `${P}/widgets`)).status, 404);
  assert.equal(await rawPathStatus(`${P}/projects/..`), 400, 'a literal .. is refused, not resolved');
  assert.equal(await rawPathStatus(`${P}/namespaces/../events`), 400);
  assert.equal((await raw('GET', `${P}/projects/a%2Fb`)).status, 400);
  assert.equal((await raw('DELETE', `${P}/projects/never-existed`)).status, 404);
  const big = await raw('POST', `${P}/projects`, JSON.stringify({ ...project('big'), spec: { description: 'x'.repeat(4 * 1024 * 1024) } }));
  assert.equal(big.status, 413);
  assert.equal(big.body.reason, 'RequestEntityTooLarge');
  const kindMismatch = await raw('POST', `${P}/projects`, JSON.stringify(event('e1', 'default')));
  assert.equal(kindMismatch.status, 400);
  const nsMismatch = await raw('POST', `${P}/namespaces/default/events`, JSON.stringify(event('e1', 'other')));
  assert.equal(nsMismatch.status, 400);
  assert.equal(nsMismatch.body.details.causes[0].field, 'metadata.namespace');
  const noProject = await raw('POST', `${P}/namespaces/ghost/events`, JSON.stringify(event('e1', 'ghost')));
  assert.equal(noProject.status, 404);
  const yaml = await raw('POST', `${P}/projects`, 'apiVersion: [unclosed', { 'content-type': 'application/yaml' });
  assert.equal(yaml.status, 400);
  const weird = await raw('POST', `${P}/projects`, 'x', { 'content-type': 'application/x-foo' });
  assert.equal(weird.status, 415);
});

test('apply creates, then configures, then reports unchanged; YAML bodies accepted', async () => {
  const yaml = 'apiVersion: capstan.dev/v1alpha1\nkind: Project\nmetadata:\n  name: applied\nspec:\n  displayName: One\n';
  const a = await raw('PATCH', `${P}/projects/applied`, yaml, { 'content-type': 'application/apply-patch+yaml' });
  assert.equal(a.status, 201);
  assert.equal(a.headers.get('x-capstan-apply'), 'created');
  const b = await raw('PATCH', `${P}/projects/applied`, yaml.replace('One', 'Two'), { 'content-type': 'application/apply-patch+yaml' });
  assert.equal(b.headers.get('x-capstan-apply'), 'configured');
  assert.equal(b.body.metadata.generation, 2);
  const c = await raw('PATCH', `${P}/projects/applied`, yaml.replace('One', 'Two'), { 'content-type': 'application/apply-patch+yaml' });
  assert.equal(c.headers.get('x-capstan-apply'), 'unchanged');
  assert.ok(c.body.metadata.finalizers.includes('capstan.dev/project-contents'), 'apply keeps server-set finalizers');
});

test('merge patch changes fields and null removes them; status subresource is separate', async () => {
  await tp.client.create(ProjectKind, project('patched', { displayName: 'X', description: 'd' }));
  const p = await tp.client.patch(ProjectKind, undefined, 'patched', { spec: { description: null }, metadata: { labels: { team: 'ml' } } });
  assert.deepEqual(p.spec, { displayName: 'X' });
  assert.deepEqual(p.metadata.labels, { team: 'ml' });
  const bad = await raw('PATCH', `${P}/projects/patched/status`, JSON.stringify({ status: { phase: 'Exploded' } }), { 'content-type': 'application/merge-patch+json' });
  assert.equal(bad.status, 422);
  assert.equal(bad.body.details.causes[0].field, 'status.phase');
});

test('watch streams ADDED/MODIFIED/DELETED as NDJSON and resumes from a resourceVersion', async () => {
  const list = await tp.client.list(EventKind, { namespace: 'default' });
  const events: WatchEvent[] = [];
  const stop = await tp.client.watch(EventKind, { namespace: 'default', resourceVersion: list.resourceVersion }, (e) => events.push(e), () => {});
  const e1 = await tp.client.create(EventKind, event('w1', 'default'));
  await tp.client.patch(EventKind, 'default', 'w1', { count: 2 });
  await tp.client.delete(EventKind, 'default', 'w1');
  for (let i = 0; i < 200 && events.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
  stop();
  assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  const resumed: WatchEvent[] = [];
  const stop2 = await tp.client.watch(EventKind, { namespace: 'default', resourceVersion: e1.metadata.resourceVersion }, (e) => resumed.push(e), () => {});
  for (let i = 0; i < 200 && resumed.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  stop2();
  assert.deepEqual(resumed.map((e) => e.type), ['MODIFIED', 'DELETED']);
  const sse = await fetch(`${tp.url}${P}/namespaces/default/events?watch=true&timeoutSeconds=1`, { headers: { authorization: `Bearer ${tp.token}`, accept: 'text/event-stream' } });
  assert.equal(sse.headers.get('content-type'), 'text/event-stream');
  await sse.text();
});

test('deleting a project deletes what is in it, then the project', async () => {
  await tp.client.create(ProjectKind, project('doomed'));
  for (let i = 0; i < 5; i++) await tp.client.create(EventKind, event(`e${i}`, 'doomed'));
  await tp.client.delete(ProjectKind, undefined, 'doomed');
  for (let i = 0; i < 300; i++) {
    if (!(await tp.client.tryGet(ProjectKind, undefined, 'doomed'))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(await tp.client.tryGet(ProjectKind, undefined, 'doomed'), undefined);
  assert.equal((await tp.client.list(EventKind, { namespace: 'doomed' })).items.length, 0);
});

test('metrics count requests by route, verb and code; /metrics needs a token', async () => {
  const anonymous = await fetch(`${tp.url}/metrics`);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
  const text = await (await fetch(`${tp.url}/metrics`, { headers: { authorization: `Bearer ${tp.token}` } })).text();
  assert.match(text, /capstan_apiserver_requests_total\{route="\/apis\/:group\/:version\/:plural",verb="POST",code="201"\} \d+/);
  assert.match(text, /capstan_apiserver_request_duration_seconds_bucket/);
});
