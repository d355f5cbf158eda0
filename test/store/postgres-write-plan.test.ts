/** The pure decision half of a PostgreSQL group commit: outcomes, numbering, final row states. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/meta.js';
import type { ObjectKey } from '../../src/store/backend.js';
import { batchKeys, keyId, planWrites, type CurrentRow } from '../../src/store/postgres-write-plan.js';

const key = (name: string): ObjectKey => ({ resource: 'test.dev/widgets', namespace: 'p1', name });
const obj = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject =>
  ({ apiVersion: 'test.dev/v1', kind: 'Widget', metadata: { name, namespace: 'p1', uid: `u-${name}`, ...extra }, spec: {} }) as KubeObject;
const row = (name: string, rv: number): CurrentRow => ({ rv, data: JSON.stringify({ ...obj(name), metadata: { ...obj(name).metadata, resourceVersion: String(rv) } }) });

test('successful writes are numbered from startRv in arrival order; failures take no number', () => {
  const current = new Map([[keyId(key('a')), row('a', 5)]]);
  const plan = planWrites(
    [[{ type: 'create', key: key('b'), object: obj('b') }], [{ type: 'update', key: key('a'), expectedRv: 4, object: obj('a') }], [{ type: 'update', key: key('a'), expectedRv: 5, object: obj('a') }]],
    current,
    10,
  );
  assert.deepEqual(plan.results.map((r) => (r[0].ok ? r[0].rv : r[0].reason)), [11, 'Conflict', 12]);
  assert.equal(plan.lastRv, 12);
  assert.deepEqual(plan.events.map((e) => [e.type, e.rv, e.key.name]), [['ADDED', 11, 'b'], ['MODIFIED', 12, 'a']]);
  assert.equal(JSON.parse(plan.events[1].data).metadata.resourceVersion, '12');
  const conflict = plan.results[1][0];
  assert.ok(!conflict.ok && conflict.current?.metadata.resourceVersion === '5', 'a conflict reports the current object');
});

test('later writes in a batch see earlier ones: a second create of a key is AlreadyExists', () => {
  const plan = planWrites([[{ type: 'create', key: key('x'), object: obj('x') }], [{ type: 'create', key: key('x'), object: obj('x', { uid: 'other' }) }]], new Map(), 0);
  const second = plan.results[1][0];
  assert.ok(!second.ok && second.reason === 'AlreadyExists');
  assert.equal(second.current?.metadata.uid, 'u-x');
  assert.equal(plan.upserts.length, 1);
});

test('expectedRv 0 updates and deletes unconditionally; missing keys are NotFound', () => {
  const plan = planWrites(
    [[{ type: 'update', key: key('a'), expectedRv: 0, object: obj('a') }, { type: 'delete', key: key('zz'), expectedRv: 0 }]],
    new Map([[keyId(key('a')), row('a', 3)]]),
    3,
  );
  assert.equal(plan.results[0][0].ok, true);
  assert.deepEqual(plan.results[0][1], { ok: false, reason: 'NotFound' });
});

test('final row state per key: create-then-delete deletes, delete-then-create upserts; owners indexed', () => {
  const owned = obj('c', { ownerReferences: [{ apiVersion: 'v1', kind: 'W', name: 'o', uid: 'owner-1' }] } as Partial<KubeObject['metadata']>);
  const plan = planWrites(
    [
      [{ type: 'create', key: key('n'), object: obj('n') }],
      [{ type: 'delete', key: key('n'), expectedRv: 0 }],
      [{ type: 'delete', key: key('c'), expectedRv: 7 }],
      [{ type: 'create', key: key('c'), object: owned }],
    ],
    new Map([[keyId(key('c')), row('c', 7)]]),
    7,
  );
  assert.deepEqual(plan.deletes, [key('n')]);
  assert.deepEqual(plan.upserts.map((u) => [u.key.name, u.rv, u.owners]), [['c', 11, ['owner-1']]]);
  const deleted = plan.results[2][0];
  assert.ok(deleted.ok && deleted.object.metadata.resourceVersion === '10', 'a delete returns the object at its deletion rv');
  assert.deepEqual(plan.events.map((e) => e.type), ['ADDED', 'DELETED', 'DELETED', 'ADDED']);
});

test('batchKeys lists each touched key once', () => {
  const ops = [[{ type: 'delete' as const, key: key('a'), expectedRv: 0 }], [{ type: 'delete' as const, key: key('a'), expectedRv: 0 }, { type: 'delete' as const, key: key('b'), expectedRv: 0 }]];
  assert.deepEqual(batchKeys(ops), [key('a'), key('b')]);
});
