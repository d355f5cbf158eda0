/**
 * A reconciling controller: informers feed keys into a work queue, a bounded number of workers
 * call `reconcile(key)`, errors back off per key, a result may ask to be re-queued later, and
 * every key is re-queued each resync period. Reconcilers are level-triggered: they read the
 * current state, never the event that woke them.
 */
import type { Logger } from 'pino';
import type { KubeObject } from '../../api/meta.js';
import { Informer, objectKey } from './informer.js';
import { WorkQueue } from './work-queue.js';

/** What a reconcile may ask for. */
export interface ReconcileResult {
  /** Run again after this many milliseconds even if nothing changes (waiting is a requeue). */
  requeueAfterMs?: number;
}

/** A reconciler for one kind. */
export interface Reconciler {
  /** The controller's name, for logs and metrics. */
  readonly name: string;
  reconcile(key: string): Promise<ReconcileResult | void>;
}

/** A secondary watch: changes to these objects wake the keys `map` returns. */
export interface Watch {
  informer: Informer;
  map: (obj: KubeObject) => string[];
}

/** Controller settings. */
export interface ControllerOptions {
  /** The primary kind's informer: each change queues the object's own key. */
  primary: Informer;
  /** Owned or related kinds. */
  watches?: Watch[];
  concurrency?: number;
  resyncMs?: number;
  log: Logger;
}

/** Maps an owned object to its controller owner's key (for `watches`). */
export function ownerKeyOf(ownerKind: string): (obj: KubeObject) => string[] {
  return (obj) =>
    (obj.metadata.ownerReferences ?? [])
      .filter((r) => r.kind === ownerKind)
      .map((r) => (obj.metadata.namespace ? `${obj.metadata.namespace}/${r.name}` : r.name));
}

/** Runs a reconciler over a work queue. */
export class Controller {
  readonly queue = new WorkQueue();
  private running = 0;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Reconciles that failed, for metrics and tests. */
  errors = 0;

  constructor(readonly reconciler: Reconciler, private readonly opts: ControllerOptions) {
    opts.primary.onChange((_t, obj) => this.queue.add(objectKey(obj)));
    for (const w of opts.watches ?? []) w.informer.onChange((_t, obj) => w.map(obj).forEach((k) => this.queue.add(k)));
  }

  /** Starts workers and the resync timer. Informers are started by the manager. */
  start(): void {
    const n = this.opts.concurrency ?? 2;
    for (let i = 0; i < n; i++) this.workers.push(this.work());
    const resync = this.opts.resyncMs ?? 5 * 60_000;
    this.resyncTimer = setInterval(() => {
      for (const o of this.opts.primary.list()) this.queue.add(objectKey(o));
    }, resync);
    this.resyncTimer.unref();
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.running++;
      try {
        const res = await this.reconciler.reconcile(key);
        this.queue.forget(key);
        if (res?.requeueAfterMs !== undefined && !this.stopped) this.queue.addAfter(key, res.requeueAfterMs);
      } catch (err) {
        this.errors++;
        if (!this.stopped) {
          const delay = this.queue.addRateLimited(key);
          this.opts.log.warn({ controller: this.reconciler.name, key, err: (err as Error)?.message ?? String(err), retryInMs: delay }, 'reconcile failed');
        }
      } finally {
        this.running--;
        this.queue.done(key);
      }
    }
  }

  /** Stops taking keys and waits for in-flight reconciles to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.queue.shutdown();
    await Promise.all(this.workers);
  }
}
