import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelStatus } from '../../src/api/kinds/model.js';
import { aliasesAt, applyAliasMove, nextVersion, parseAtInstant, rollbackTarget } from '../../src/registry/alias-history.js';

function moves(steps: Array<[string, string | null, boolean?]>): ModelStatus {
  let s: ModelStatus = {};
  steps.forEach(([alias, to, rollback], i) => {
    s = applyAliasMove(s, { alias, to, by: 'admin', reason: `step ${i}`, rollback }, new Date(Date.UTC(2026, 2, 1 + i)).toISOString()).status;
  });
  return s;
}

test('applyAliasMove records who, when, from, to, why; a no-op move records nothing', () => {
  const s1 = applyAliasMove({}, { alias: 'production', to: '1.0.0', by: 'alice', reason: 'first' }, '2026-03-01T00:00:00.000Z');
  assert.deepEqual(s1.move, { alias: 'production', from: null, to: '1.0.0', by: 'alice', at: '2026-03-01T00:00:00.000Z', reason: 'first' });
  assert.deepEqual(s1.status.aliases, { production: { version: '1.0.0', since: '2026-03-01T00:00:00.000Z', by: 'alice' } });
  const s2 = applyAliasMove(s1.status, { alias: 'production', to: '1.1.0', by: 'bob', reason: 'better' }, '2026-03-02T00:00:00.000Z');
  assert.equal(s2.move?.from, '1.0.0');
  assert.equal(s2.status.aliasHistory?.length, 2);
  const same = applyAliasMove(s2.status, { alias: 'production', to: '1.1.0', by: 'bob', reason: 'again' }, '2026-03-03T00:00:00.000Z');
  assert.equal(same.move, undefined);
  assert.equal(same.status, s2.status);
  const removed = applyAliasMove(s2.status, { alias: 'production', to: null, by: 'bob', reason: 'retire' }, '2026-03-04T00:00:00.000Z');
  assert.deepEqual(removed.status.aliases, {});
  assert.equal(removed.move?.to, null);
  assert.equal(s1.status.aliasHistory?.length, 1, 'inputs are not mutated');
});

test('rollbackTarget walks back through moves, not toggling', () => {
  let s = moves([['production', '1.0.0'], ['production', '1.1.0'], ['staging', '2.0.0'], ['production', '1.2.0']]);
  assert.equal(rollbackTarget(s.aliasHistory!, 'production'), '1.1.0');
  s = applyAliasMove(s, { alias: 'production', to: '1.1.0', by: 'a', reason: 'bad', rollback: true }, '2026-04-01T00:00:00Z').status;
  assert.equal(rollbackTarget(s.aliasHistory!, 'production'), '1.0.0');
  s = applyAliasMove(s, { alias: 'production', to: '1.0.0', by: 'a', reason: 'worse', rollback: true }, '2026-04-02T00:00:00Z').status;
  assert.equal(rollbackTarget(s.aliasHistory!, 'production'), undefined);
  assert.equal(rollbackTarget(s.aliasHistory!, 'staging'), undefined);
  assert.equal(rollbackTarget([], 'production'), undefined);
  // removal then re-creation starts a new past
  const r = moves([['p', '1.0.0'], ['p', '1.1.0'], ['p', null], ['p', '2.0.0']]);
  assert.equal(rollbackTarget(r.aliasHistory!, 'p'), undefined);
});

test('aliasesAt answers "which version was production on a given day"', () => {
  const s = moves([['production', '1.0.0'], ['staging', '1.1.0'], ['production', '1.1.0'], ['staging', null]]);
  // moves happen at 2026-03-01, 02, 03, 04 (midnight UTC)
  assert.deepEqual(aliasesAt(s.aliasHistory!, Date.parse('2026-02-28T23:00:00Z')), {});
  assert.deepEqual(aliasesAt(s.aliasHistory!, parseAtInstant('2026-03-02')), { production: '1.0.0', staging: '1.1.0' });
  assert.deepEqual(aliasesAt(s.aliasHistory!, parseAtInstant('2026-03-03')), { production: '1.1.0', staging: '1.1.0' });
  assert.deepEqual(aliasesAt(s.aliasHistory!, parseAtInstant('2026-03-04T12:00:00Z')), { production: '1.1.0' });
  assert.throws(() => parseAtInstant('yesterday'), /at: "yesterday" is not a date/);
});

test('nextVersion: next patch of the highest, 1.0.0 first', () => {
  assert.equal(nextVersion([]), '1.0.0');
  assert.equal(nextVersion(['1.0.0', '1.2.0', '1.1.9']), '1.2.1');
  assert.equal(nextVersion(['1.2.0', '1.3.0-rc.1']), '1.3.0');
  assert.equal(nextVersion(['junk', '0.0.1']), '0.0.2');
});
