/**
 * Per model version statistics in the shape of Triton's statistics extension
 * (`GET /v2/models/{m}/stats`, gRPC ModelStatistics): counts and cumulative nanoseconds of
 * successes, failures, queueing and compute, per batch size, plus Capstan's admission counters.
 */

/** A count with its cumulative duration. */
export interface StatDuration { count: number; ns: number }

/** Triton's ModelStatistics (JSON form; int64 as numbers). */
export interface ModelStatistics {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: { success: StatDuration; fail: StatDuration; queue: StatDuration; compute_input: StatDuration; compute_infer: StatDuration; compute_output: StatDuration; cache_hit: StatDuration; cache_miss: StatDuration };
  batch_stats: Array<{ batch_size: number; compute_input: StatDuration; compute_infer: StatDuration; compute_output: StatDuration }>;
  /** Memory held by the version (Triton's MemoryUsage; byte_size estimated at load). */
  memory_usage?: Array<{ type: string; id: number; byte_size: number }>;
  /** Capstan: requests refused at once (expected wait over budget, or queue bound) and timed out in the queue. */
  rejected: { expected_wait: number; queue_full: number; timeout: number };
}

const ms2ns = (ms: number): number => Math.round(ms * 1e6);
const zero = (): StatDuration => ({ count: 0, ns: 0 });

/** Mutable counters behind ModelStatistics. */
export class ModelStatsCounter {
  lastInference = 0;
  inferenceCount = 0;
  executionCount = 0;
  readonly success = zero();
  readonly fail = zero();
  readonly queue = zero();
  readonly computeInfer = zero();
  readonly batches = new Map<number, StatDuration>();
  readonly rejected = { expected_wait: 0, queue_full: 0, timeout: 0 };

  /** A request answered (ok or not) after `ms`, at wall time `nowEpochMs`. */
  request(ok: boolean, ms: number, nowEpochMs: number): void {
    const d = ok ? this.success : this.fail;
    d.count++;
    d.ns += ms2ns(ms);
    this.lastInference = nowEpochMs;
  }

  /** A batch of `rows` rows (`requests` requests) computed in `ms`. */
  batch(rows: number, requests: number, ms: number): void {
    this.executionCount++;
    this.inferenceCount += rows;
    this.computeInfer.count += requests;
    this.computeInfer.ns += ms2ns(ms) * requests;
    let b = this.batches.get(rows);
    if (!b) this.batches.set(rows, (b = zero()));
    b.count++;
    b.ns += ms2ns(ms);
  }

  /** A request that waited `ms` in the queue before its batch started. */
  queued(ms: number): void {
    this.queue.count++;
    this.queue.ns += ms2ns(ms);
  }

  /** Snapshot in Triton's shape. */
  snapshot(name: string, version: string): ModelStatistics {
    return {
      name, version,
      last_inference: this.lastInference,
      inference_count: this.inferenceCount,
      execution_count: this.executionCount,
      inference_stats: {
        success: { ...this.success }, fail: { ...this.fail }, queue: { ...this.queue },
        compute_input: zero(), compute_infer: { ...this.computeInfer }, compute_output: zero(), cache_hit: zero(), cache_miss: zero(),
      },
      batch_stats: [...this.batches.entries()].sort((a, b) => a[0] - b[0]).map(([batch_size, d]) => ({
        batch_size, compute_input: zero(), compute_infer: { ...d }, compute_output: zero(),
      })),
      rejected: { ...this.rejected },
    };
  }
}
