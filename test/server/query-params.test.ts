/**
 * The resource routes' query parameters: out-of-range and malformed values are 400 Status answers
 * naming the parameter (`limit=1e99` used to reach SQLite as a float: a 500), on SQLite and on
 * PostgreSQL; and a fuzz of every parameter (limit, continue, resourceVersion, timeoutSeconds,
 * labelSelector, fieldSelector, watch) never gets a 5xx.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_LIST_LIMIT, MAX_TIMEOUT_SECONDS } from '../../src/server/query-params.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

const P = '/apis/capstan.dev/v1alpha1';

async function get(tp: TestPlatform, path: string, method = 'GET'): Promise<{ status: number; body: Record<string, any> }> {
  const ac = new AbortController();
  const res = await fetch(tp.url + path, { method, headers: { authorization: `Bearer ${tp.token}` }, signal: ac.signal });
  if (res.status === 200 && (res.headers.get('content-type') ?? '').includes('json') && /[?&]watch=(true|1)(&|$)/.test(path)) {
    ac.abort(); // a watch that started: its status is what counts
    return { status: 200, body: {} };
  }
  const text = await res.text();
  let body: Record<string, any> = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

/** The 400s every backend must give, each naming its parameter. */
async function assertBadParams(tp: TestPlatform): Promise<void> {
  const cases: Array<[string, string]> = [
    ['limit=1e99', 'limit'],
    ['limit=1e20', 'limit'],
    ['limit=9223372036854775807', 'limit'],
    ['limit=18446744073709551616', 'limit'],
    [`limit=${MAX_LIST_LIMIT + 1}`, 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=0x10', 'limit'],
    ['limit=Infinity', 'limit'],
    ['limit=%201', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['watch=true&timeoutSeconds=1e99', 'timeoutSeconds'],
    ['watch=true&timeoutSeconds=9223372036854775807', 'timeoutSeconds'],
    [`watch=true&timeoutSeconds=${MAX_TIMEOUT_SECONDS + 1}`, 'timeoutSeconds'],
    ['watch=true&resourceVersion=1e3', 'resourceVersion'],
    ['watch=true&resourceVersion=99999999999999999999', 'resourceVersion'],
    ['watch=true&resourceVersion=-5', 'resourceVersion'],
    ['resourceVersion=abc', 'resourceVersion'],
    ['watch=true&fieldSelector=spec.x%3D1', 'fieldSelector'],
    ['continue=%25%25', 'continue'],
    ['labelSelector=a%20in%20(b', 'labelSelector'],
  ];
  for (const [q, field] of cases) {
    for (const path of [`${P}/projects?${q}`, `${P}/namespaces/default/events?${q}`]) {
      const r = await get(tp, path);
      assert.equal(r.status, 400, `${path}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.kind, 'Status', path);
      assert.equal(r.body.reason, 'BadRequest', path);
      const named = r.body.details?.causes?.some((c: { field?: string }) => c.field === field) || String(r.body.message).includes(field);
      assert.ok(named, `${path}: the answer names ${field}: ${JSON.stringify(r.body)}`);
    }
  }
  const del = await get(tp, `${P}/projects/nope?resourceVersion=1e99`, 'DELETE');
  assert.equal(del.status, 400, JSON.stringify(del.body));
  // In range, the same parameters work.
  for (const q of [`limit=${MAX_LIST_LIMIT}`, 'limit=0', 'limit=1', 'limit=', 'resourceVersion=0']) {
    const r = await get(tp, `${P}/projects?${q}`);
    assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.kind, 'ProjectList');
  }
  const page = await get(tp, `${P}/projects?limit=1`);
  assert.equal(page.body.items.length, 1);
}

const digits = fc.stringMatching(/^[0-9]{1,25}$/);
const weird = fc.constantFrom('', '-1', '1e99', '1e20', '9223372036854775807', '18446744073709551616', 'NaN', 'Infinity', '-0', '0x10', '1.5', ' 1', '1 ', '+1', '٣', '00000000000000000001', '%', '%00', 'true', 'null', '[]');
const number = fc.oneof(digits, weird, fc.integer().map(String), fc.double().map(String));
const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ maxLength: 10, unit: 'binary' }), weird);
const selector = fc.oneof(
  text,
  fc.constantFrom('a=b', 'a!=b', 'a in (b,c)', 'a notin (b)', '!a', 'a', 'a,b=c', 'a in (b', '=', 'a==b', 'x/y=z', 'a=' + 'b'.repeat(100), 'metadata.name=default', 'metadata.name=', 'spec.x=1'),
);
const params = fc.record(
  {
    limit: number,
    continue: fc.oneof(text, fc.string({ maxLength: 40 }).map((s) => Buffer.from(JSON.stringify({ after: s })).toString('base64url')), fc.constant(Buffer.from('{"after":1}').toString('base64url'))),
    resourceVersion: number,
    timeoutSeconds: number,
    labelSelector: selector,
    fieldSelector: selector,
    watch: fc.constantFrom('true', '1', 'false', '0', '', 'yes', 'TRUE'),
  },
  { requiredKeys: [] },
);
const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'DELETE'),
  path: fc.constantFrom(`${P}/projects`, `${P}/namespaces/default/events`, `${P}/projects/default`, `${P}/namespaces/default/events/nope`, `${P}/namespaces/nope/events`),
  params,
  repeat: fc.boolean(),
});

/** Throws generated query strings at the list, watch, get and delete routes: never a 5xx. */
async function fuzz(tp: TestPlatform, numRuns: number, seed: number): Promise<void> {
  const samples = fc.sample(request, { numRuns, seed });
  const failures: string[] = [];
  let i = 0;
  const worker = async () => {
    while (i < samples.length) {
      const r = samples[i++];
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(r.params)) qs.append(k, v as string);
      // a watch must end: give most of them a short timeout (the generated one may be refused)
      if (r.params.watch === 'true' || r.params.watch === '1') {
        if (r.params.timeoutSeconds === undefined) qs.set('timeoutSeconds', '1');
      }
      if (r.repeat && r.params.limit !== undefined) qs.append('limit', '5');
      const path = `${r.path}?${qs.toString()}`;
      // a DELETE of the default project would end the run: only missing objects are deleted
      if (r.method === 'DELETE' && !r.path.endsWith('/nope')) continue;
      const res = await get(tp, path, r.method);
      if (res.status >= 500) failures.push(`${r.method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      else if (res.status >= 400 && (res.body.kind !== 'Status' || res.body.code !== res.status)) failures.push(`${r.method} ${path} → ${res.status} not a Status: ${JSON.stringify(res.body).slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  assert.deepEqual(failures.slice(0, 20), []);
  // and the server still answers
  assert.equal((await get(tp, `${P}/projects/default`)).status, 200);
}

describe('SQLite', () => {
  let tp: TestPlatform;
  before(async () => {
    tp = await startTestPlatform();
  });
  after(async () => tp?.stop());

  test('out-of-range and malformed query parameters are 400s naming the parameter', async () => {
    await assertBadParams(tp);
  });

  test('fuzzed query parameters never get a 5xx', async () => {
    await fuzz(tp, 1500, 7);
  });
});

describe('PostgreSQL', { skip: postgresSkip() }, () => {
  let pgServer: PostgresServer;
  let tp: TestPlatform;
  before(async () => {
    pgServer = await startPostgres();
    tp = await startTestPlatform({ databaseUrl: pgServer.connectionString });
  });
  after(async () => {
    await tp?.stop();
    await pgServer?.stop();
  });

  test('out-of-range and malformed query parameters are 400s naming the parameter', async () => {
    await assertBadParams(tp);
  });

  test('fuzzed query parameters never get a 5xx', async () => {
    await fuzz(tp, 500, 11);
  });
});
