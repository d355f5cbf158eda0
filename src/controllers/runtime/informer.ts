/**
 * An informer: lists and watches one kind, keeps a local cache, and tells handlers what changed.
 * When the watch breaks (or the store says Gone) it re-lists and resumes, so handlers always
 * converge on the store's state.
 */
import { AsyncResource } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Kind } from '../../api/kind.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceClient, WatchEvent } from '../../client/resource-client.js';

/** What an informer tells its handlers. */
export type InformerHandler = (type: WatchEvent['type'], obj: KubeObject, old?: KubeObject) => void;

/** "namespace/name" or "name" for cluster-scoped objects. */
export function objectKey(obj: { metadata: { namespace?: string; name: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

/** Splits a key made by objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** A cached, watched view of one kind. */
export class Informer {
  private readonly cache = new Map<string, KubeObject>();
  private readonly handlers: InformerHandler[] = [];
  private stopWatch: (() => void) | undefined;
  private synced = false;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(readonly kind: Kind, private readonly client: ResourceClient, private readonly log: Logger) {}

  /** Adds a handler; it also receives every cached object as ADDED if the informer already synced. */
  onChange(handler: InformerHandler): void {
    this.handlers.push(handler);
    if (this.synced) for (const o of this.cache.values()) handler('ADDED', o);
  }

  /** Starts listing and watching; resolves once the initial list is in the cache. */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const seen = new Set<string>();
    let initial = true;
    try {
      // Bound to the context the informer started in: handlers (and the timers they arm) run
      // there, not in the context of whichever writer's commit delivered the event (the
      // leader's fenced context, docs/operations.md).
      this.stopWatch = await this.client.watch(
        this.kind,
        {},
        AsyncResource.bind((ev: WatchEvent) => {
          const key = objectKey(ev.object);
          if (initial) seen.add(key);
          this.apply(ev, key);
        }),
        AsyncResource.bind((err: Error) => this.restart(err)),
      );
    } catch (err) {
      this.restart(err as Error);
      return;
    }
    initial = false;
    // Objects deleted while we were not watching: the fresh list no longer has them.
    for (const [key, obj] of [...this.cache]) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        for (const h of this.handlers) h('DELETED', obj);
      }
    }
    this.synced = true;
  }

  private apply(ev: WatchEvent, key: string): void {
    const old = this.cache.get(key);
    if (ev.type === 'DELETED') this.cache.delete(key);
    else this.cache.set(key, ev.object);
    if (old && ev.type !== 'DELETED' && old.metadata.resourceVersion === ev.object.metadata.resourceVersion) return;
    const type = ev.type === 'ADDED' && old ? 'MODIFIED' : ev.type;
    for (const h of this.handlers) h(type, ev.object, old);
  }

  private restart(err: Error): void {
    if (this.stopped) return;
    this.log.warn({ err: err.message, kind: this.kind.kind }, 'watch broke; re-listing');
    this.stopWatch?.();
    this.stopWatch = undefined;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.connect(), 500);
    this.restartTimer.unref();
  }

  /** True once the initial list has been delivered. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** A cached object by key. */
  get(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  /** Every cached object. */
  list(): KubeObject[] {
    return [...this.cache.values()];
  }

  /** Stops watching. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.stopWatch?.();
  }
}
