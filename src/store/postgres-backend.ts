/**
 * The PostgreSQL storage backend, for running Capstan as several server processes on one
 * database. Writes that arrive while a transaction is in flight share the next one (group
 * commit): one transaction takes the writer advisory lock, reads the touched rows, decides every
 * compare-and-swap (postgres-write-plan.ts), and writes events and rows in one statement, so a
 * batch costs four round trips and one WAL flush however many writes it holds. Watches are
 * served across processes by LISTEN/NOTIFY (postgres-watch-hub.ts). Design: docs/postgres.md.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.js';
import type { AuditQuery, AuditRecordRow, AuditRow, ListQuery, ObjectKey, StorageBackend, StoreEvent, Unsubscribe, WriteOp, WriteResult } from './backend.js';
import { postgresSql, type PostgresSql } from './postgres-sql.js';
import { PostgresWatchHub } from './postgres-watch-hub.js';
import { batchKeys, keyId, planWrites, type CurrentRow } from './postgres-write-plan.js';

/** Options for the PostgreSQL backend. */
export interface PostgresBackendOptions {
  /** postgres://user:password@host:port/database (sslmode etc. as node-postgres accepts them). */
  connectionString: string;
  /** Most pooled connections for reads and writes (the LISTEN connection is extra). Default 10. */
  poolSize?: number;
  /** Schema holding Capstan's tables; created if missing. Default "capstan". */
  schema?: string;
  /** Most commit() calls grouped into one transaction. Default 2000. */
  maxBatch?: number;
  /** Where connection trouble is reported. */
  logger?: Logger;
}

interface PendingCommit {
  ops: WriteOp[];
  resolve: (r: WriteResult[]) => void;
  reject: (e: unknown) => void;
}

type KeyRow = { resource: string; ns: string; name: string };

/** PostgreSQL implementation of StorageBackend. Call init() (or use open()) before anything else. */
export class PostgresBackend implements StorageBackend {
  readonly name = 'postgres';
  private readonly pool: pg.Pool;
  private readonly sql: PostgresSql;
  private readonly hub: PostgresWatchHub;
  private readonly maxBatch: number;
  private readonly log: Logger | undefined;
  private pending: PendingCommit[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(opts: PostgresBackendOptions) {
    this.sql = postgresSql(opts.schema ?? 'capstan');
    this.maxBatch = opts.maxBatch ?? 2000;
    this.log = opts.logger;
    // keepAlive: a peer that vanished (not one that closed) is noticed, so its locks are freed.
    const clientConfig: pg.ClientConfig = { connectionString: opts.connectionString, application_name: 'capstan', keepAlive: true };
    this.pool = new pg.Pool({ ...clientConfig, max: opts.poolSize ?? 10 });
    // An idle pooled connection that dies must not crash the process; the pool replaces it.
    this.pool.on('error', (err) => this.log?.warn({ err: err.message }, 'postgres: idle connection failed'));
    this.hub = new PostgresWatchHub(this.pool, this.sql, clientConfig, this.log);
  }

  /** Creates and initializes a backend. */
  static async open(opts: PostgresBackendOptions): Promise<PostgresBackend> {
    const b = new PostgresBackend(opts);
    try {
      await b.init();
    } catch (err) {
      await b.pool.end().catch(() => {});
      throw err;
    }
    return b;
  }

  /** Creates the schema and tables if missing (safe to race with other processes), then starts watching. */
  async init(): Promise<void> {
    const c = await this.pool.connect();
    try {
      // Under the writer lock: concurrent CREATE ... IF NOT EXISTS can still collide, and the
      // sequence must not move while it is raised to the newest stored resourceVersion.
      await c.query(this.sql.beginWrite);
      await c.query(this.sql.ddl);
      await c.query(this.sql.syncSequence);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
    await this.hub.start();
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    const { rows } = await this.pool.query<{ data: string }>({ ...this.sql.get, values: [key.resource, key.namespace, key.name] });
    return rows.length ? (JSON.parse(rows[0].data) as KubeObject) : undefined;
  }

  async list(resource: string, query: ListQuery): Promise<{ items: KubeObject[]; rv: number }> {
    const limit = query.limit === undefined || query.limit < 0 ? null : query.limit;
    const after = query.after ?? '';
    const slash = after.indexOf('/');
    // The "ns/name" key splits at the first '/': namespaces cannot contain one, names can.
    const { rows } =
      query.namespace !== undefined
        ? await this.pool.query<{ rv: string; data: string | null }>({ ...this.sql.listNs, values: [resource, query.namespace, after.slice(slash + 1), limit] })
        : await this.pool.query<{ rv: string; data: string | null }>({
            ...this.sql.listAll,
            values: [resource, slash < 0 ? after : after.slice(0, slash), slash < 0 ? '' : after.slice(slash + 1), limit],
          });
    const items: KubeObject[] = [];
    for (const r of rows) if (r.data !== null) items.push(JSON.parse(r.data) as KubeObject);
    return { items, rv: Number(rows[0].rv) };
  }

  async listNamespace(namespace: string): Promise<ObjectKey[]> {
    const { rows } = await this.pool.query<KeyRow>({ ...this.sql.listNamespace, values: [namespace] });
    return rows.map(toKey);
  }

  async listDependents(uid: string): Promise<ObjectKey[]> {
    const { rows } = await this.pool.query<KeyRow>({ ...this.sql.dependents, values: [uid] });
    return rows.map(toKey);
  }

  commit(ops: WriteOp[]): Promise<WriteResult[]> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    // While a transaction is in flight, arrivals wait and then share the next one.
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    // setImmediate, not a timer: writers from this turn share the transaction, a lone writer waits for no clock.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = undefined;
        if (this.pending.length > 0) this.scheduleFlush();
      });
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const results = await this.writeBatch(batch.map((p) => p.ops));
        batch.forEach((p, i) => p.resolve(results[i]));
      } catch (err) {
        // The transaction rolled back (or its outcome is unknown): report it to every writer in it.
        for (const p of batch) p.reject(err);
      }
    }
  }

  /** One transaction for a batch of commits; resolves once it is durable. */
  private async writeBatch(batches: WriteOp[][]): Promise<WriteResult[][]> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let committing = false;
    let events: StoreEvent[] = [];
    let prev = 0;
    try {
      await client.query(this.sql.beginWrite);
      const keys = batchKeys(batches);
      const { rows } = await client.query<{ seq: string; prev: string; resource: string | null; ns: string; name: string; rv: string; data: string }>({
        ...this.sql.readForWrite,
        values: [keys.map((k) => k.resource), keys.map((k) => k.namespace), keys.map((k) => k.name)],
      });
      prev = Number(rows[0].prev);
      const current = new Map<string, CurrentRow>();
      for (const r of rows) {
        if (r.resource !== null) current.set(keyId({ resource: r.resource, namespace: r.ns, name: r.name }), { rv: Number(r.rv), data: r.data });
      }
      const plan = planWrites(batches, current, Number(rows[0].seq));
      if (plan.events.length > 0) {
        const ev = plan.events;
        const up = plan.upserts;
        const del = plan.deletes;
        await client.query({
          ...this.sql.applyWrite,
          values: [
            ev.map((e) => e.rv), ev.map((e) => e.type), ev.map((e) => e.key.resource), ev.map((e) => e.key.namespace), ev.map((e) => e.key.name), ev.map((e) => e.data),
            up.map((u) => u.key.resource), up.map((u) => u.key.namespace), up.map((u) => u.key.name), up.map((u) => u.rv), up.map((u) => JSON.stringify(u.owners)), up.map((u) => u.data),
            del.map((k) => k.resource), del.map((k) => k.namespace), del.map((k) => k.name),
            plan.lastRv,
          ],
        });
      }
      events = plan.events;
      committing = true;
      this.hub.beginLocalCommit();
      await client.query('COMMIT');
      return plan.results;
    } catch (err) {
      broken = err as Error;
      events = [];
      if (!committing) await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      if (committing) this.hub.endLocalCommit(prev, events.map(({ type, rv, key, object }) => ({ type, rv, key, object })));
      // After any failure the connection's state is unknown (a COMMIT may be half done): discard it.
      client.release(broken);
    }
  }

  async currentRv(): Promise<number> {
    const { rows } = await this.pool.query<{ rv: string }>(this.sql.currentRv);
    return Number(rows[0].rv);
  }

  watch(fromRv: number, onEvent: (ev: StoreEvent) => void, onError: (err: Error) => void): Promise<Unsubscribe> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.hub.watch(fromRv, onEvent, onError);
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>({ ...this.sql.getMeta, values: [key] });
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.pool.query({ ...this.sql.setMeta, values: [key, value] });
  }

  async appendAudit(rows: AuditRow[]): Promise<void> {
    if (!rows.length) return;
    const s = this.sql.schema;
    await this.pool.query(
      `INSERT INTO "${s}".audit (time, "user", verb, resource, ns, name, data)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
      [rows.map((r) => r.time), rows.map((r) => r.user), rows.map((r) => r.verb), rows.map((r) => r.resource), rows.map((r) => r.namespace), rows.map((r) => r.name), rows.map((r) => r.data)],
    );
  }

  async queryAudit(q: AuditQuery): Promise<AuditRecordRow[]> {
    const { rows } = await this.pool.query<{ id: string; time: string; user: string; verb: string; resource: string; namespace: string; name: string; data: string }>(
      `SELECT id, time, "user", verb, resource, ns AS namespace, name, data FROM "${this.sql.schema}".audit
       WHERE ($1::text IS NULL OR time >= $1) AND ($2::text IS NULL OR time < $2) AND ($3::text IS NULL OR "user" = $3)
         AND ($4::text IS NULL OR resource = $4) AND ($5::text IS NULL OR ns = $5) AND ($6::bigint IS NULL OR id < $6)
       ORDER BY id DESC LIMIT $7`,
      [q.since ?? null, q.until ?? null, q.user ?? null, q.resource ?? null, q.namespace ?? null, q.beforeId ?? null, q.limit],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  async pruneAudit(before: string): Promise<number> {
    const r = await this.pool.query(`DELETE FROM "${this.sql.schema}".audit WHERE time < $1`, [before]);
    return r.rowCount ?? 0;
  }

  async compact(keep: number): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query(this.sql.beginCompact);
      const { rows } = await client.query<{ compacted: string; newest: string }>(this.sql.compactState);
      const compacted = Number(rows[0].compacted);
      const boundary = Math.max(compacted, Number(rows[0].newest) - Math.max(1, keep));
      if (boundary > compacted) await client.query(this.sql.compactApply, [boundary]);
      await client.query('COMMIT');
      return boundary;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let queued writers finish: they were promised an answer.
    while (this.flushing || this.flushScheduled || this.pending.length > 0) {
      if (this.flushing) await this.flushing;
      else await new Promise((r) => setImmediate(r));
    }
    await this.hub.stop();
    await this.pool.end();
  }
}

function toKey(r: KeyRow): ObjectKey {
  return { resource: r.resource, namespace: r.ns, name: r.name };
}
