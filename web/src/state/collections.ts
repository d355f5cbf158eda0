/**
 * Live collections: one list + watch per (kind, project) path, shared by every page that shows
 * it and kept current by the watch API rather than polling.
 *
 * Browsers open at most 6 HTTP/1.1 connections per server (across all tabs) and every watch
 * holds one, so only MAX_STREAMS collections watch at a time: those with the highest priority
 * (what the page is about), most recently asked for first. The rest re-list every POLL_MS until
 * a stream frees up. A hidden tab holds no connection at all and catches up when shown again.
 */
import { useCallback, useMemo, useSyncExternalStore } from 'react';
import { apiJson, ApiError, errorText, type KubeObject, type ObjectList } from '../api/client.js';
import { watchOnce } from '../api/watch.js';

/** What a page sees of a collection. */
export interface CollectionSnapshot {
  items: KubeObject[];
  loaded: boolean;
  /** Set while the list or the watch is failing; the items shown are the last known. */
  error?: string;
  /** True while the watch stream is open (updates arrive as they happen). */
  live: boolean;
  /** True when the collection re-lists periodically instead (all watch streams are taken). */
  polled: boolean;
}

/** How important a collection is to the page (decides who gets a watch stream). */
export const Priority = { background: 0, summary: 1, related: 2, main: 3 } as const;

const EMPTY: CollectionSnapshot = { items: [], loaded: false, live: false, polled: false };
const MAX_STREAMS = 3;
const POLL_MS = 15_000;
const MAX_BACKOFF_MS = 15_000;
let subscribeSeq = 0;

type Mode = 'watch' | 'poll';

class Collection {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Map<() => void, number>();
  private snapshot: CollectionSnapshot = EMPTY;
  private loaded = false;
  private live = false;
  private error: string | undefined;
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private notifyScheduled = false;
  mode: Mode | undefined;
  seq = 0;

  constructor(readonly path: string) {}

  get priority(): number {
    return Math.max(-1, ...this.listeners.values());
  }

  get subscribed(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(fn: () => void, priority: number): () => void {
    this.listeners.set(fn, priority);
    this.seq = ++subscribeSeq;
    rebalance();
    return () => {
      this.listeners.delete(fn);
      if (!this.listeners.size) this.setMode(undefined);
      rebalance();
    };
  }

  getSnapshot = (): CollectionSnapshot => this.snapshot;

  /** Switches between watching, polling and stopped, keeping the data already held. */
  setMode(mode: Mode | undefined): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.abort?.abort();
    this.abort = undefined;
    this.live = false;
    if (!mode) return;
    const ac = new AbortController();
    this.abort = ac;
    void (mode === 'watch' ? this.runWatch(ac.signal) : this.runPoll(ac.signal));
  }

  /** Stops for good (sign-out). */
  dispose(): void {
    this.listeners.clear();
    this.setMode(undefined);
  }

  private async list(signal: AbortSignal): Promise<void> {
    const list = await apiJson<ObjectList & { kind?: string }>(this.path, { signal });
    this.objects.clear();
    const kind = list.kind?.replace(/List$/, '');
    for (const o of list.items) this.objects.set(o.metadata.name, o.kind || !kind ? o : { ...o, kind });
    this.resourceVersion = list.metadata.resourceVersion;
    this.loaded = true;
    this.error = undefined;
    this.publish(true);
  }

  private async runWatch(signal: AbortSignal): Promise<void> {
    let backoff = 500;
    // Coming from polling with fresh data, resume from its resourceVersion instead of re-listing.
    let needList = !this.loaded || !this.resourceVersion;
    while (!signal.aborted) {
      try {
        if (needList) await this.list(signal);
        needList = true;
        for (;;) {
          this.live = true;
          this.publish();
          this.resourceVersion = await watchOnce(this.path, this.resourceVersion, (ev) => {
            if (ev.type === 'DELETED') this.objects.delete(ev.object.metadata.name);
            else this.objects.set(ev.object.metadata.name, ev.object);
            this.publish();
          }, signal);
          backoff = 500;
          if (signal.aborted) return;
        }
      } catch (err) {
        if (signal.aborted) return;
        this.live = false;
        // 410 Expired: our resourceVersion is too old; re-list at once, it is not a failure.
        if (err instanceof ApiError && err.httpStatus === 410) continue;
        this.fail(err);
        if (err instanceof ApiError && err.httpStatus === 401) return;
        await sleep(backoff, signal);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  }

  private async runPoll(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.list(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.fail(err);
        if (err instanceof ApiError && err.httpStatus === 401) return;
      }
      await sleep(POLL_MS, signal);
    }
  }

  private fail(err: unknown): void {
    this.error = errorText(err);
    this.publish(true);
  }

  /** Coalesces bursts of watch events into one render. */
  private publish(now = false): void {
    if (now) return this.emit();
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setTimeout(() => this.emit(), 16);
  }

  private emit(): void {
    this.notifyScheduled = false;
    const items = [...this.objects.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    this.snapshot = { items, loaded: this.loaded, error: this.error, live: this.live, polled: this.mode === 'poll' };
    for (const fn of this.listeners.keys()) fn();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

const collections = new Map<string, Collection>();

/** Gives watch streams to the most important collections; the others poll. */
function rebalance(): void {
  const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
  const active = [...collections.values()].filter((c) => c.subscribed);
  if (hidden) return active.forEach((c) => c.setMode(undefined));
  active.sort((a, b) => b.priority - a.priority || b.seq - a.seq);
  active.forEach((c, i) => c.setMode(i < MAX_STREAMS ? 'watch' : 'poll'));
}

if (typeof document !== 'undefined') document.addEventListener('visibilitychange', rebalance);

/** The shared collection for an API path. */
function collectionFor(path: string): Collection {
  let c = collections.get(path);
  if (!c) collections.set(path, (c = new Collection(path)));
  return c;
}

/** Forgets every collection (on sign-out, so the next user's data is fetched fresh). */
export function resetCollections(): void {
  for (const c of collections.values()) c.dispose();
  collections.clear();
}

const noop = () => () => {};
const empty = () => EMPTY;

/** Subscribes a component to a live collection; undefined path → an empty, not-loaded snapshot. */
export function useCollection(path: string | undefined, priority: number = Priority.main): CollectionSnapshot {
  const subscribe = useCallback((fn: () => void) => (path ? collectionFor(path).subscribe(fn, priority) : noop()), [path, priority]);
  const get = useCallback(() => (path ? collectionFor(path).getSnapshot() : empty()), [path]);
  return useSyncExternalStore(subscribe, get);
}

/** Subscribes to several collections at once (the overview reads every kind of a project). */
export function useCollections(paths: string[], priority: number = Priority.summary): CollectionSnapshot[] {
  const key = paths.join('\n');
  const cache = useMemo(() => ({ last: [] as CollectionSnapshot[] }), [key]);
  const subscribe = useCallback(
    (fn: () => void) => {
      const offs = paths.map((p) => collectionFor(p).subscribe(fn, priority));
      return () => offs.forEach((off) => off());
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [key, priority],
  );
  const getSnapshot = useCallback(() => {
    const next = paths.map((p) => collectionFor(p).getSnapshot());
    // Same snapshots as last time → same array, so React does not re-render for nothing.
    if (next.length === cache.last.length && next.every((s, i) => s === cache.last[i])) return cache.last;
    cache.last = next;
    return next;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, cache]);
  return useSyncExternalStore(subscribe, getSnapshot);
}
