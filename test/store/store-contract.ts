/**
 * The one contract every StorageBackend passes, through ObjectStore: CRUD, optimistic
 * concurrency, generation, status, finalizers, cascade, selectors, pagination and watch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/errors.js';
import type { KubeObject } from '../../src/api/meta.js';
import type { StorageBackend } from '../../src/store/backend.js';
import { ObjectStore, type ResourceInfo, type WatchEvent } from '../../src/store/object-store.js';

const Widget: ResourceInfo = { resource: 'test.dev/widgets', kind: 'Widget', apiVersion: 'test.dev/v1', namespaced: true, status: {} as never };
const Gadget: ResourceInfo = { resource: 'test.dev/gadgets', kind: 'Gadget', apiVersion: 'test.dev/v1', namespaced: true };
const Zone: ResourceInfo = { resource: 'test.dev/zones', kind: 'Zone', apiVersion: 'test.dev/v1', namespaced: false };

function widget(name: string, spec: unknown = { size: 1 }, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'test.dev/v1', kind: 'Widget', metadata: { name, namespace: 'p1', ...extra } as KubeObject['metadata'], spec };
}

async function rejectsWith(p: Promise<unknown>, reason: string): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected ApiError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return err;
  }
  assert.fail(`expected ${reason}`);
}

/** Registers the contract tests for a backend factory; each test gets a fresh backend. */
export function storeContract(name: string, makeBackend: () => Promise<StorageBackend>): void {
  const withStore = (fn: (s: ObjectStore, b: StorageBackend) => Promise<void>) => async () => {
    const b = await makeBackend();
    try {
      await fn(new ObjectStore(b), b);
    } finally {
      await b.close();
    }
  };

  test(`${name}: create fills metadata; get returns it; duplicate is AlreadyExists`, withStore(async (s) => {
    const created = await s.create(Widget, widget('a'));
    assert.equal(created.metadata.generation, 1);
    assert.ok(created.metadata.uid);
    assert.ok(Number(created.metadata.resourceVersion) > 0);
    assert.ok(created.metadata.creationTimestamp);
    const got = await s.get(Widget, 'p1', 'a');
    assert.deepEqual(got, created);
    await rejectsWith(s.create(Widget, widget('a')), 'AlreadyExists');
    await rejectsWith(s.get(Widget, 'p1', 'missing'), 'NotFound');
    assert.equal(await s.tryGet(Widget, 'p2', 'a'), undefined, 'namespaces are separate');
  }));

  test(`${name}: generateName makes unique names`, withStore(async (s) => {
    const a = await s.create(Widget, { ...widget(''), metadata: { generateName: 'w-', namespace: 'p1' } as KubeObject['metadata'] });
    const b = await s.create(Widget, { ...widget(''), metadata: { generateName: 'w-', namespace: 'p1' } as KubeObject['metadata'] });
    assert.match(a.metadata.name, /^w-[a-z0-9]{5}$/);
    assert.notEqual(a.metadata.name, b.metadata.name);
  }));

  test(`${name}: update bumps generation on spec change only; stale version conflicts`, withStore(async (s) => {
    const c = await s.create(Widget, widget('a'));
    const u1 = await s.update(Widget, { ...c, metadata: { ...c.metadata, labels: { x: 'y' } } });
    assert.equal(u1.metadata.generation, 1, 'label change keeps generation');
    assert.ok(Number(u1.metadata.resourceVersion) > Number(c.metadata.resourceVersion));
    const u2 = await s.update(Widget, { ...u1, spec: { size: 2 } });
    assert.equal(u2.metadata.generation, 2);
    await rejectsWith(s.update(Widget, { ...c, spec: { size: 3 } }), 'Conflict');
    const same = await s.update(Widget, u2);
    assert.equal(same.metadata.resourceVersion, u2.metadata.resourceVersion, 'a no-op update writes nothing');
    await rejectsWith(s.update(Widget, widget('nope')), 'NotFound');
  }));

  test(`${name}: status is a subresource`, withStore(async (s) => {
    const c = await s.create(Widget, { ...widget('a'), status: { phase: 'ignored' } });
    assert.equal(c.status, undefined, 'status is not set by create');
    const st = await s.updateStatus(Widget, 'p1', 'a', { phase: 'Ready' });
    assert.deepEqual(st.status, { phase: 'Ready' });
    assert.equal(st.metadata.generation, 1, 'status writes keep generation');
    const u = await s.update(Widget, { ...st, spec: { size: 5 }, status: { phase: 'hacked' } });
    assert.deepEqual(u.status, { phase: 'Ready' }, 'a main-resource update keeps status');
    await rejectsWith(s.updateStatus(Widget, 'p1', 'a', { phase: 'x' }, c.metadata.resourceVersion), 'Conflict');
  }));

  test(`${name}: finalizers hold deletion until removed`, withStore(async (s) => {
    await s.create(Widget, widget('a', { size: 1 }, { finalizers: ['test.dev/hold'] }));
    const d = await s.delete(Widget, 'p1', 'a');
    assert.ok(d.metadata.deletionTimestamp);
    const still = await s.get(Widget, 'p1', 'a');
    assert.ok(still.metadata.deletionTimestamp);
    await s.update(Widget, { ...still, metadata: { ...still.metadata, finalizers: [] } });
    assert.equal(await s.tryGet(Widget, 'p1', 'a'), undefined);
    await rejectsWith(s.delete(Widget, 'p1', 'a'), 'NotFound');
  }));

  test(`${name}: deleting an owner cascades to dependents, across kinds`, withStore(async (s) => {
    const owner = await s.create(Widget, widget('owner'));
    const ref = { apiVersion: 'test.dev/v1', kind: 'Widget', name: 'owner', uid: owner.metadata.uid, controller: true };
    const g = await s.create(Gadget, { apiVersion: 'test.dev/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'p1', ownerReferences: [ref] } as KubeObject['metadata'] });
    const grand = { apiVersion: 'test.dev/v1', kind: 'Gadget', name: 'g', uid: g.metadata.uid };
    await s.create(Widget, widget('grandchild', {}, { ownerReferences: [grand] }));
    await s.create(Widget, widget('bystander'));
    await s.delete(Widget, 'p1', 'owner');
    assert.equal(await s.tryGet(Gadget, 'p1', 'g'), undefined);
    assert.equal(await s.tryGet(Widget, 'p1', 'grandchild'), undefined);
    assert.ok(await s.tryGet(Widget, 'p1', 'bystander'));
  }));

  test(`${name}: list filters by namespace and label selector, and pages`, withStore(async (s) => {
    for (let i = 0; i < 25; i++) {
      await s.create(Widget, widget(`w${String(i).padStart(2, '0')}`, {}, { labels: { tier: i % 2 ? 'odd' : 'even' }, namespace: i < 20 ? 'p1' : 'p2' }));
    }
    assert.equal((await s.list(Widget, { namespace: 'p1' })).items.length, 20);
    assert.equal((await s.list(Widget)).items.length, 25);
    assert.equal((await s.list(Widget, { labelSelector: 'tier=odd' })).items.length, 12);
    assert.equal((await s.list(Widget, { labelSelector: 'tier in (odd,even),tier!=odd' })).items.length, 13);
    const seen: string[] = [];
    let cont: string | undefined;
    do {
      const page = await s.list(Widget, { limit: 7, continue: cont, labelSelector: 'tier' });
      assert.ok(page.items.length <= 7);
      seen.push(...page.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
      cont = page.continue;
    } while (cont);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen).size, 25, 'pages do not repeat');
    await rejectsWith(s.list(Widget, { labelSelector: 'a in (b' }), 'BadRequest');
    await rejectsWith(s.list(Widget, { continue: 'garbage!' }), 'BadRequest');
  }));

  test(`${name}: pages across namespaces whose names prefix each other lose nothing`, withStore(async (s) => {
    for (const ns of ['a', 'a-b', 'b']) for (const n of ['x', 'z']) await s.create(Widget, widget(n, {}, { namespace: ns }));
    const seen: string[] = [];
    let cont: string | undefined;
    do {
      const page = await s.list(Widget, { limit: 1, continue: cont });
      seen.push(...page.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
      cont = page.continue;
    } while (cont);
    assert.deepEqual(seen, ['a/x', 'a/z', 'a-b/x', 'a-b/z', 'b/x', 'b/z']);
  }));

  test(`${name}: cluster-scoped kinds ignore namespace`, withStore(async (s) => {
    await s.create(Zone, { apiVersion: 'test.dev/v1', kind: 'Zone', metadata: { name: 'z' } as KubeObject['metadata'] });
    assert.ok(await s.get(Zone, undefined, 'z'));
    assert.ok(await s.get(Zone, 'whatever', 'z'));
  }));

  test(`${name}: watch delivers ADDED/MODIFIED/DELETED in order and resumes from a resourceVersion`, withStore(async (s) => {
    const events: WatchEvent[] = [];
    const stop = await s.watch(Widget, { namespace: 'p1', resourceVersion: String(await s.backend.currentRv()) }, (e) => events.push(e), () => {});
    const a = await s.create(Widget, widget('a'));
    await s.create(Widget, { ...widget('other'), metadata: { name: 'other', namespace: 'p2' } as KubeObject['metadata'] });
    const a2 = await s.update(Widget, { ...a, spec: { size: 9 } });
    await s.delete(Widget, 'p1', 'a');
    await waitFor(() => events.length >= 3);
    stop();
    assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
    assert.equal(events[1].object.metadata.resourceVersion, a2.metadata.resourceVersion);
    // Resume after the first event: the later two arrive again.
    const resumed: WatchEvent[] = [];
    const stop2 = await s.watch(Widget, { namespace: 'p1', resourceVersion: a.metadata.resourceVersion }, (e) => resumed.push(e), () => {});
    await waitFor(() => resumed.length >= 2);
    stop2();
    assert.deepEqual(resumed.map((e) => e.type), ['MODIFIED', 'DELETED']);
  }));

  test(`${name}: watch without resourceVersion starts with the current objects; label-filtered`, withStore(async (s) => {
    await s.create(Widget, widget('x', {}, { labels: { app: 'a' } }));
    await s.create(Widget, widget('y', {}, { labels: { app: 'b' } }));
    const events: WatchEvent[] = [];
    const stop = await s.watch(Widget, { namespace: 'p1', labelSelector: 'app=a' }, (e) => events.push(e), () => {});
    await s.create(Widget, widget('z', {}, { labels: { app: 'a' } }));
    await s.create(Widget, widget('w', {}, { labels: { app: 'b' } }));
    await waitFor(() => events.length >= 2);
    stop();
    assert.deepEqual(events.map((e) => `${e.type}:${e.object.metadata.name}`), ['ADDED:x', 'ADDED:z']);
  }));

  test(`${name}: watch from a compacted resourceVersion is Gone`, withStore(async (s, b) => {
    const first = await s.create(Widget, widget('a'));
    for (let i = 0; i < 10; i++) await s.create(Widget, widget(`b${i}`));
    await b.compact(3);
    await rejectsWith(s.watch(Widget, { resourceVersion: first.metadata.resourceVersion }, () => {}, () => {}), 'Gone');
    const recent = String((await b.currentRv()) - 1);
    const stop = await s.watch(Widget, { resourceVersion: recent }, () => {}, () => {});
    stop();
  }));

  test(`${name}: concurrent updates with the same version: exactly one wins`, withStore(async (s) => {
    const c = await s.create(Widget, widget('race'));
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => s.update(Widget, { ...c, spec: { size: i + 10 } })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as ApiError).reason, 'Conflict');
  }));

  test(`${name}: many concurrent creates are all acknowledged and all readable`, withStore(async (s) => {
    await Promise.all(Array.from({ length: 500 }, (_, i) => s.create(Widget, widget(`c${i}`))));
    assert.equal((await s.list(Widget, { namespace: 'p1' })).items.length, 500);
    const rvs = (await s.list(Widget)).items.map((o) => Number(o.metadata.resourceVersion));
    assert.equal(new Set(rvs).size, 500, 'every write has its own resourceVersion');
  }));

  test(`${name}: meta values persist`, withStore(async (_s, b) => {
    assert.equal(await b.getMeta('k'), undefined);
    await b.setMeta('k', 'v1');
    await b.setMeta('k', 'v2');
    assert.equal(await b.getMeta('k'), 'v2');
  }));

  test(`${name}: audit records append, filter, page newest first and prune by time`, withStore(async (_s, b) => {
    const row = (i: number, user: string, ns: string) => ({ time: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`, user, verb: 'create', resource: 'capstan.dev/models', namespace: ns, name: `m${i}`, data: JSON.stringify({ i }) });
    await b.appendAudit([row(1, 'alice', 'a'), row(2, 'bob', 'a'), row(3, 'alice', 'b')]);
    await b.appendAudit([row(4, 'alice', 'a')]);
    const all = await b.queryAudit({ limit: 10 });
    assert.deepEqual(all.map((r) => r.name), ['m4', 'm3', 'm2', 'm1']);
    assert.deepEqual((await b.queryAudit({ user: 'alice', namespace: 'a', limit: 10 })).map((r) => r.name), ['m4', 'm1']);
    const page1 = await b.queryAudit({ limit: 2 });
    const page2 = await b.queryAudit({ limit: 2, beforeId: page1[1].id });
    assert.deepEqual([...page1, ...page2].map((r) => r.name), ['m4', 'm3', 'm2', 'm1']);
    assert.deepEqual((await b.queryAudit({ since: '2026-01-01T00:00:02.000Z', until: '2026-01-01T00:00:04.000Z', limit: 10 })).map((r) => r.name), ['m3', 'm2']);
    assert.equal(JSON.parse(all[0].data).i, 4);
    assert.equal(await b.pruneAudit('2026-01-01T00:00:03.000Z'), 2);
    assert.deepEqual((await b.queryAudit({ limit: 10 })).map((r) => r.name), ['m4', 'm3']);
  }));
}

/** Polls until the predicate holds (watches deliver asynchronously on some backends). */
export async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
