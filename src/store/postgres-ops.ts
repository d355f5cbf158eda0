/**
 * The PostgreSQL backend's operations side: leases (under the writer lock, so a change of holder
 * is serialized with every write batch and its fence check), snapshots in a REPEATABLE READ
 * read-only transaction, an all-or-nothing import, and schema migrations.
 */
import type pg from 'pg';
import { ownerUids } from './backend.js';
import type { PostgresSql } from './postgres-sql.js';
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

/** Schema steps by the version they lead to (version 1 is the base DDL every start runs). */
function migrations(s: string): Record<number, string> {
  return {
    2: `CREATE TABLE IF NOT EXISTS ${s}.leases (name text PRIMARY KEY, holder text NOT NULL, token bigint NOT NULL, expires_ms bigint NOT NULL)`,
  };
}

const q = (sql: PostgresSql) => `"${sql.schema}"`;

async function inWriteTx<T>(pool: pg.Pool, sql: PostgresSql, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query(sql.beginWrite);
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (err) {
    broken = err as Error;
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release(broken);
  }
}

async function readLease(c: pg.PoolClient, sql: PostgresSql, name: string): Promise<{ cur: LeaseRecord | undefined; nowMs: number }> {
  const { rows } = await c.query<{ now: string; holder: string | null; token: string | null; expires_ms: string | null }>(
    `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now, l.holder, l.token, l.expires_ms
     FROM (SELECT 1) x LEFT JOIN ${q(sql)}.leases l ON l.name = $1`,
    [name],
  );
  const r = rows[0];
  const nowMs = Number(r.now);
  const cur = r.holder === null ? undefined : { name, holder: r.holder, token: Number(r.token), expiresAtMs: Number(r.expires_ms), nowMs };
  return { cur, nowMs };
}

async function writeLease(c: pg.PoolClient, sql: PostgresSql, l: LeaseRecord): Promise<void> {
  await c.query(
    `INSERT INTO ${q(sql)}.leases (name, holder, token, expires_ms) VALUES ($1, $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, token = excluded.token, expires_ms = excluded.expires_ms`,
    [l.name, l.holder, l.token, l.expiresAtMs],
  );
}

/** Takes or renews a lease on the database's clock. */
export function pgAcquireLease(pool: pg.Pool, sql: PostgresSql, name: string, holder: string, ttlMs: number): Promise<LeaseRecord> {
  return inWriteTx(pool, sql, async (c) => {
    const { cur, nowMs } = await readLease(c, sql, name);
    const next = decideLease(cur, name, holder, nowMs, ttlMs);
    await writeLease(c, sql, next);
    return next;
  });
}

/** Releases a lease held by `holder` with `token`. */
export async function pgReleaseLease(pool: pg.Pool, sql: PostgresSql, name: string, holder: string, token: number): Promise<void> {
  await inWriteTx(pool, sql, async (c) => {
    const { cur, nowMs } = await readLease(c, sql, name);
    const next = decideRelease(cur, holder, token, nowMs);
    if (next) await writeLease(c, sql, next);
  });
}

/** Current tokens of the fences' leases, read inside the write transaction (which holds the writer lock). */
export async function pgFenceTokens(c: pg.PoolClient, sql: PostgresSql, fences: Fence[]): Promise<Map<string, number>> {
  const names = [...new Set(fences.map((f) => f.lease))];
  const { rows } = await c.query<{ name: string; token: string }>(`SELECT name, token FROM ${q(sql)}.leases WHERE name = ANY($1::text[])`, [names]);
  return new Map(rows.map((r) => [r.name, Number(r.token)]));
}

async function schemaVersionWith(c: pg.Pool | pg.PoolClient, sql: PostgresSql): Promise<number> {
  const { rows } = await c.query<{ v: string | null; n: string }>(
    `SELECT (SELECT value FROM ${q(sql)}.meta WHERE key = $1) AS v,
     (SELECT count(*) FROM (SELECT 1 FROM ${q(sql)}.objects LIMIT 1) a) + (SELECT count(*) FROM (SELECT 1 FROM ${q(sql)}.events LIMIT 1) b)
     + (SELECT count(*) FROM (SELECT 1 FROM ${q(sql)}.meta LIMIT 1) m) AS n`,
    [SCHEMA_VERSION_KEY],
  );
  if (rows[0].v !== null) return Number(rows[0].v);
  return Number(rows[0].n) > 0 ? 1 : 0;
}

/** The recorded schema version (1: a store from before versions were recorded; 0: new). */
export function pgSchemaVersion(pool: pg.Pool, sql: PostgresSql): Promise<number> {
  return schemaVersionWith(pool, sql);
}

/** Applies missing schema steps under the writer lock (servers starting together migrate once). */
export function pgMigrate(pool: pg.Pool, sql: PostgresSql): Promise<{ from: number; to: number }> {
  return inWriteTx(pool, sql, async (c) => {
    const from = await schemaVersionWith(c, sql);
    if (from > STORE_SCHEMA_VERSION) throw new NewerSchemaError(from, STORE_SCHEMA_VERSION);
    const steps = migrations(q(sql));
    for (let v = Math.max(2, from + 1); v <= STORE_SCHEMA_VERSION; v++) await c.query(steps[v]);
    if (from !== STORE_SCHEMA_VERSION) await c.query({ ...sql.setMeta, values: [SCHEMA_VERSION_KEY, String(STORE_SCHEMA_VERSION)] });
    return { from, to: STORE_SCHEMA_VERSION };
  });
}

/** A snapshot in a REPEATABLE READ, READ ONLY transaction on its own connection (writers are never blocked). */
export async function pgExportSnapshot(pool: pg.Pool, sql: PostgresSql): Promise<StoreSnapshot> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const rv = Number((await c.query<{ rv: string }>(sql.currentRv)).rows[0].rv);
    const meta = (await c.query<{ key: string; value: string }>(`SELECT key, value FROM ${q(sql)}.meta ORDER BY key`)).rows;
    const schemaVersion = await schemaVersionWith(c, sql);
    let closed = false;
    return {
      rv,
      schemaVersion,
      meta: meta.filter((m) => !INTERNAL_META_KEYS.has(m.key)).map((m) => [m.key, m.value]),
      async *rows(pageSize = 1000) {
        let after = ['', '', ''];
        for (;;) {
          const { rows } = await c.query<{ resource: string; ns: string; name: string; rv: string; data: string }>(
            `SELECT resource, ns, name, rv, data FROM ${q(sql)}.objects WHERE (resource, ns, name) > ($1, $2, $3) ORDER BY resource, ns, name LIMIT $4`,
            [...after, pageSize],
          );
          if (rows.length === 0) return;
          yield rows.map((r): SnapshotRow => ({ resource: r.resource, namespace: r.ns, name: r.name, rv: Number(r.rv), data: r.data }));
          const last = rows[rows.length - 1];
          after = [last.resource, last.ns, last.name];
        }
      },
      async close() {
        if (closed) return;
        closed = true;
        await c.query('COMMIT').catch(() => {});
        c.release();
      },
    };
  } catch (err) {
    c.release(err as Error);
    throw err;
  }
}

/** Loads a snapshot into an empty schema in one transaction under the writer lock. */
export function pgImportSnapshot(pool: pg.Pool, sql: PostgresSql, src: SnapshotSource): Promise<{ objects: number }> {
  const s = q(sql);
  return inWriteTx(pool, sql, async (c) => {
    const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${s}.objects`);
    if (Number(rows[0].n) > 0) throw new StoreNotEmptyError(Number(rows[0].n));
    await c.query(`DELETE FROM ${s}.events`);
    let n = 0;
    for await (const page of src.rows) {
      await c.query(
        `INSERT INTO ${s}.objects (resource, ns, name, rv, owners, data)
         SELECT u.resource, u.ns, u.name, u.rv, ARRAY(SELECT jsonb_array_elements_text(u.owners::jsonb)), u.data
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS u(resource, ns, name, rv, owners, data)`,
        [page.map((r) => r.resource), page.map((r) => r.namespace), page.map((r) => r.name), page.map((r) => r.rv),
          page.map((r) => JSON.stringify(ownerUids(JSON.parse(r.data)))), page.map((r) => r.data)],
      );
      n += page.length;
    }
    for (const [k, v] of src.meta) if (!INTERNAL_META_KEYS.has(k)) await c.query({ ...sql.setMeta, values: [k, v] });
    // No event history comes along: watches from before the snapshot are Gone (410) and re-list.
    await c.query({ ...sql.setMeta, values: ['compacted_rv', String(src.rv)] });
    await c.query(sql.syncSequence);
    return { objects: n };
  });
}
