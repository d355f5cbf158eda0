/**
 * The load-time calibration: times session.run on zero-filled inputs at batch 1 and at the largest
 * batch (a few runs each, bounded by a time cap) and fits the compute profile from them. It feeds
 * the thread choice (thread-choice.ts), the default queue budget and admission (admission.ts).
 * A model that cannot run on synthetic inputs (data-dependent shapes, string parsing) is simply not
 * calibrated: its profile is then learned from live batches.
 */
import { fitComputeProfile, type ComputeProfile } from './compute-profile.js';
import type { TensorMetadata } from './infer-types.js';
import type { ModelSession, WireTensor } from './ort-session.js';
import { DATATYPES, elementCount } from './tensor-datatypes.js';

/** Calibration result. */
export interface Calibration {
  profile: ComputeProfile;
  /** Median ms per batch size measured (the compute profile: what batches cost on this machine now). */
  medians: Array<{ rows: number; ms: number }>;
  /** Fastest run per batch size: the model's own cost, robust to the process being descheduled on a busy machine. */
  minimums: Array<{ rows: number; ms: number }>;
  /** Rows/s at the largest batch, from its fastest run (thread choice compares these). */
  rowsPerSec: number;
}

/** Limits of one calibration. */
export interface CalibrationLimits {
  /** Timed runs per batch size (after one warm-up). */
  runs: number;
  /** Stop early once this much time has been spent on a batch size. */
  capMs: number;
}

/** Default: 7 runs per size, at most 150 ms per size. */
export const DEFAULT_CALIBRATION: CalibrationLimits = { runs: 7, capMs: 150 };

function syntheticFeeds(inputs: readonly TensorMetadata[], rows: number, batching: boolean): Record<string, WireTensor> {
  const feeds: Record<string, WireTensor> = {};
  for (const t of inputs) {
    const dims = t.shape.map((d, i) => (i === 0 && batching ? rows : d >= 0 ? d : 1));
    const n = elementCount(dims);
    const info = DATATYPES[t.datatype];
    const data = t.datatype === 'BYTES' ? new Array<string>(n).fill('') : new info.ctor!(n);
    feeds[t.name] = { type: info.ort, data: data as Float32Array, dims };
  }
  return feeds;
}

async function timeBatch(session: ModelSession, feeds: Record<string, WireTensor>, lim: CalibrationLimits, now: () => number): Promise<number[]> {
  await session.run(feeds);
  const times: number[] = [];
  const start = now();
  for (let i = 0; i < lim.runs; i++) {
    const t = now();
    await session.run(feeds);
    times.push(now() - t);
    if (now() - start > lim.capMs) break;
  }
  return times;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Calibrates a session: batch 1 and `maxBatchSize` (one size when the model does not batch).
 * Throws if the model cannot run on zero-filled inputs.
 */
export async function calibrateSession(
  session: ModelSession, inputs: readonly TensorMetadata[], maxBatchSize: number,
  lim: CalibrationLimits = DEFAULT_CALIBRATION, now: () => number = () => performance.now(),
): Promise<Calibration> {
  const sizes = maxBatchSize > 1 ? [1, maxBatchSize] : [1];
  const medians: Array<{ rows: number; ms: number }> = [];
  const minimums: Array<{ rows: number; ms: number }> = [];
  for (const rows of sizes) {
    const times = await timeBatch(session, syntheticFeeds(inputs, rows, maxBatchSize > 0), lim, now);
    medians.push({ rows, ms: median(times) });
    minimums.push({ rows, ms: Math.min(...times) });
  }
  const fastest = minimums[minimums.length - 1];
  return { profile: fitComputeProfile(medians), medians, minimums, rowsPerSec: fastest.ms > 0 ? (fastest.rows * 1000) / fastest.ms : Infinity };
}
