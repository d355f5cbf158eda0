/**
 * The operations contract every StorageBackend passes beside store-contract.ts: schema versions
 * and migrations, leases with fencing tokens checked in the write transaction, consistent
 * snapshots, and an all-or-nothing import into an empty store only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/meta.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { ObjectStore, type ResourceInfo } from '../../src/store/object-store.js';
import { FencedOutError, NewerSchemaError, STORE_SCHEMA_VERSION, StoreNotEmptyError, type SnapshotRow } from '../../src/store/store-ops.js';

const Widget: ResourceInfo = { resource: 'test.dev/widgets', kind: 'Widget', apiVersion: 'test.dev/v1', namespaced: true, status: {} as never };

function widget(name: string, ns = 'p1', extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'test.dev/v1', kind: 'Widget', metadata: { name, namespace: ns, ...extra } as KubeObject['metadata'], spec: { size: 1 } };
}

async function collect(rows: AsyncIterable<SnapshotRow[]>): Promise<SnapshotRow[]> {
  const out: SnapshotRow[] = [];
  for await (const page of rows) out.push(...page);
  return out;
}

/** Registers the operations tests for a backend factory (each call returns a fresh, empty backend). */
export function opsContract(name: string, makeBackend: () => Promise<StorageBackend>): void {
  const withBackends = (n: number, fn: (...b: StorageBackend[]) => Promise<void>) => async () => {
    const bs: StorageBackend[] = [];
    try {
      for (let i = 0; i < n; i++) bs.push(await makeBackend());
      await fn(...bs);
    } finally {
      for (const b of bs) await b.close();
    }
  };

  test(`${name} ops: a new store migrates from 0, records the version, and refuses a newer one`, withBackends(1, async (b) => {
    assert.equal(await b.schemaVersion(), 0);
    assert.deepEqual(await b.migrate(), { from: 0, to: STORE_SCHEMA_VERSION });
    assert.equal(await b.schemaVersion(), STORE_SCHEMA_VERSION);
    assert.deepEqual(await b.migrate(), { from: STORE_SCHEMA_VERSION, to: STORE_SCHEMA_VERSION });
    await b.setMeta('schema_version', String(STORE_SCHEMA_VERSION + 1));
    await assert.rejects(b.migrate(), NewerSchemaError);
  }));

  test(`${name} ops: a store with data but no recorded version is version 1 and migrates to the current one`, withBackends(1, async (b) => {
    await new ObjectStore(b).create(Widget, widget('old'));
    assert.equal(await b.schemaVersion(), 1);
    assert.deepEqual(await b.migrate(), { from: 1, to: STORE_SCHEMA_VERSION });
    assert.equal((await b.get({ resource: Widget.resource, namespace: 'p1', name: 'old' }))?.metadata.name, 'old');
  }));

  test(`${name} ops: one holder at a time; expiry hands the lease over with a higher token; stale fences write nothing`, withBackends(1, async (b) => {
    await b.migrate();
    const a1 = await b.acquireLease('ctl', 'A', 300);
    assert.equal(a1.holder, 'A');
    const b1 = await b.acquireLease('ctl', 'B', 300);
    assert.equal(b1.holder, 'A', 'a live lease stays with its holder');
    const a2 = await b.acquireLease('ctl', 'A', 300);
    assert.equal(a2.token, a1.token, 'a renewal keeps the token');
    assert.ok(a2.expiresAtMs >= a1.expiresAtMs);
    const key = { resource: Widget.resource, namespace: 'p1', name: 'f' };
    const ok = await b.commit([{ type: 'create', key, object: widget('f') }], { fence: { lease: 'ctl', token: a1.token } });
    assert.equal(ok[0].ok, true);
    // A stops renewing: B takes over once the lease has expired on the store's clock.
    let taken = b1;
    const deadline = Date.now() + 5000;
    while (taken.holder !== 'B') {
      assert.ok(Date.now() < deadline, 'B never took the expired lease');
      await new Promise((r) => setTimeout(r, 25));
      taken = await b.acquireLease('ctl', 'B', 10_000);
    }
    assert.equal(taken.token, a1.token + 1);
    const key2 = { resource: Widget.resource, namespace: 'p1', name: 'g' };
    await assert.rejects(b.commit([{ type: 'create', key: key2, object: widget('g') }], { fence: { lease: 'ctl', token: a1.token } }), FencedOutError);
    assert.equal(await b.get(key2), undefined, 'a fenced-out commit wrote nothing');
    // Fenced and unfenced commits in the same turn share a transaction; only the stale one is refused.
    const [stale, fresh, plain] = await Promise.allSettled([
      b.commit([{ type: 'create', key: { ...key2, name: 'h1' }, object: widget('h1') }], { fence: { lease: 'ctl', token: a1.token } }),
      b.commit([{ type: 'create', key: { ...key2, name: 'h2' }, object: widget('h2') }], { fence: { lease: 'ctl', token: taken.token } }),
      b.commit([{ type: 'create', key: { ...key2, name: 'h3' }, object: widget('h3') }]),
    ]);
    assert.equal(stale.status, 'rejected');
    assert.equal(fresh.status, 'fulfilled');
    assert.equal(plain.status, 'fulfilled');
    assert.equal(await b.get({ ...key2, name: 'h1' }), undefined);
    assert.ok(await b.get({ ...key2, name: 'h2' }));
    // A release lets the next asker in at once, with the next token.
    await b.releaseLease('ctl', 'A', a1.token); // not A's any more: no effect
    assert.equal((await b.acquireLease('ctl', 'A', 300)).holder, 'B');
    await b.releaseLease('ctl', 'B', taken.token);
    const a3 = await b.acquireLease('ctl', 'A', 300);
    assert.equal(a3.holder, 'A');
    assert.equal(a3.token, taken.token + 1);
  }));

  test(`${name} ops: a snapshot is consistent while writes go on, and imports into an empty store only`, withBackends(2, async (src, dst) => {
    await src.migrate();
    await dst.migrate();
    const s = new ObjectStore(src);
    const owner = await s.create(Widget, widget('owner'));
    for (let i = 0; i < 25; i++) await s.create(Widget, widget(`w${i}`, i % 2 ? 'p1' : 'p2', { ownerReferences: [{ apiVersion: 'test.dev/v1', kind: 'Widget', name: 'owner', uid: owner.metadata.uid }] }));
    await s.delete(Widget, 'p2', 'w0');
    await src.setMeta('token:x', 'hash');
    const snap = await src.exportSnapshot();
    // Writes after the snapshot began are not in it.
    await s.create(Widget, widget('late'));
    await s.update(Widget, { ...(await s.get(Widget, 'p1', 'w1')), spec: { size: 9 } });
    const rows = await collect(snap.rows(7));
    await snap.close();
    assert.equal(rows.length, 25);
    assert.ok(!rows.some((r) => r.name === 'late'));
    assert.equal(JSON.parse(rows.find((r) => r.name === 'w1')!.data).spec.size, 1);
    assert.ok(rows.every((r) => r.rv <= snap.rv));
    assert.deepEqual(snap.meta.filter(([k]) => k === 'token:x'), [['token:x', 'hash']]);
    assert.equal(snap.schemaVersion, STORE_SCHEMA_VERSION);

    const pages = async function* () { yield rows.slice(0, 10); yield rows.slice(10); };
    assert.deepEqual(await dst.importSnapshot({ rv: snap.rv, meta: snap.meta, rows: pages() }), { objects: 25 });
    const d = new ObjectStore(dst);
    assert.deepEqual(await d.get(Widget, 'p1', 'w1'), JSON.parse(rows.find((r) => r.name === 'w1')!.data));
    assert.equal(await dst.getMeta('token:x'), 'hash');
    assert.ok((await dst.currentRv()) >= snap.rv);
    assert.equal((await dst.listDependents(owner.metadata.uid)).length, 24, 'owner index rebuilt');
    const next = await d.create(Widget, widget('after'));
    assert.ok(Number(next.metadata.resourceVersion) > snap.rv, 'new writes continue after the snapshot');
    await assert.rejects(d.watch(Widget, { resourceVersion: '1' }, () => {}, () => {}), /Gone|too old/);

    // Non-empty target: refused, nothing written.
    const again = async function* () { yield [{ ...rows[0], name: 'extra' }]; };
    await assert.rejects(dst.importSnapshot({ rv: snap.rv, meta: [], rows: again() }), StoreNotEmptyError);
    assert.equal(await dst.get({ resource: Widget.resource, namespace: rows[0].namespace, name: 'extra' }), undefined);
  }));

  test(`${name} ops: an import that fails half-way leaves the store empty`, withBackends(1, async (b) => {
    await b.migrate();
    const rows = async function* () {
      yield [{ resource: Widget.resource, namespace: 'p1', name: 'a', rv: 3, data: JSON.stringify(widget('a')) }];
      throw new Error('truncated input');
    };
    await assert.rejects(b.importSnapshot({ rv: 3, meta: [['k', 'v']], rows: rows() }), /truncated input/);
    assert.equal(await b.countObjects(), 0);
    assert.equal(await b.getMeta('k'), undefined);
  }));
}
