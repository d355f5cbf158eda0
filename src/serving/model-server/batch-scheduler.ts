/**
 * The thin driver around decideBatch(): holds the bounded queue (ordered by priority, FIFO within a
 * level), admits requests by expected wait (admission.ts), turns decisions into executions, keeps
 * the compute profile current from measured batches, and re-decides on arrival, on completion and
 * on timers. Decisions are coalesced with setImmediate so every request read in one event-loop turn
 * can join the same batch.
 */
import { decideBatch, type BatchPolicyConfig, type QueuedRequestView } from './batch-policy.js';
import { admit, expectedWaitMs } from './admission.js';
import { estimateComputeMs, updateComputeProfile, type ComputeProfile } from './compute-profile.js';
import { InferError } from './infer-error.js';

/** A queued request with its completion callbacks. */
export interface BatchItem<P, R> extends QueuedRequestView {
  /** 1 = highest. */
  priority: number;
  payload: P;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** Scheduler settings: the policy knobs plus the queue bound and priority levels. */
export interface BatchSchedulerConfig extends BatchPolicyConfig {
  maxQueueSize: number;
  /** Priority levels 1..N (1 = highest); 1 = a single FIFO queue. */
  priorityLevels: number;
}

/** Runs one batch; must settle every item (resolve or reject). */
export type BatchExecutor<P, R> = (items: Array<BatchItem<P, R>>) => Promise<void>;

/** Observers of the scheduler (metrics). */
export interface BatchSchedulerHooks {
  onDepth?(depth: number): void;
  /** A request refused by admission (expected wait over its budget) or by the queue bound. */
  onRejected?(reason: 'expected_wait' | 'queue_full'): void;
}

/** Queue + driver for one model version. */
export class BatchScheduler<P, R> {
  private queue: Array<BatchItem<P, R>> = [];
  /** Rows and requests queued per priority level (index = level - 1). */
  private readonly levelRows: number[];
  private readonly levelCount: number[];
  private busy = false;
  private busySince = 0;
  private busyRows = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly cfg: BatchSchedulerConfig,
    private readonly execute: BatchExecutor<P, R>,
    /** The compute-time model; updated after every batch. */
    public profile: ComputeProfile,
    private readonly hooks: BatchSchedulerHooks = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.levelRows = new Array<number>(Math.max(1, cfg.priorityLevels)).fill(0);
    this.levelCount = new Array<number>(Math.max(1, cfg.priorityLevels)).fill(0);
  }

  /** Number of queued (not yet executing) requests. */
  get depth(): number { return this.queue.length; }

  /** Expected wait of a request of `rows` at `priority` if it arrived now. */
  expectedWaitMs(rows: number, priority = 1): number {
    return expectedWaitMs(this.admissionView(priority), rows);
  }

  /**
   * Enqueues a request. Rejects at once with QueueFull when the queue is at its bound or when the
   * expected wait exceeds `budgetMs` (0 = none); a request still queued `expireMs` after arrival
   * (0 = never) is answered with Timeout.
   */
  submit(key: string, rows: number, budgetMs: number, expireMs: number, priority: number, payload: P): Promise<R> {
    if (this.queue.length >= this.cfg.maxQueueSize) {
      this.hooks.onRejected?.('queue_full');
      return Promise.reject(new InferError('QueueFull', `queue is full (${this.cfg.maxQueueSize} requests waiting); retry later`));
    }
    const level = Math.min(Math.max(1, priority), this.levelRows.length);
    if (budgetMs > 0) {
      const view = this.admissionView(level);
      if (!admit(view, rows, budgetMs)) {
        this.hooks.onRejected?.('expected_wait');
        const wait = expectedWaitMs(view, rows);
        return Promise.reject(new InferError('QueueFull', `overloaded: expected queue wait ${wait.toFixed(1)} ms exceeds the queue budget of ${budgetMs.toFixed(1)} ms; retry later`));
      }
    }
    const now = this.now();
    return new Promise<R>((resolve, reject) => {
      const item: BatchItem<P, R> = { key, rows, priority: level, enqueuedAt: now, deadline: expireMs > 0 ? now + expireMs : Infinity, payload, resolve, reject };
      this.insert(item);
      this.hooks.onDepth?.(this.queue.length);
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or executing. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.busy) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private admissionView(level: number): Parameters<typeof expectedWaitMs>[0] {
    let rowsAhead = 0;
    let requestsAhead = 0;
    for (let i = 0; i < level; i++) { rowsAhead += this.levelRows[i]; requestsAhead += this.levelCount[i]; }
    const busyRemainingMs = this.busy ? Math.max(0, this.busySince + estimateComputeMs(this.profile, this.busyRows) - this.now()) : 0;
    return { rowsAhead, requestsAhead, busyRemainingMs, maxBatchSize: this.cfg.maxBatchSize, profile: this.profile };
  }

  /** Inserts after the last item of the same or a higher priority (a plain push with one level). */
  private insert(item: BatchItem<P, R>): void {
    const q = this.queue;
    let i = q.length;
    while (i > 0 && q[i - 1].priority > item.priority) i--;
    if (i === q.length) q.push(item);
    else q.splice(i, 0, item);
    this.levelRows[item.priority - 1] += item.rows;
    this.levelCount[item.priority - 1]++;
  }

  private removed(item: BatchItem<P, R>): void {
    this.levelRows[item.priority - 1] -= item.rows;
    this.levelCount[item.priority - 1]--;
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
        if (expired.has(i)) {
          this.removed(item);
          item.reject(new InferError('Timeout', 'request timed out waiting in the queue'));
        } else if (taken.has(i)) this.removed(item);
        else rest.push(item);
      });
      this.queue = rest;
      this.hooks.onDepth?.(rest.length);
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
    this.busySince = this.now();
    let rows = 0;
    for (const it of batch) rows += it.rows;
    this.busyRows = rows;
    this.execute(batch)
      .then(() => { this.profile = updateComputeProfile(this.profile, { rows, ms: this.now() - this.busySince }); })
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
