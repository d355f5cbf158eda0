/**
 * Leader election over a lease in the store. The holder renews every `renewMs`; it counts itself
 * leader only until `ttlMs - marginMs` after the moment it *sent* its last successful renewal, on
 * its own monotonic clock, so it always steps down before the store (whose clock set the expiry,
 * later) lets anyone else in. Followers ask every `retryMs` and take an expired lease with the
 * next fencing token. Losing the lease is final for this elector: the owner decides what follows.
 */
import type { Logger } from 'pino';
import type { StorageBackend } from '../store/backend.js';
import type { Fence } from '../store/store-ops.js';

/** Timing of the election (defaults: a new leader within about ttl + retry after the old one dies). */
export interface LeaderElectorTiming {
  ttlMs: number;
  renewMs: number;
  retryMs: number;
  /** Stepped down this much before the local deadline, for clock-rate drift and scheduling delay. */
  marginMs: number;
}

/** Defaults: 3 s lease, renewed every second; followers ask twice a second. */
export const DEFAULT_LEADER_TIMING: LeaderElectorTiming = { ttlMs: 3000, renewMs: 1000, retryMs: 500, marginMs: 300 };

/** Options of an elector. */
export interface LeaderElectorOptions {
  backend: Pick<StorageBackend, 'acquireLease' | 'releaseLease'>;
  lease: string;
  /** Unique per process start (host, pid, random suffix). */
  holder: string;
  timing?: Partial<LeaderElectorTiming>;
  log: Logger;
  /** Monotonic milliseconds (performance.now by default); tests inject one. */
  now?: () => number;
  /** Called once when this elector becomes leader, with the lease's fencing token. */
  onLeading(fence: Fence): void;
  /** Called once when leadership is lost (not renewed in time, or taken over). */
  onLost(reason: string): void;
  /** Called after every attempt with whether this elector holds the lease now. */
  onAttempt?(leading: boolean): void;
}

/** Campaigns for, renews and releases one lease. */
export class LeaderElector {
  private readonly t: LeaderElectorTiming;
  private readonly now: () => number;
  private token: number | undefined;
  private deadline = 0;
  private lost = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.t = { ...DEFAULT_LEADER_TIMING, ...opts.timing };
    this.now = opts.now ?? (() => performance.now());
  }

  /** Starts campaigning (the first attempt is immediate). */
  start(): void {
    this.schedule(0);
  }

  /** True while this elector holds the lease by its own clock. */
  isLeader(): boolean {
    return this.token !== undefined && !this.lost && this.now() < this.deadline;
  }

  /** The fence for writes made as leader, or undefined when not (or no longer surely) leader. */
  fence(): Fence | undefined {
    return this.isLeader() ? { lease: this.opts.lease, token: this.token! } : undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped || this.lost) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.attempt().finally(() => (this.inFlight = undefined));
    }, ms);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    await this.tryOnce();
    this.opts.onAttempt?.(this.isLeader());
  }

  private async tryOnce(): Promise<void> {
    const sent = this.now();
    let holder: string;
    let token: number;
    try {
      const rec = await this.opts.backend.acquireLease(this.opts.lease, this.opts.holder, this.t.ttlMs);
      holder = rec.holder;
      token = rec.token;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, lease: this.opts.lease }, 'lease request failed');
      this.schedule(this.token !== undefined ? Math.min(this.t.renewMs, 250) : this.t.retryMs);
      return;
    }
    if (this.stopped || this.lost) return;
    if (holder !== this.opts.holder) {
      if (this.token !== undefined) this.lose(`lease taken by ${holder}`);
      else this.schedule(this.t.retryMs);
      return;
    }
    if (this.token !== undefined && token !== this.token) {
      this.lose(`lease token moved from ${this.token} to ${token}`);
      return;
    }
    const deadline = sent + this.t.ttlMs - this.t.marginMs;
    if (this.token !== undefined && this.now() >= this.deadline) {
      // The renewal came back after we had already stepped down: do not resurrect.
      this.lose('lease renewal arrived after the local deadline');
      return;
    }
    this.deadline = deadline;
    this.armWatchdog();
    if (this.token === undefined) {
      this.token = token;
      this.opts.log.info({ lease: this.opts.lease, holder: this.opts.holder, token }, 'became leader');
      this.opts.onLeading({ lease: this.opts.lease, token });
    }
    this.schedule(this.t.renewMs);
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (!this.isLeader() && !this.lost && !this.stopped) this.lose('lease not renewed before its deadline');
    }, Math.max(0, this.deadline - this.now()) + 1);
    this.watchdog.unref();
  }

  private lose(reason: string): void {
    if (this.lost) return;
    this.lost = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.opts.log.error({ lease: this.opts.lease, holder: this.opts.holder, token: this.token, reason }, 'lost leadership');
    this.opts.onLost(reason);
  }

  /** Stops campaigning; a leader releases its lease so a follower takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    await this.inFlight;
    if (this.token !== undefined && !this.lost) {
      await this.opts.backend.releaseLease(this.opts.lease, this.opts.holder, this.token).catch((err: unknown) => {
        this.opts.log.warn({ err: (err as Error).message }, 'lease release failed; followers wait for it to expire');
      });
    }
    this.token = undefined;
  }
}
