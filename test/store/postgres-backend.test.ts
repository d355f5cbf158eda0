/**
 * PostgreSQL-specific behaviour beyond the contract: two backend instances on one database (two
 * server processes) racing writes and watching each other, gap-free ordered delivery under
 * concurrent writers, a LISTEN connection that is killed, restarts, schemas, and pagination order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { KubeObject } from '../../src/api/meta.js';
import { WatchGoneError, type ObjectKey, type StoreEvent } from '../../src/store/backend.js';
import { PostgresBackend } from '../../src/store/postgres-backend.js';
import { fnv1a32 } from '../../src/store/postgres-sql.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres-server.js';
import { waitFor } from './store-contract.js';

const key = (name: string, namespace = 'p1'): ObjectKey => ({ resource: 'test.dev/widgets', namespace, name });
const obj = (name: string, namespace = 'p1', spec: unknown = {}): KubeObject =>
  ({ apiVersion: 'test.dev/v1', kind: 'Widget', metadata: { name, namespace, uid: `u-${namespace}-${name}` }, spec }) as KubeObject;

describe('postgres backend', { skip: postgresSkip() }, () => {
  let server: PostgresServer;
  let n = 0;
  const open: PostgresBackend[] = [];
  /** Opens `count` instances on one fresh schema, as separate server processes would. */
  const instances = async (count: number): Promise<PostgresBackend[]> => {
    const schema = `t_${n++}`;
    const list: PostgresBackend[] = [];
    for (let i = 0; i < count; i++) list.push(await PostgresBackend.open({ connectionString: server.connectionString, schema, poolSize: 4 }));
    open.push(...list);
    return list;
  };
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    for (const b of open) await b.close();
    await server.stop();
  });

  test('two instances see each other’s writes in their watches, in order', async () => {
    const [a, b] = await instances(2);
    const seenA: StoreEvent[] = [];
    const seenB: StoreEvent[] = [];
    await a.watch(0, (e) => seenA.push(e), assert.fail);
    await b.watch(0, (e) => seenB.push(e), assert.fail);
    const [r1] = await a.commit([{ type: 'create', key: key('from-a'), object: obj('from-a') }]);
    const [r2] = await b.commit([{ type: 'create', key: key('from-b'), object: obj('from-b') }]);
    assert.ok(r1.ok && r2.ok && r2.rv > r1.rv);
    await waitFor(() => seenA.length === 2 && seenB.length === 2);
    for (const seen of [seenA, seenB]) assert.deepEqual(seen.map((e) => e.key.name), ['from-a', 'from-b']);
    assert.deepEqual(await b.get(key('from-a')), r1.object);
  });

  test('compare-and-swap across instances: exactly one writer per version wins', async () => {
    const [a, b] = await instances(2);
    const [c] = await a.commit([{ type: 'create', key: key('race'), object: obj('race') }]);
    assert.ok(c.ok);
    let rv = c.rv;
    for (let round = 0; round < 20; round++) {
      const attempts = Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).commit([{ type: 'update', key: key('race'), expectedRv: rv, object: obj('race', 'p1', { round, i }) }]));
      const results = (await Promise.all(attempts)).map((r) => r[0]);
      const winners = results.filter((r) => r.ok);
      assert.equal(winners.length, 1, `round ${round}: one winner`);
      for (const r of results) if (!r.ok) assert.equal(r.reason, 'Conflict');
      rv = winners[0].ok ? winners[0].rv : rv;
    }
    assert.equal((await b.get(key('race')))?.metadata.resourceVersion, String(rv));
  });

  test('concurrent writers on two instances: every watcher gets the whole log, ordered, no gaps or repeats', async () => {
    const [a, b] = await instances(2);
    const start = await a.currentRv();
    const seen: number[][] = [[], [], []];
    await a.watch(start, (e) => seen[0].push(e.rv), assert.fail);
    await b.watch(start, (e) => seen[1].push(e.rv), assert.fail);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const via = i % 3 === 0 ? a : b;
      writes.push(via.commit([{ type: 'create', key: key(`w${i}`), object: obj(`w${i}`) }]));
      // A watcher that joins mid-stream replays history then follows live without a seam.
      if (i === 150) writes.push(b.watch(start, (e) => seen[2].push(e.rv), assert.fail));
      if (i % 40 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    const end = await b.currentRv();
    const c = new pg.Client({ connectionString: server.connectionString });
    await c.connect();
    const log = (await c.query<{ rv: string }>(`SELECT rv FROM "t_${n - 1}".events WHERE rv > $1 ORDER BY rv`, [start])).rows.map((r) => Number(r.rv));
    await c.end();
    assert.equal(log.length, 300);
    await waitFor(() => seen.every((s) => s.length >= 300 && s[s.length - 1] === end));
    for (const s of seen) assert.deepEqual(s, log);
  });

  test('a killed LISTEN connection reconnects and catches up on what it missed', async () => {
    const [a, b] = await instances(2);
    const seen: string[] = [];
    await b.watch(await b.currentRv(), (e) => seen.push(e.key.name), assert.fail);
    await a.commit([{ type: 'create', key: key('before'), object: obj('before') }]);
    await waitFor(() => seen.length === 1);
    const c = new pg.Client({ connectionString: server.connectionString });
    await c.connect();
    const killed = await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN "capstan_rv_%' AND pid <> pg_backend_pid()`);
    await c.end();
    assert.ok(killed.rowCount && killed.rowCount >= 2, 'both instances had a listener');
    // Written while b may have no listener at all: b must still deliver it, from the log.
    await a.commit([{ type: 'create', key: key('during'), object: obj('during') }]);
    await waitFor(() => seen.length === 2);
    await a.commit([{ type: 'create', key: key('after'), object: obj('after') }]);
    await waitFor(() => seen.length === 3);
    assert.deepEqual(seen, ['before', 'during', 'after']);
  });

  test('an event from another process whose NOTIFY has not arrived is delivered before our own later one', async () => {
    const [a] = await instances(1);
    const schema = `t_${n - 1}`;
    const seen: number[] = [];
    await a.watch(await a.currentRv(), (e) => seen.push(e.rv), assert.fail);
    await a.commit([{ type: 'create', key: key('first'), object: obj('first') }]);
    await waitFor(() => seen.length === 1);
    // A writer that follows the protocol but whose notification is still in flight (never sent here).
    const c = new pg.Client({ connectionString: server.connectionString });
    await c.connect();
    await c.query('BEGIN');
    await c.query(`SELECT pg_advisory_xact_lock(1129529427, $1::int)`, [fnv1a32(`capstan:${schema}`)]);
    const rv = Number((await c.query<{ v: string }>(`SELECT last_value + 1 AS v FROM "${schema}".rv_seq`)).rows[0].v);
    const data = JSON.stringify({ ...obj('silent'), metadata: { ...obj('silent').metadata, resourceVersion: String(rv) } });
    await c.query(`INSERT INTO "${schema}".events VALUES ($1, 'ADDED', 'test.dev/widgets', 'p1', 'silent', $2)`, [rv, data]);
    await c.query(`SELECT setval('"${schema}".rv_seq', $1, true)`, [rv]);
    await c.query('COMMIT');
    await c.end();
    const [mine] = await a.commit([{ type: 'create', key: key('mine'), object: obj('mine') }]);
    assert.ok(mine.ok && mine.rv === rv + 1);
    await waitFor(() => seen.length === 3);
    assert.deepEqual(seen.slice(1), [rv, rv + 1]);
  });

  test('a reopened backend keeps objects and numbers on from the newest resourceVersion', async () => {
    const [a] = await instances(1);
    const [r] = await a.commit([{ type: 'create', key: key('keep'), object: obj('keep') }]);
    await a.close();
    const b = await PostgresBackend.open({ connectionString: server.connectionString, schema: `t_${n - 1}` });
    open.push(b);
    assert.deepEqual(await b.get(key('keep')), r.ok ? r.object : undefined);
    const [r2] = await b.commit([{ type: 'update', key: key('keep'), expectedRv: r.ok ? r.rv : 0, object: obj('keep', 'p1', { v: 2 }) }]);
    assert.ok(r.ok && r2.ok && r2.rv === r.rv + 1);
  });

  test('compaction is shared: another instance refuses a watch from before the boundary', async () => {
    const [a, b] = await instances(2);
    for (let i = 0; i < 10; i++) await a.commit([{ type: 'create', key: key(`c${i}`), object: obj(`c${i}`) }]);
    const boundary = await a.compact(4);
    assert.equal(boundary, (await a.currentRv()) - 4);
    await assert.rejects(b.watch(boundary - 1, () => {}, () => {}), WatchGoneError);
    const replay: number[] = [];
    const stop = await b.watch(boundary, (e) => replay.push(e.rv), assert.fail);
    stop();
    assert.equal(replay.length, 4);
    assert.equal(await b.compact(100), boundary, 'compaction never moves backwards');
  });

  test('schemas are separate stores in one database', async () => {
    const [a] = await instances(1);
    const [b] = await instances(1);
    await a.commit([{ type: 'create', key: key('only-a'), object: obj('only-a') }]);
    assert.equal(await b.get(key('only-a')), undefined);
    assert.equal((await b.list('test.dev/widgets', {})).items.length, 0);
  });

  test('list pages in (namespace, name) order even when a namespace is a prefix of another', async () => {
    const [a] = await instances(1);
    const names = [['a', 'x'], ['a', 'z'], ['a-b', 'x'], ['a.b', 'y'], ['ab', 'w'], ['b', 'a']];
    for (const [ns, name] of [...names].reverse()) await a.commit([{ type: 'create', key: key(name, ns), object: obj(name, ns) }]);
    const seen: string[] = [];
    let afterKey: string | undefined;
    for (;;) {
      const page = await a.list('test.dev/widgets', { after: afterKey, limit: 1 });
      if (page.items.length === 0) break;
      const o = page.items[0];
      afterKey = `${o.metadata.namespace}/${o.metadata.name}`;
      seen.push(afterKey);
    }
    // Byte order per column, as the primary key sorts: "a" < "a-b" < "a.b" < "ab".
    assert.deepEqual(seen, ['a/x', 'a/z', 'a-b/x', 'a.b/y', 'ab/w', 'b/a']);
    const inNs = await a.list('test.dev/widgets', { namespace: 'a', after: 'a/x' });
    assert.deepEqual(inNs.items.map((o) => o.metadata.name), ['z']);
  });

  test('list reports the resourceVersion its rows reflect', async () => {
    const [a] = await instances(1);
    const [r] = await a.commit([{ type: 'create', key: key('one'), object: obj('one') }]);
    const page = await a.list('test.dev/widgets', { namespace: 'p1' });
    assert.ok(r.ok);
    assert.equal(page.rv, r.rv);
    assert.equal(page.items.length, 1);
  });

  test('a bad schema name is refused with a message naming the option', () => {
    assert.throws(() => new PostgresBackend({ connectionString: server.connectionString, schema: 'x"; drop' }), /schema/);
  });
});
