/**
 * The thin driver around decideBatch(): holds the bounded queue, turns decisions into executions,
 * and re-decides on arrival, on completion and on timers. Decisions are coalesced with setImmediate
 * so every request read in one event-loop turn can join the same batch.
 */
import { decideBatch, type BatchPolicyConfig, type QueuedRequestView } from './batch-policy.js';
import { InferError } from './infer-error.js';

/** A queued request with its completion callbacks. */
export interface BatchItem<P, R> extends QueuedRequestView {
  payload: P;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** Scheduler settings: the policy knobs plus the queue bound. */
export interface BatchSchedulerConfig extends BatchPolicyConfig {
  maxQueueSize: number;
}

/** Runs one batch; must settle every item (resolve or reject). */
export type BatchExecutor<P, R> = (items: Array<BatchItem<P, R>>) => Promise<void>;

/** Queue + driver for one model version. */
export class BatchScheduler<P, R> {
  private queue: Array<BatchItem<P, R>> = [];
  private busy = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly cfg: BatchSchedulerConfig,
    private readonly execute: BatchExecutor<P, R>,
    private readonly onDepth: (depth: number) => void = () => {},
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Number of queued (not yet executing) requests. */
  get depth(): number { return this.queue.length; }

  /** Enqueues a request; rejects at once with QueueFull when the queue is at its bound. */
  submit(key: string, rows: number, timeoutMs: number, payload: P): Promise<R> {
    if (this.queue.length >= this.cfg.maxQueueSize) {
      return Promise.reject(new InferError('QueueFull', `queue is full (${this.cfg.maxQueueSize} requests waiting); retry later`));
    }
    const now = this.now();
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ key, rows, enqueuedAt: now, deadline: timeoutMs > 0 ? now + timeoutMs : Infinity, payload, resolve, reject });
      this.onDepth(this.queue.length);
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or executing. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.busy) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    const now = this.now();
    const d = decideBatch(this.queue, now, this.busy, this.cfg);
    if (d.expired.length > 0 || d.dispatch.length > 0) {
      const expired = new Set(d.expired);
      const taken = new Set(d.dispatch);
      const batch = d.dispatch.map((i) => this.queue[i]);
      const rest: Array<BatchItem<P, R>> = [];
      this.queue.forEach((item, i) => {
        if (expired.has(i)) item.reject(new InferError('Timeout', 'request timed out waiting in the queue'));
        else if (!taken.has(i)) rest.push(item);
      });
      this.queue = rest;
      this.onDepth(rest.length);
      if (batch.length > 0) this.run(batch);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (d.wakeAt !== undefined) {
      this.timer = setTimeout(() => this.schedule(), Math.max(0, d.wakeAt - now));
    }
    this.notifyIdle();
  }

  private run(batch: Array<BatchItem<P, R>>): void {
    this.busy = true;
    this.execute(batch)
      .catch((err) => { for (const item of batch) item.reject(err); })
      .finally(() => {
        this.busy = false;
        this.schedule();
        this.notifyIdle();
      });
  }

  private notifyIdle(): void {
    if (this.queue.length > 0 || this.busy || this.idleWaiters.length === 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }
}
