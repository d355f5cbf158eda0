/**
 * What the operations layer (src/ops: backup, restore, leader election, upgrades) needs of a
 * backend beyond objects and events: leases with fencing tokens, a consistent snapshot out and an
 * all-or-nothing import into an empty store, and the schema version recorded in the store.
 */

/** The store schema this binary writes. 1: objects, events, meta. 2: + leases (leader election, fencing). */
export const STORE_SCHEMA_VERSION = 2;

/** Meta key holding the schema version. */
export const SCHEMA_VERSION_KEY = 'schema_version';

/** A lease as stored: who holds it, its fencing token (raised at every change of holder), and when it ends. */
export interface LeaseRecord {
  name: string;
  /** '' when never held. */
  holder: string;
  token: number;
  /** Milliseconds since the epoch, on the store's clock (PostgreSQL: the database server's). */
  expiresAtMs: number;
  /** The store's clock when this record was read or written. */
  nowMs: number;
}

/** A write made on behalf of a lease holder: refused unless `token` is still the lease's token. */
export interface Fence {
  lease: string;
  token: number;
}

/** Options of one commit. */
export interface CommitOptions {
  fence?: Fence;
}

/** Thrown to a fenced commit whose token is no longer the lease's: nothing of it was written. */
export class FencedOutError extends Error {
  constructor(readonly fence: Fence, readonly current: number | undefined) {
    super(`write refused: lease "${fence.lease}" fencing token ${fence.token} is stale (current ${current ?? 'none'}); this server is no longer the leader`);
    this.name = 'FencedOutError';
  }
}

/** One stored object as a snapshot carries it (data is the stored JSON, resourceVersion included). */
export interface SnapshotRow {
  resource: string;
  namespace: string;
  name: string;
  rv: number;
  data: string;
}

/** A consistent, read-only view of the whole store at one resourceVersion. */
export interface StoreSnapshot {
  /** The resourceVersion the snapshot reflects (every row's rv is ≤ it). */
  rv: number;
  schemaVersion: number;
  /** Meta values (token hashes, settings), without the store's own bookkeeping keys. */
  meta: Array<[string, string]>;
  /** Rows ordered by (resource, namespace, name), in pages. */
  rows(pageSize?: number): AsyncIterable<SnapshotRow[]>;
  /** Ends the read transaction. */
  close(): Promise<void>;
}

/** What an import writes. */
export interface SnapshotSource {
  rv: number;
  meta: Array<[string, string]>;
  rows: AsyncIterable<SnapshotRow[]>;
}

/** Thrown by importSnapshot when the target already holds objects: nothing was written. */
export class StoreNotEmptyError extends Error {
  constructor(readonly objects: number) {
    super(`restore target is not empty: it holds ${objects} object(s); restore only into an empty data dir or database`);
    this.name = 'StoreNotEmptyError';
  }
}

/** Thrown when the stored schema is newer than this binary understands. */
export class NewerSchemaError extends Error {
  constructor(readonly stored: number, readonly supported: number) {
    super(`the store was written by a newer Capstan (schema version ${stored}; this binary supports up to ${supported}): upgrade Capstan, or restore a backup taken by this version`);
    this.name = 'NewerSchemaError';
  }
}

/** Meta keys a backend keeps for itself and a snapshot does not carry. */
export const INTERNAL_META_KEYS = new Set(['compacted_rv', SCHEMA_VERSION_KEY]);

/**
 * The lease decision, shared by both backends (pure: the store's clock is passed in). A free or
 * expired lease goes to the asker with the next token; the holder renews with the same token; a
 * live lease held by another is left as it is. The caller compares `holder` to learn the outcome.
 */
export function decideLease(cur: LeaseRecord | undefined, name: string, holder: string, nowMs: number, ttlMs: number): LeaseRecord {
  if (!cur || cur.holder === '' ) return { name, holder, token: (cur?.token ?? 0) + 1, expiresAtMs: nowMs + ttlMs, nowMs };
  if (cur.holder === holder && cur.expiresAtMs > nowMs) return { ...cur, expiresAtMs: nowMs + ttlMs, nowMs };
  if (cur.expiresAtMs <= nowMs) return { name, holder, token: cur.token + 1, expiresAtMs: nowMs + ttlMs, nowMs };
  return { ...cur, nowMs };
}

/** A release: only the holder with the current token may end its lease (the holder field is cleared, the token kept). */
export function decideRelease(cur: LeaseRecord | undefined, holder: string, token: number, nowMs: number): LeaseRecord | undefined {
  if (!cur || cur.holder !== holder || cur.token !== token) return undefined;
  return { ...cur, holder: '', expiresAtMs: nowMs, nowMs };
}
