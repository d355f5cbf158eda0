/**
 * The storage backend contract: rows of JSON objects keyed by (resource, namespace, name),
 * each write a compare-and-swap that gets the next global resourceVersion, and an event log
 * that watches replay from a resourceVersion. SQLite and PostgreSQL implement it; the
 * Kubernetes semantics (generation, finalizers, cascade) live once, in ObjectStore, above it.
 */
import type { KubeObject } from '../api/meta.js';

/** Where an object lives. Cluster-scoped objects use namespace ''. */
export interface ObjectKey {
  resource: string;
  namespace: string;
  name: string;
}

/** One compare-and-swap write. For update and delete, `expectedRv` 0 means "whatever the current version". */
export type WriteOp =
  | { type: 'create'; key: ObjectKey; object: KubeObject }
  | { type: 'update'; key: ObjectKey; expectedRv: number; object: KubeObject }
  | { type: 'delete'; key: ObjectKey; expectedRv: number };

/** The outcome of one write: the stored object (with its new resourceVersion) or why not. */
export type WriteResult =
  | { ok: true; rv: number; object: KubeObject }
  | { ok: false; reason: 'AlreadyExists' | 'Conflict' | 'NotFound'; current?: KubeObject };

/** A change, as a watch delivers it. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  key: ObjectKey;
  object: KubeObject;
}

/** Thrown by watch() when the requested resourceVersion is older than the retained log. */
export class WatchGoneError extends Error {
  constructor(readonly requested: number, readonly oldest: number) {
    super(`resourceVersion ${requested} is too old: the event log starts after ${oldest}`);
    this.name = 'WatchGoneError';
  }
}

/** Options for a list. */
export interface ListQuery {
  /** Restrict to one namespace; undefined lists all. */
  namespace?: string;
  /** Return rows after this "namespace/name" key (pagination). */
  after?: string;
  /** At most this many rows. */
  limit?: number;
}

/** A subscription to changes; call to stop. */
export type Unsubscribe = () => void;

/** What a storage engine provides. All methods are safe to call concurrently. */
export interface StorageBackend {
  /** A short name for logs and metrics ("sqlite", "postgres"). */
  readonly name: string;
  get(key: ObjectKey): Promise<KubeObject | undefined>;
  /** Rows of one resource ordered by namespace then name, and the store's resourceVersion when read. */
  list(resource: string, query: ListQuery): Promise<{ items: KubeObject[]; rv: number }>;
  /** Keys of every object in a namespace, of any resource. */
  listNamespace(namespace: string): Promise<ObjectKey[]>;
  /** Keys of objects that name `uid` in their ownerReferences. */
  listDependents(uid: string): Promise<ObjectKey[]>;
  /** Applies writes; each is independent and durable when the promise resolves. */
  commit(ops: WriteOp[]): Promise<WriteResult[]>;
  /** The newest resourceVersion. */
  currentRv(): Promise<number>;
  /**
   * Delivers every event after `fromRv`, in order, then live ones. Rejects with WatchGoneError if
   * the log no longer reaches back to `fromRv`. `onEvent` must not throw.
   */
  watch(fromRv: number, onEvent: (ev: StoreEvent) => void, onError: (err: Error) => void): Promise<Unsubscribe>;
  /** Small server-wide values (token hashes, settings). */
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /** Appends audit records (one transaction); each gets the next id. */
  appendAudit(rows: AuditRow[]): Promise<void>;
  /** Audit records matching `q`, newest first. */
  queryAudit(q: AuditQuery): Promise<AuditRecordRow[]>;
  /** Deletes audit records older than `before` (ISO time); returns how many. */
  pruneAudit(before: string): Promise<number>;
  /** Drops events older than the newest `keep`; returns the oldest retained resourceVersion boundary. */
  compact(keep: number): Promise<number>;
  close(): Promise<void>;
}

/** One audit record as stored: indexed columns plus the whole record as JSON. */
export interface AuditRow {
  /** ISO-8601 time. */
  time: string;
  user: string;
  verb: string;
  /** `group/plural`, or '' for actions outside the resource tree (login). */
  resource: string;
  namespace: string;
  name: string;
  /** The whole record (JSON). */
  data: string;
}

/** A stored audit record with its id. */
export interface AuditRecordRow extends AuditRow {
  id: number;
}

/** Filters of an audit query; every one optional but `limit`. */
export interface AuditQuery {
  since?: string;
  until?: string;
  user?: string;
  resource?: string;
  namespace?: string;
  /** Records with a smaller id than this (paging, newest first). */
  beforeId?: number;
  limit: number;
}

/** The "namespace/name" pagination key of an object. */
export function rowKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The ownerReference uids of an object, as the backends index them. */
export function ownerUids(obj: KubeObject): string[] {
  return (obj.metadata.ownerReferences ?? []).map((r) => r.uid);
}
