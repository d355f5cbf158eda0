/**
 * How long a batch takes to compute, as a line in the batch's rows: t(rows) = fixedMs + perRowMs * rows.
 * Fitted from the load-time calibration, then kept current from measured batches (exponential
 * averaging), so admission and the default queue budget follow the machine as it is now. Pure.
 */

/** The compute-time model of one model version. */
export interface ComputeProfile {
  /** Time of a batch apart from its rows (dispatch, kernel launches, fixed layers). */
  fixedMs: number;
  /** Added time per row. */
  perRowMs: number;
}

/** One measured batch. */
export interface ComputeSample {
  rows: number;
  ms: number;
}

/** Least-squares line through the samples (a flat line when all have the same size); never negative. */
export function fitComputeProfile(samples: readonly ComputeSample[]): ComputeProfile {
  if (samples.length === 0) return { fixedMs: 0, perRowMs: 0 };
  let sx = 0; let sy = 0; let sxx = 0; let sxy = 0;
  for (const s of samples) { sx += s.rows; sy += s.ms; sxx += s.rows * s.rows; sxy += s.rows * s.ms; }
  const n = samples.length;
  const den = n * sxx - sx * sx;
  if (den === 0) {
    // One batch size only: charge it all per row (a safe over-estimate for larger batches).
    const rows = sx / n;
    return { fixedMs: 0, perRowMs: Math.max(0, sy / n / Math.max(1, rows)) };
  }
  let perRowMs = (n * sxy - sx * sy) / den;
  let fixedMs = (sy - perRowMs * sx) / n;
  if (perRowMs < 0) { perRowMs = 0; fixedMs = sy / n; }
  if (fixedMs < 0) { fixedMs = 0; perRowMs = sxy / sxx; }
  return { fixedMs, perRowMs };
}

/** Estimated compute time of a batch of `rows`. */
export function estimateComputeMs(p: ComputeProfile, rows: number): number {
  return p.fixedMs + p.perRowMs * rows;
}

/**
 * Moves the profile towards a measured batch: the estimate for that batch size is corrected by
 * `alpha` of the error, split between the fixed and per-row parts by their share of the estimate.
 */
export function updateComputeProfile(p: ComputeProfile, sample: ComputeSample, alpha = 0.05): ComputeProfile {
  const est = estimateComputeMs(p, sample.rows);
  if (!(sample.ms >= 0) || !Number.isFinite(sample.ms)) return p;
  if (est <= 0) return { fixedMs: 0, perRowMs: sample.ms / Math.max(1, sample.rows) };
  const scale = 1 + alpha * (sample.ms / est - 1);
  return { fixedMs: p.fixedMs * scale, perRowMs: p.perRowMs * scale };
}
