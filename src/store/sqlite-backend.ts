/**
 * The embedded storage backend: SQLite in WAL mode with synchronous=FULL, so a write is on disk
 * before it is acknowledged. Writes arriving in the same turn of the event loop share one
 * transaction (group commit): one fsync acknowledges many writes, which is where the
 * throughput comes from. Watches are served in-process from the same event log.
 */
import Database from 'better-sqlite3';
import type { KubeObject } from '../api/meta.js';
import {
  WatchGoneError,
  ownerUids,
  rowKey,
  type AuditQuery,
  type AuditRecordRow,
  type AuditRow,
  type ListQuery,
  type ObjectKey,
  type StorageBackend,
  type StoreEvent,
  type Unsubscribe,
  type WriteOp,
  type WriteResult,
} from './backend.js';

interface PendingCommit {
  ops: WriteOp[];
  resolve: (r: WriteResult[]) => void;
  reject: (e: unknown) => void;
}

/** Options for the SQLite backend. */
export interface SqliteBackendOptions {
  /** Database file path, or ':memory:' for tests that need no durability. */
  path: string;
  /** Most writes committed in one transaction. */
  maxBatch?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  resource TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,
  rv INTEGER NOT NULL, owners TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (resource, ns, name)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS objects_ns ON objects (ns);
CREATE TABLE IF NOT EXISTS events (
  rv INTEGER PRIMARY KEY, type TEXT NOT NULL, resource TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, user TEXT NOT NULL, verb TEXT NOT NULL,
  resource TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_time ON audit (time);
`;

/** SQLite implementation of StorageBackend. */
export class SqliteBackend implements StorageBackend {
  readonly name = 'sqlite';
  private readonly db: Database.Database;
  private readonly maxBatch: number;
  private rv: number;
  private compactedRv: number;
  private pending: PendingCommit[] = [];
  /** Audit rows waiting for the next group commit (they share its transaction and fsync). */
  private pendingAudit: { rows: AuditRow[]; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;
  private readonly listeners = new Set<(ev: StoreEvent) => void>();
  private closed = false;
  private readonly stmts;

  constructor(opts: SqliteBackendOptions) {
    this.db = new Database(opts.path);
    this.maxBatch = opts.maxBatch ?? 2000;
    this.db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives kill -9 and power loss.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.stmts = {
      get: this.db.prepare('SELECT data FROM objects WHERE resource = ? AND ns = ? AND name = ?'),
      getRv: this.db.prepare('SELECT rv, data FROM objects WHERE resource = ? AND ns = ? AND name = ?'),
      insert: this.db.prepare('INSERT INTO objects (resource, ns, name, rv, owners, data) VALUES (?, ?, ?, ?, ?, ?)'),
      update: this.db.prepare('UPDATE objects SET rv = ?, owners = ?, data = ? WHERE resource = ? AND ns = ? AND name = ?'),
      del: this.db.prepare('DELETE FROM objects WHERE resource = ? AND ns = ? AND name = ?'),
      audit: this.db.prepare('INSERT INTO audit (time, user, verb, resource, ns, name, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      event: this.db.prepare('INSERT INTO events (rv, type, resource, ns, name, data) VALUES (?, ?, ?, ?, ?, ?)'),
      // A row-value comparison, not a string one: "a-b/x" sorts after "a/z" by (ns, name) but before it as text.
      listAll: this.db.prepare('SELECT data FROM objects WHERE resource = ? AND (ns, name) > (?, ?) ORDER BY ns, name LIMIT ?'),
      listNs: this.db.prepare('SELECT data FROM objects WHERE resource = ? AND ns = ? AND name > ? ORDER BY name LIMIT ?'),
      listNamespace: this.db.prepare('SELECT resource, ns, name FROM objects WHERE ns = ?'),
      dependents: this.db.prepare('SELECT resource, ns, name FROM objects WHERE owners LIKE ?'),
      eventsAfter: this.db.prepare('SELECT rv, type, resource, ns, name, data FROM events WHERE rv > ? ORDER BY rv'),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
    const maxEv = (this.db.prepare('SELECT MAX(rv) AS m FROM events').get() as { m: number | null }).m ?? 0;
    const maxObj = (this.db.prepare('SELECT MAX(rv) AS m FROM objects').get() as { m: number | null }).m ?? 0;
    this.rv = Math.max(maxEv, maxObj);
    this.compactedRv = Number((this.stmts.getMeta.get('compacted_rv') as { value: string } | undefined)?.value ?? 0);
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    const row = this.stmts.get.get(key.resource, key.namespace, key.name) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as KubeObject) : undefined;
  }

  async list(resource: string, query: ListQuery): Promise<{ items: KubeObject[]; rv: number }> {
    const limit = query.limit ?? -1;
    const rows = (
      query.namespace !== undefined
        ? this.stmts.listNs.all(resource, query.namespace, query.after ? query.after.slice(query.after.indexOf('/') + 1) : '', limit)
        : this.stmts.listAll.all(resource, ...splitAfter(query.after), limit)
    ) as { data: string }[];
    return { items: rows.map((r) => JSON.parse(r.data) as KubeObject), rv: this.rv };
  }

  async listNamespace(namespace: string): Promise<ObjectKey[]> {
    return (this.stmts.listNamespace.all(namespace) as { resource: string; ns: string; name: string }[]).map((r) => ({
      resource: r.resource,
      namespace: r.ns,
      name: r.name,
    }));
  }

  async listDependents(uid: string): Promise<ObjectKey[]> {
    return (this.stmts.dependents.all(`% ${uid} %`) as { resource: string; ns: string; name: string }[]).map((r) => ({
      resource: r.resource,
      namespace: r.ns,
      name: r.name,
    }));
  }

  commit(ops: WriteOp[]): Promise<WriteResult[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate, not a timer: writers that arrived in this turn share the transaction,
    // and a lone writer waits for no clock.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.pending.length > 0 || this.pendingAudit.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      const audits = this.pendingAudit.splice(0);
      const startRv = this.rv;
      const events: StoreEvent[] = [];
      let results: WriteResult[][] = [];
      try {
        this.db.transaction(() => {
          results = batch.map((p) => p.ops.map((op) => this.applyOne(op, events)));
          for (const a of audits) for (const r of a.rows) this.stmts.audit.run(r.time, r.user, r.verb, r.resource, r.namespace, r.name, r.data);
        })();
      } catch (err) {
        // The transaction rolled back: nothing in this batch happened.
        this.rv = startRv;
        for (const p of batch) p.reject(err);
        for (const a of audits) a.reject(err);
        continue;
      }
      for (const ev of events) for (const l of this.listeners) l(ev);
      batch.forEach((p, i) => p.resolve(results[i]));
      for (const a of audits) a.resolve();
    }
  }

  private applyOne(op: WriteOp, events: StoreEvent[]): WriteResult {
    const { resource, namespace, name } = op.key;
    const cur = this.stmts.getRv.get(resource, namespace, name) as { rv: number; data: string } | undefined;
    if (op.type === 'create') {
      if (cur) return { ok: false, reason: 'AlreadyExists', current: JSON.parse(cur.data) };
    } else {
      if (!cur) return { ok: false, reason: 'NotFound' };
      if (op.expectedRv !== 0 && cur.rv !== op.expectedRv) return { ok: false, reason: 'Conflict', current: JSON.parse(cur.data) };
    }
    const rv = ++this.rv;
    const base = op.type === 'delete' ? (JSON.parse(cur!.data) as KubeObject) : op.object;
    const object: KubeObject = { ...base, metadata: { ...base.metadata, resourceVersion: String(rv) } };
    const data = JSON.stringify(object);
    if (op.type === 'create') {
      this.stmts.insert.run(resource, namespace, name, rv, ownersColumn(object), data);
      this.stmts.event.run(rv, 'ADDED', resource, namespace, name, data);
      events.push({ type: 'ADDED', rv, key: op.key, object });
    } else if (op.type === 'update') {
      this.stmts.update.run(rv, ownersColumn(object), data, resource, namespace, name);
      this.stmts.event.run(rv, 'MODIFIED', resource, namespace, name, data);
      events.push({ type: 'MODIFIED', rv, key: op.key, object });
    } else {
      this.stmts.del.run(resource, namespace, name);
      this.stmts.event.run(rv, 'DELETED', resource, namespace, name, data);
      events.push({ type: 'DELETED', rv, key: op.key, object });
    }
    return { ok: true, rv, object };
  }

  async currentRv(): Promise<number> {
    return this.rv;
  }

  async watch(fromRv: number, onEvent: (ev: StoreEvent) => void, _onError: (err: Error) => void): Promise<Unsubscribe> {
    if (fromRv < this.compactedRv) throw new WatchGoneError(fromRv, this.compactedRv);
    // History and subscription happen in one synchronous step: no commit can land in between.
    const rows = this.stmts.eventsAfter.all(fromRv) as { rv: number; type: StoreEvent['type']; resource: string; ns: string; name: string; data: string }[];
    for (const r of rows) {
      onEvent({ type: r.type, rv: r.rv, key: { resource: r.resource, namespace: r.ns, name: r.name }, object: JSON.parse(r.data) });
    }
    this.listeners.add(onEvent);
    return () => this.listeners.delete(onEvent);
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (this.stmts.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.stmts.setMeta.run(key, value);
  }

  /** Audit rows ride on the next group commit: no transaction or fsync of their own. */
  appendAudit(rows: AuditRow[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.pendingAudit.push({ rows, resolve, reject });
      this.scheduleFlush();
    });
  }

  async queryAudit(q: AuditQuery): Promise<AuditRecordRow[]> {
    const rows = this.db
      .prepare(
        `SELECT id, time, user, verb, resource, ns AS namespace, name, data FROM audit
         WHERE (@since IS NULL OR time >= @since) AND (@until IS NULL OR time < @until) AND (@user IS NULL OR user = @user)
           AND (@resource IS NULL OR resource = @resource) AND (@ns IS NULL OR ns = @ns) AND (@before IS NULL OR id < @before)
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ since: q.since ?? null, until: q.until ?? null, user: q.user ?? null, resource: q.resource ?? null, ns: q.namespace ?? null, before: q.beforeId ?? null, limit: q.limit });
    return rows as AuditRecordRow[];
  }

  async pruneAudit(before: string): Promise<number> {
    return this.db.prepare('DELETE FROM audit WHERE time < ?').run(before).changes;
  }

  async compact(keep: number): Promise<number> {
    const boundary = Math.max(this.compactedRv, this.rv - Math.max(1, keep));
    if (boundary > this.compactedRv) {
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM events WHERE rv <= ?').run(boundary);
        this.stmts.setMeta.run('compacted_rv', String(boundary));
      })();
      this.compactedRv = boundary;
    }
    return this.compactedRv;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued writers finish: they were promised an answer.
    if (this.pending.length > 0) this.flush();
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }
}

/** Splits a "namespace/name" pagination key at its first "/" (names may not contain one; namespaces never do). */
function splitAfter(after: string | undefined): [string, string] {
  if (!after) return ['', ''];
  const i = after.indexOf('/');
  return i < 0 ? [after, ''] : [after.slice(0, i), after.slice(i + 1)];
}

function ownersColumn(obj: KubeObject): string {
  const uids = ownerUids(obj);
  return uids.length ? ` ${uids.join(' ')} ` : '';
}

/** Re-exported so callers of this module need not know where the key helper lives. */
export { rowKey };
