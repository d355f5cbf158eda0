/**
 * Fencing for controller writes without touching each controller: the leader's controllers run
 * inside an AsyncLocalStorage context that carries the elector, and every commit made from that
 * context (reconciles, their timers, the admission loop, the gateway's wake-ups) carries the
 * lease's fencing token, which the backend checks in the write transaction. Commits from API
 * requests run outside it and are not fenced: every server serves the API.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { StorageBackend, WriteOp, WriteResult } from '../store/backend.js';
import { FencedOutError, type CommitOptions, type Fence } from '../store/store-ops.js';

/** What a leader context knows: the current fence, or undefined once leadership is not sure any more. */
export interface FenceSource {
  lease: string;
  fence(): Fence | undefined;
}

/** A StorageBackend whose commits made in a leader context are fenced. */
export class FencedBackend implements StorageBackend {
  private readonly als = new AsyncLocalStorage<FenceSource>();
  readonly name: string;

  constructor(private readonly inner: StorageBackend) {
    this.name = inner.name;
  }

  /** Runs `fn` (and everything it schedules) as the leader whose fence `source` gives. */
  runAsLeader<T>(source: FenceSource, fn: () => T): T {
    return this.als.run(source, fn);
  }

  /** True inside a leader context. */
  inLeaderContext(): boolean {
    return this.als.getStore() !== undefined;
  }

  commit(ops: WriteOp[], opts?: CommitOptions): Promise<WriteResult[]> {
    const source = this.als.getStore();
    if (!source || opts?.fence) return this.inner.commit(ops, opts);
    const fence = source.fence();
    // Not (surely) leader any more: refuse here, before the database has to.
    if (!fence) return Promise.reject(new FencedOutError({ lease: source.lease, token: -1 }, undefined));
    return this.inner.commit(ops, { ...opts, fence });
  }

  get: StorageBackend['get'] = (k) => this.inner.get(k);
  list: StorageBackend['list'] = (r, q) => this.inner.list(r, q);
  listNamespace: StorageBackend['listNamespace'] = (ns) => this.inner.listNamespace(ns);
  listDependents: StorageBackend['listDependents'] = (uid) => this.inner.listDependents(uid);
  currentRv: StorageBackend['currentRv'] = () => this.inner.currentRv();
  watch: StorageBackend['watch'] = (rv, on, err) => this.inner.watch(rv, on, err);
  getMeta: StorageBackend['getMeta'] = (k) => this.inner.getMeta(k);
  setMeta: StorageBackend['setMeta'] = (k, v) => this.inner.setMeta(k, v);
  appendAudit: StorageBackend['appendAudit'] = (rows) => this.inner.appendAudit(rows);
  queryAudit: StorageBackend['queryAudit'] = (q) => this.inner.queryAudit(q);
  pruneAudit: StorageBackend['pruneAudit'] = (before) => this.inner.pruneAudit(before);
  compact: StorageBackend['compact'] = (keep) => this.inner.compact(keep);
  acquireLease: StorageBackend['acquireLease'] = (n, h, t) => this.inner.acquireLease(n, h, t);
  releaseLease: StorageBackend['releaseLease'] = (n, h, t) => this.inner.releaseLease(n, h, t);
  exportSnapshot: StorageBackend['exportSnapshot'] = () => this.inner.exportSnapshot();
  importSnapshot: StorageBackend['importSnapshot'] = (s) => this.inner.importSnapshot(s);
  countObjects: StorageBackend['countObjects'] = () => this.inner.countObjects();
  schemaVersion: StorageBackend['schemaVersion'] = () => this.inner.schemaVersion();
  migrate: StorageBackend['migrate'] = () => this.inner.migrate();
  close: StorageBackend['close'] = () => this.inner.close();
}
