/**
 * The SQLite backend's operations side: leases, fencing checks, snapshots and schema migrations.
 * Kept apart from sqlite-backend.ts (objects, events, watches); every function takes the open
 * database and runs synchronously inside whatever transaction the caller holds.
 */
import Database from 'better-sqlite3';
import { ownerUids } from './backend.js';
import {
  INTERNAL_META_KEYS,
  NewerSchemaError,
  SCHEMA_VERSION_KEY,
  STORE_SCHEMA_VERSION,
  StoreNotEmptyError,
  decideLease,
  decideRelease,
  type Fence,
  type LeaseRecord,
  type SnapshotRow,
  type SnapshotSource,
  type StoreSnapshot,
} from './store-ops.js';

/** Schema steps by the version they lead to (version 1 is the base schema every open creates). */
const MIGRATIONS: Record<number, string> = {
  2: 'CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL, expires_ms INTEGER NOT NULL)',
};

type LeaseRow = { name: string; holder: string; token: number; expires_ms: number };

function readLease(db: Database.Database, name: string, nowMs: number): LeaseRecord | undefined {
  const r = db.prepare('SELECT name, holder, token, expires_ms FROM leases WHERE name = ?').get(name) as LeaseRow | undefined;
  return r ? { name: r.name, holder: r.holder, token: r.token, expiresAtMs: r.expires_ms, nowMs } : undefined;
}

function writeLease(db: Database.Database, l: LeaseRecord): void {
  db.prepare('INSERT INTO leases (name, holder, token, expires_ms) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires_ms = excluded.expires_ms')
    .run(l.name, l.holder, l.token, l.expiresAtMs);
}

/** Takes or renews a lease in one immediate transaction. */
export function sqliteAcquireLease(db: Database.Database, name: string, holder: string, ttlMs: number, nowMs: number): LeaseRecord {
  return db.transaction(() => {
    const cur = readLease(db, name, nowMs);
    const next = decideLease(cur, name, holder, nowMs, ttlMs);
    if (!cur || next.holder !== cur.holder || next.token !== cur.token || next.expiresAtMs !== cur.expiresAtMs) writeLease(db, next);
    return next;
  }).immediate();
}

/** Releases a lease held by `holder` with `token`. */
export function sqliteReleaseLease(db: Database.Database, name: string, holder: string, token: number, nowMs: number): void {
  db.transaction(() => {
    const next = decideRelease(readLease(db, name, nowMs), holder, token, nowMs);
    if (next) writeLease(db, next);
  }).immediate();
}

/** The lease's current token, for a fence check inside the write transaction. */
export function sqliteFenceHolds(db: Database.Database, fence: Fence): { ok: boolean; current?: number } {
  const r = db.prepare('SELECT token FROM leases WHERE name = ?').get(fence.lease) as { token: number } | undefined;
  return { ok: r?.token === fence.token, current: r?.token };
}

/** The recorded schema version: the meta value, else 1 when the store holds anything, else 0 (new). */
export function sqliteSchemaVersion(db: Database.Database): number {
  const v = db.prepare('SELECT value FROM meta WHERE key = ?').get(SCHEMA_VERSION_KEY) as { value: string } | undefined;
  if (v) return Number(v.value);
  const used = db.prepare('SELECT (SELECT COUNT(*) FROM objects) + (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM meta) AS n').get() as { n: number };
  return used.n > 0 ? 1 : 0;
}

/** Applies the missing schema steps in one transaction and records the new version. */
export function sqliteMigrate(db: Database.Database): { from: number; to: number } {
  return db.transaction(() => {
    const from = sqliteSchemaVersion(db);
    if (from > STORE_SCHEMA_VERSION) throw new NewerSchemaError(from, STORE_SCHEMA_VERSION);
    for (let v = Math.max(2, from + 1); v <= STORE_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    if (from !== STORE_SCHEMA_VERSION) {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(SCHEMA_VERSION_KEY, String(STORE_SCHEMA_VERSION));
    }
    return { from, to: STORE_SCHEMA_VERSION };
  }).immediate();
}

/**
 * A snapshot read on its own read-only connection (WAL gives it a stable view while the server
 * keeps writing), paged so a large store never blocks the event loop for long. An in-memory
 * database has no second connection: its snapshot reads the one connection inside a transaction.
 */
export function sqliteExportSnapshot(path: string, shared: Database.Database): StoreSnapshot {
  const own = path !== ':memory:' && path !== '';
  const db = own ? new Database(path, { readonly: true, fileMustExist: true }) : shared;
  if (own) db.exec('BEGIN');
  const rvRow = db.prepare(`SELECT MAX(COALESCE((SELECT MAX(rv) FROM events), 0), COALESCE((SELECT MAX(rv) FROM objects), 0),
    COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'compacted_rv'), 0)) AS rv`).get() as { rv: number };
  const metaRows = db.prepare('SELECT key, value FROM meta ORDER BY key').all() as { key: string; value: string }[];
  const schemaVersion = sqliteSchemaVersion(db);
  const page = db.prepare('SELECT resource, ns, name, rv, data FROM objects WHERE (resource, ns, name) > (?, ?, ?) ORDER BY resource, ns, name LIMIT ?');
  let closed = false;
  return {
    rv: rvRow.rv,
    schemaVersion,
    meta: metaRows.filter((m) => !INTERNAL_META_KEYS.has(m.key)).map((m) => [m.key, m.value]),
    async *rows(pageSize = 1000) {
      let after: [string, string, string] = ['', '', ''];
      for (;;) {
        const rows = page.all(...after, pageSize) as { resource: string; ns: string; name: string; rv: number; data: string }[];
        if (rows.length === 0) return;
        yield rows.map((r): SnapshotRow => ({ resource: r.resource, namespace: r.ns, name: r.name, rv: r.rv, data: r.data }));
        const last = rows[rows.length - 1];
        after = [last.resource, last.ns, last.name];
        // Let the server's requests run between pages.
        await new Promise((r) => setImmediate(r));
      }
    },
    async close() {
      if (closed || !own) return;
      closed = true;
      db.exec('COMMIT');
      db.close();
    },
  };
}

/**
 * Loads a snapshot in one transaction; the rows are awaited inside it, which is safe because
 * nothing else writes to a store that is being restored (it is empty, and not yet served).
 */
export async function sqliteImportSnapshot(db: Database.Database, src: SnapshotSource): Promise<{ objects: number }> {
  const insert = db.prepare('INSERT INTO objects (resource, ns, name, rv, owners, data) VALUES (?, ?, ?, ?, ?, ?)');
  const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
  let n = 0;
  db.exec('BEGIN IMMEDIATE');
  try {
    const count = (db.prepare('SELECT COUNT(*) AS n FROM objects').get() as { n: number }).n;
    if (count > 0) throw new StoreNotEmptyError(count);
    db.exec('DELETE FROM events');
    for await (const page of src.rows) {
      for (const r of page) {
        const uids = ownerUids(JSON.parse(r.data));
        insert.run(r.resource, r.namespace, r.name, r.rv, uids.length ? ` ${uids.join(' ')} ` : '', r.data);
        n++;
      }
    }
    for (const [k, v] of src.meta) if (!INTERNAL_META_KEYS.has(k)) setMeta.run(k, v);
    // No event history comes along: watches from before the snapshot are Gone (410) and re-list.
    setMeta.run('compacted_rv', String(src.rv));
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  return { objects: n };
}
