/**
 * Bucketed time series of gateway load, averaged over sliding windows (the KPA's stable and panic windows).
 * Pure and immutable: every function returns a new value; time always comes from the caller.
 */

/** One observation of a service's load: `concurrency` is the average in-flight count since the previous sample, `requests` how many arrived since then. */
export interface LoadSample {
  /** Milliseconds since the epoch (or any monotonic origin, as long as it is the same one `now` uses). */
  t: number;
  concurrency: number;
  requests: number;
}

/** One bucket: concurrency is averaged over the samples that fell into it, requests are summed. */
export interface LoadBucket {
  start: number;
  concurrencySum: number;
  sampleCount: number;
  requests: number;
}

/** The aggregator's whole state; plain data so it can be stored, copied and compared. */
export interface MetricWindowState {
  bucketMs: number;
  /** How much history is retained; older buckets are dropped. */
  retainMs: number;
  /** Start of the first bucket ever written, so a young series is averaged over its real age, not the full window. */
  firstBucket: number | null;
  /** Ascending by start, at most one per bucket start. */
  buckets: readonly LoadBucket[];
}

/** Averages of the series over one window ending at `now`. */
export interface WindowAverage {
  concurrency: number;
  /** Requests per second. */
  rps: number;
  /** False when no sample ever fell inside the window: the caller should not act on zeros it did not observe. */
  hasData: boolean;
}

/** An empty aggregator keeping `retainMs` of history in buckets of `bucketMs`. */
export function emptyMetricWindow(bucketMs: number, retainMs: number): MetricWindowState {
  if (!(bucketMs > 0)) throw new RangeError(`bucketMs must be > 0, got ${bucketMs}`);
  return { bucketMs, retainMs: Math.max(retainMs, bucketMs), firstBucket: null, buckets: [] };
}

/** Adds samples (any order) and drops buckets older than the retention horizon relative to `now`. */
export function recordLoad(state: MetricWindowState, samples: readonly LoadSample[], now: number): MetricWindowState {
  const byStart = new Map<number, LoadBucket>();
  for (const b of state.buckets) byStart.set(b.start, b);
  let firstBucket = state.firstBucket;
  for (const s of samples) {
    if (!Number.isFinite(s.t) || s.t > now) continue; // samples from the future are a caller bug; ignoring keeps decisions deterministic
    const start = Math.floor(s.t / state.bucketMs) * state.bucketMs;
    const prev = byStart.get(start);
    const concurrency = Number.isFinite(s.concurrency) ? Math.max(0, s.concurrency) : 0;
    const requests = Number.isFinite(s.requests) ? Math.max(0, s.requests) : 0;
    byStart.set(start, {
      start,
      concurrencySum: (prev?.concurrencySum ?? 0) + concurrency,
      sampleCount: (prev?.sampleCount ?? 0) + 1,
      requests: (prev?.requests ?? 0) + requests,
    });
    if (firstBucket === null || start < firstBucket) firstBucket = start;
  }
  const horizon = now - state.retainMs;
  const buckets = [...byStart.values()]
    .filter((b) => b.start + state.bucketMs > horizon)
    .sort((a, b) => a.start - b.start);
  return { ...state, firstBucket, buckets };
}

/**
 * Average over the window (now - windowMs, now]. Concurrency is the mean of the buckets that hold samples, so a
 * driver sampling every 2 s into 1 s buckets is not read as half the load. Requests per second divide by the
 * window span, which never reaches back before the first sample ever seen (as Knative's timed buckets do), so a
 * service that started 5 s ago is not judged as if it had been idle for the other 55 s of a 60 s window.
 */
export function windowAverage(state: MetricWindowState, windowMs: number, now: number): WindowAverage {
  const { bucketMs } = state;
  const lastStart = Math.floor(now / bucketMs) * bucketMs;
  const nBuckets = Math.max(1, Math.round(windowMs / bucketMs));
  let firstStart = lastStart - (nBuckets - 1) * bucketMs;
  if (state.firstBucket !== null && state.firstBucket > firstStart) firstStart = state.firstBucket;
  let concurrency = 0;
  let requests = 0;
  let withData = 0;
  for (const b of state.buckets) {
    if (b.start < firstStart || b.start > lastStart) continue;
    withData++;
    concurrency += b.concurrencySum / b.sampleCount;
    requests += b.requests;
  }
  const spanBuckets = Math.max(1, Math.floor((lastStart - firstStart) / bucketMs) + 1);
  return {
    concurrency: withData > 0 ? concurrency / withData : 0,
    rps: requests / ((spanBuckets * bucketMs) / 1000),
    hasData: withData > 0,
  };
}

/** Cumulative load counters as the gateway exposes them (`Gateway.stats`). */
export interface LoadCounters {
  /** When the counters were read, same clock as `LoadSample.t`. */
  at: number;
  /** Requests accepted so far. */
  requests: number;
  /** Integral of in-flight requests over time, in request·milliseconds. */
  concurrencyIntegralMs: number;
}

/** Turns two successive counter reads into one sample: average concurrency and arrivals between them. */
export function sampleFromCounters(prev: LoadCounters, cur: LoadCounters): LoadSample {
  const dt = cur.at - prev.at;
  const concurrency = dt > 0 ? Math.max(0, cur.concurrencyIntegralMs - prev.concurrencyIntegralMs) / dt : 0;
  return { t: cur.at, concurrency, requests: Math.max(0, cur.requests - prev.requests) };
}
