/**
 * Slows brute force against the login: failures are counted per user name and per source
 * address; after `freeFailures` each further failure doubles a lock-out (1 s, 2 s, 4 s ... capped)
 * during which attempts are refused with 429 without checking the password. A success clears the
 * user's count. Pure: time is passed in; bounded memory (oldest entries dropped).
 */

export interface ThrottleOptions {
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Entries kept (per key); the oldest go first. */
  maxEntries?: number;
  /** A key's failures are forgotten after this long without one. */
  forgetAfterMs?: number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/** Per-key failure counting with exponential lock-out. */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly free: number;
  private readonly base: number;
  private readonly max: number;
  private readonly maxEntries: number;
  private readonly forget: number;

  constructor(opts: ThrottleOptions = {}) {
    this.free = opts.freeFailures ?? 5;
    this.base = opts.baseDelayMs ?? 1000;
    this.max = opts.maxDelayMs ?? 15 * 60_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.forget = opts.forgetAfterMs ?? 60 * 60_000;
  }

  /** Milliseconds until any of `keys` may try again (0: now). */
  retryAfterMs(keys: string[], now: number): number {
    let wait = 0;
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && now - e.lastFailure < this.forget) wait = Math.max(wait, e.lockedUntil - now);
    }
    return Math.max(0, wait);
  }

  /** Records a failed attempt for every key. */
  fail(keys: string[], now: number): void {
    for (const k of keys) {
      let e = this.entries.get(k);
      if (!e || now - e.lastFailure >= this.forget) e = { failures: 0, lockedUntil: 0, lastFailure: now };
      this.entries.delete(k);
      e.failures++;
      e.lastFailure = now;
      if (e.failures > this.free) e.lockedUntil = now + Math.min(this.max, this.base * 2 ** (e.failures - this.free - 1));
      this.entries.set(k, e);
      if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  /** Clears a key (a successful login clears the user's count, not the address's). */
  succeed(key: string): void {
    this.entries.delete(key);
  }
}
