import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import { aliasNameProblem, latestOf, parseModelRef, parseSelector, pickVersion } from '../../src/registry/model-ref.js';

const vs = (...v: string[]) => v.map((version) => ({ spec: { version } }));
const versions = vs('1.0.0', '1.1.0', '1.2.0', '1.2.5', '1.10.0-rc.1', '2.0.0-beta.1', '0.9.0');
const aliases = { production: '1.1.0', staging: '1.2.5', stale: '0.1.0' };

function rejects(fn: () => unknown, reason: string, re: RegExp, field?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.reason, reason);
    assert.match(err.message, re);
    if (field) assert.equal(err.details?.causes?.[0]?.field, field);
    return true;
  });
}

test('parseModelRef: every form', () => {
  assert.deepEqual(parseModelRef('digits'), { model: 'digits', selector: { kind: 'latest' }, raw: 'latest' });
  assert.deepEqual(parseModelRef('digits@latest').selector, { kind: 'latest' });
  assert.deepEqual(parseModelRef('digits@').selector, { kind: 'latest' });
  assert.deepEqual(parseModelRef('digits@1.2.0').selector, { kind: 'exact', version: '1.2.0' });
  assert.deepEqual(parseModelRef('digits@1.2.0-rc.1').selector, { kind: 'exact', version: '1.2.0-rc.1' });
  assert.deepEqual(parseModelRef('digits@^1.2').selector, { kind: 'range', range: '^1.2' });
  assert.deepEqual(parseModelRef('digits@~1.2.3').selector, { kind: 'range', range: '~1.2.3' });
  assert.deepEqual(parseModelRef('digits@>=1 <2').selector, { kind: 'range', range: '>=1 <2' });
  assert.deepEqual(parseModelRef('digits@1').selector, { kind: 'range', range: '1' });
  assert.deepEqual(parseModelRef('digits@production').selector, { kind: 'alias', alias: 'production' });
  assert.equal(parseModelRef('team.digits@1.0.0').model, 'team.digits');
});

test('parseModelRef: malformed refs name the field and say why', () => {
  rejects(() => parseModelRef(''), 'BadRequest', /ref: a model reference/, 'ref');
  rejects(() => parseModelRef('@1.2.0'), 'BadRequest', /no model name/, 'ref');
  rejects(() => parseModelRef('Digits@1.0.0'), 'BadRequest', /not a lowercase DNS-1123/, 'ref');
  rejects(() => parseModelRef('dig its'), 'BadRequest', /DNS-1123/, 'ref');
  rejects(() => parseModelRef('a@b@c'), 'BadRequest', /more than one "@"/, 'ref');
  rejects(() => parseModelRef('digits@1.2.03'), 'BadRequest', /not a SemVer 2\.0 version/, 'ref');
  rejects(() => parseModelRef('digits@v1.2.0'), 'BadRequest', /not a SemVer 2\.0 version/, 'ref');
  rejects(() => parseModelRef('digits@1.2.0+build.5'), 'BadRequest', /build metadata/, 'ref');
  rejects(() => parseModelRef('digits@^1.2.x.y'), 'BadRequest', /neither a SemVer version, a SemVer range/, 'ref');
  rejects(() => parseModelRef('digits@Production'), 'BadRequest', /neither/, 'ref');
  rejects(() => parseModelRef('digits@>=>1'), 'BadRequest', /neither/, 'ref');
  rejects(() => parseSelector('x'.repeat(300), 'spec.model'), 'BadRequest', /spec\.model: selector is longer/, 'spec.model');
});

test('pickVersion: exact, range (highest, prereleases only when asked), alias, latest', () => {
  assert.equal(pickVersion(versions, aliases, '1.2.0').spec.version, '1.2.0');
  assert.equal(pickVersion(versions, aliases, '^1.2').spec.version, '1.2.5');
  assert.equal(pickVersion(versions, aliases, '^1').spec.version, '1.2.5'); // 1.10.0-rc.1 is a prerelease
  assert.equal(pickVersion(versions, aliases, '~1.2.0').spec.version, '1.2.5');
  assert.equal(pickVersion(versions, aliases, '>=1.10.0-rc.0 <2').spec.version, '1.10.0-rc.1');
  assert.equal(pickVersion(versions, aliases, '<1').spec.version, '0.9.0');
  assert.equal(pickVersion(versions, aliases, 'production').spec.version, '1.1.0');
  assert.equal(pickVersion(versions, aliases, 'staging').spec.version, '1.2.5');
  assert.equal(pickVersion(versions, aliases, 'latest').spec.version, '1.2.5');
  assert.equal(pickVersion(vs('1.0.0-rc.1', '1.0.0-rc.2'), {}, 'latest').spec.version, '1.0.0-rc.2');
  assert.equal(latestOf([]), undefined);
});

test('pickVersion: nothing matches → NotFound naming the model and the ask', () => {
  rejects(() => pickVersion(versions, aliases, '3.0.0', 'digits'), 'NotFound', /model digits: version 3\.0\.0 not found/);
  rejects(() => pickVersion(versions, aliases, '^3', 'digits'), 'NotFound', /no version satisfies \^3/);
  rejects(() => pickVersion(versions, aliases, 'champion', 'digits'), 'NotFound', /no alias "champion" \(aliases: production, staging, stale\)/);
  rejects(() => pickVersion(versions, aliases, 'stale', 'digits'), 'NotFound', /points at version 0\.1\.0, which no longer exists/);
  rejects(() => pickVersion([], {}, 'latest', 'digits'), 'NotFound', /has no versions/);
  rejects(() => pickVersion([], {}, 'nope'), 'NotFound', /aliases: none/);
});

test('alias names may not read as versions or ranges', () => {
  assert.equal(aliasNameProblem('production'), undefined);
  assert.equal(aliasNameProblem('champion-2'), undefined);
  assert.match(aliasNameProblem('latest')!, /reserved/);
  assert.match(aliasNameProblem('x')!, /range/);
  assert.match(aliasNameProblem('1')!, /range/);
  assert.match(aliasNameProblem('Prod')!, /DNS-1123/);
  assert.match(aliasNameProblem('a'.repeat(64))!, /DNS-1123/);
});
