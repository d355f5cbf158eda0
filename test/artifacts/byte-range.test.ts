import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRangeHeader, resolveRange } from '../../src/artifacts/byte-range.js';
import { isArtifactError } from '../../src/artifacts/errors.js';

test('parseRangeHeader follows RFC 9110 for single byte ranges', () => {
  const cases: [string | undefined, number, unknown][] = [
    [undefined, 10, { kind: 'whole' }],
    ['bytes=0-0', 10, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=3-', 10, { kind: 'partial', start: 3, end: 9 }],
    ['bytes=-4', 10, { kind: 'partial', start: 6, end: 9 }],
    ['bytes=-40', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=5-50', 10, { kind: 'partial', start: 5, end: 9 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=10-12', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-4', 10, { kind: 'whole' }],
    ['bytes=1-2,4-5', 10, { kind: 'whole' }],
    ['items=1-2', 10, { kind: 'whole' }],
    ['bytes=-', 10, { kind: 'whole' }],
    ['bytes=abc', 10, { kind: 'whole' }],
  ];
  for (const [h, size, want] of cases) assert.deepEqual(parseRangeHeader(h, size), want, String(h));
});

test('resolveRange clamps the end and refuses impossible ranges', () => {
  assert.deepEqual(resolveRange({}, 10), { start: 0, end: 9 });
  assert.equal(resolveRange({}, 0), null);
  assert.deepEqual(resolveRange({ end: 100 }, 10), { start: 0, end: 9 });
  for (const r of [{ start: 10 }, { start: 3, end: 2 }, { start: 1.5 }, { end: -1 }, { start: 0, end: 0 }]) {
    assert.throws(() => resolveRange(r, r.end === 0 ? 0 : 10), (e: unknown) => isArtifactError(e, 'InvalidRange'), JSON.stringify(r));
  }
});
