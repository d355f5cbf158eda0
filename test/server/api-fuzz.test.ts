/**
 * Throws thousands of generated malformed requests at a real server: every answer must be a
 * non-5xx, every error a Status whose code matches the HTTP status, and the server must still
 * work afterwards.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProjectKind } from '../../src/api/kinds/project.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform();
});
after(async () => tp.stop());

const P = '/apis/capstan.dev/v1alpha1';
const segment = fc.oneof(
  fc.constantFrom('projects', 'events', 'namespaces', 'default', 'status', 'x', '..', '.', '%2e%2e', '%2F', 'a%00b', 'UPPER', '-bad-', 'a'.repeat(300), '%', '%zz', '😀', 'proj'),
  fc.stringMatching(/^[a-z0-9.-]{1,20}$/),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.array(segment, { minLength: 0, maxLength: 5 }).map((s) => `${P}/${s.join('/')}`),
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `${P}/namespaces/default/events/${s.join('/')}`),
  fc.tuple(segment, fc.constantFrom('?watch=maybe', '?limit=-1', '?limit=abc', '?labelSelector=a%20in%20(b', '?continue=%%%', '?timeoutSeconds=x', '?fieldSelector=spec.x=1', '?labelSelector=!!!')).map(([s, q]) => `${P}/${s === 'status' ? 'projects' : 'projects'}${q}`),
);
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const manifestish = fc.record(
  {
    apiVersion: fc.oneof(fc.constant('capstan.dev/v1alpha1'), fc.constant('v1'), fc.string({ maxLength: 10 }), jsonValue),
    kind: fc.oneof(fc.constantFrom('Project', 'Event', 'Nope'), jsonValue),
    metadata: fc.oneof(fc.record({ name: fc.oneof(fc.string({ maxLength: 20 }), jsonValue), namespace: fc.oneof(fc.string({ maxLength: 10 }), jsonValue), labels: jsonValue, resourceVersion: fc.oneof(fc.string({ maxLength: 6 }), jsonValue) }, { requiredKeys: [] }), jsonValue),
    spec: jsonValue,
    status: jsonValue,
    involvedObject: jsonValue,
    reason: jsonValue,
    count: jsonValue,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  manifestish.map((m) => JSON.stringify(m)),
  jsonValue.map((v) => JSON.stringify(v)),
  manifestish.map((m) => JSON.stringify(m).slice(0, -3)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom('a: &a [*a]', 'x: &a\n  - *a\n  - *a', '---\n---\n', '{"__proto__": {"polluted": true}, "apiVersion": "capstan.dev/v1alpha1"}', '[]', 'null', '""'),
);
const contentType = fc.constantFrom('application/json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/yaml', 'text/plain', 'application/strategic-merge-patch+json', 'multipart/form-data', '', 'application/json; charset=utf-16');
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
const request = fc.record({ method, path, body, contentType });

test('thousands of malformed requests get 4xx Status answers, never a 5xx, and the server keeps working', async () => {
  const samples = fc.sample(request, { numRuns: 3000, seed: 42 });
  const failures: string[] = [];
  let i = 0;
  const worker = async () => {
    while (i < samples.length) {
      const r = samples[i++];
      const headers: Record<string, string> = { authorization: `Bearer ${tp.token}` };
      if (r.contentType) headers['content-type'] = r.contentType;
      const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
      const res = await fetch(tp.url + r.path, { method: r.method, headers, body: hasBody ? r.body : undefined, signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      if (res.status >= 500) failures.push(`${r.method} ${r.path} [${r.contentType}] → ${res.status} ${text.slice(0, 200)}`);
      else if (res.status >= 400) {
        let st: { kind?: string; code?: number } | undefined;
        try {
          st = JSON.parse(text);
        } catch {
          failures.push(`${r.method} ${r.path} → ${res.status} non-JSON body ${text.slice(0, 100)}`);
          continue;
        }
        if (st?.kind !== 'Status' || st.code !== res.status) failures.push(`${r.method} ${r.path} → ${res.status} not a matching Status: ${text.slice(0, 150)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} bad answers`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  assert.equal((await fetch(`${tp.url}/healthz`)).status, 200);
  const ok = await tp.client.create(ProjectKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'after-fuzz' } });
  assert.equal(ok.metadata.name, 'after-fuzz');
});
