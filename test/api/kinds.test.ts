/** Kind declarations: strict validation with field paths, defaults, names, conversions, label selectors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import { applyMergePatch } from '../../src/api/merge-patch.js';
import { setCondition } from '../../src/api/conditions.js';
import { matchesLabels, parseLabelSelector } from '../../src/store/label-selector.js';

const kinds = builtinKindRegistry();

test('kinds are found by kind, plural, singular and short names', () => {
  for (const n of ['Project', 'projects', 'project', 'proj', 'ns']) assert.equal(kinds.find(n)?.kind, 'Project');
  assert.equal(kinds.find('ev')?.kind, 'Event');
  assert.equal(kinds.find('widgets'), undefined);
});

test('decode rejects unknown fields with their full path and applies defaults', () => {
  const ok = kinds.decode({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name: 'e', namespace: 'p' }, involvedObject: { kind: 'X', name: 'y' }, reason: 'R' });
  assert.equal(ok.object.type, 'Normal');
  assert.equal(ok.object.count, 1);
  try {
    kinds.decode({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name: 'e', namespace: 'p', labelz: {} }, involvedObject: { kind: 'X', name: 'y', extra: 1 }, reason: 'R', count: 0 });
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'Invalid');
    const fields = err.details!.causes!.map((c) => c.field).sort();
    assert.deepEqual(fields, ['count', 'involvedObject.extra', 'metadata.labelz']);
  }
});

test('apiVersion and kind mistakes name the field', () => {
  assert.throws(() => kinds.decode({ apiVersion: 'capstan.dev/v9', kind: 'Project', metadata: { name: 'a' } }), (e: ApiError) => e.details?.causes?.[0].field === 'apiVersion');
  assert.throws(() => kinds.decode({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Nope', metadata: { name: 'a' } }), (e: ApiError) => e.details?.causes?.[0].field === 'kind');
  assert.throws(() => kinds.decode([1, 2]), (e: ApiError) => e.reason === 'BadRequest');
});

test('names must be DNS-1123', () => {
  for (const bad of ['UPPER', '-lead', 'trail-', 'has/slash', '..', 'a'.repeat(254), '']) {
    assert.throws(() => kinds.decode({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: bad } }), (e: ApiError) => e.details?.causes?.some((c) => c.field === 'metadata.name') === true, bad);
  }
  kinds.decode({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'a.b-c' } });
});

test('merge patch: nested merge, null deletes, arrays replace, __proto__ ignored', () => {
  assert.deepEqual(applyMergePatch({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { b: null, e: 3 }, d: [9] }), { a: { c: 2, e: 3 }, d: [9] });
  const polluted = applyMergePatch({}, JSON.parse('{"__proto__": {"x": 1}}')) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.equal(polluted.x, undefined);
});

test('conditions keep lastTransitionTime unless status flips', () => {
  const c1 = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A' }, 't1');
  const c2 = setCondition(c1, { type: 'Ready', status: 'False', reason: 'B' }, 't2');
  assert.equal(c2[0].lastTransitionTime, 't1');
  assert.equal(c2[0].reason, 'B');
  const c3 = setCondition(c2, { type: 'Ready', status: 'True', reason: 'C' }, 't3');
  assert.equal(c3[0].lastTransitionTime, 't3');
});

test('label selectors: equality, sets, existence', () => {
  const labels = { app: 'web', tier: 'fe' };
  const cases: Array<[string, boolean]> = [
    ['app=web', true], ['app==web', true], ['app!=web', false], ['app in (api,web)', true], ['app notin (web)', false],
    ['tier', true], ['!tier', false], ['missing', false], ['!missing', true], ['app=web,tier=be', false], ['', true],
  ];
  for (const [sel, want] of cases) assert.equal(matchesLabels(parseLabelSelector(sel), labels), want, sel);
  assert.throws(() => parseLabelSelector('a in (b'));
  assert.throws(() => parseLabelSelector('bad key=1'));
});
