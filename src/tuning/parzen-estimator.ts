/**
 * Pure: the multivariate Parzen estimator TPE builds twice (over the good and the bad trials), as
 * in Optuna's multivariate TPE: one product kernel per observation plus a prior component; a
 * truncated normal per continuous or ordinal coordinate (bandwidth by Scott's rule, clipped),
 * and for a categorical coordinate the observed category with prior smoothing.
 */
import { normalCdf, truncatedNormalSample } from './normal-distribution.js';
import type { DimensionKind } from './search-space.js';

/** One coordinate's modelling facts. */
export interface Dimension {
  kind: DimensionKind;
  /** Number of values of an ordinal or categorical coordinate. */
  choices: number;
}

/** A mixture of product kernels over the unit hypercube. */
export interface ParzenEstimator {
  dims: readonly Dimension[];
  /** Component centres (the prior component last, at 0.5 in every coordinate). */
  mus: number[][];
  /** Bandwidth per component and coordinate. */
  sigmas: number[][];
  /** log weight per component (normalized). */
  logWeights: number[];
  /** Category probabilities per component for categorical coordinates (index by coordinate). */
  catProbs: Array<Array<number[] | undefined>>;
  /** Per component and coordinate: the truncated normal's log normalizer (-log(sigma·sqrt(2π)·mass)), computed once. */
  logNorms: number[][];
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

const PRIOR_SIGMA = 1;
const SIGMA0 = 0.2;

/** Builds the estimator from observed points (unit coordinates). */
export function buildParzenEstimator(points: readonly (readonly number[])[], dims: readonly Dimension[], priorWeight: number): ParzenEstimator {
  const n = points.length;
  const d = dims.length;
  const bandwidth = SIGMA0 * Math.pow(Math.max(n, 1), -1 / (d + 4));
  const minSigma = 1 / Math.min(100, 1 + n);
  const mus: number[][] = [];
  const sigmas: number[][] = [];
  const catProbs: Array<Array<number[] | undefined>> = [];
  for (const p of points) {
    mus.push([...p]);
    sigmas.push(dims.map((dim) => Math.min(1, Math.max(dim.kind === 'ordinal' ? Math.max(minSigma, 0.5 / dim.choices) : minSigma, bandwidth))));
    catProbs.push(
      dims.map((dim, j) => {
        if (dim.kind !== 'categorical') return undefined;
        const k = Math.min(dim.choices - 1, Math.floor(p[j]! * dim.choices));
        const probs = new Array<number>(dim.choices).fill(priorWeight / dim.choices);
        probs[k]! += 1;
        const total = 1 + priorWeight;
        return probs.map((x) => x / total);
      }),
    );
  }
  mus.push(dims.map(() => 0.5));
  sigmas.push(dims.map(() => PRIOR_SIGMA));
  catProbs.push(dims.map((dim) => (dim.kind === 'categorical' ? new Array<number>(dim.choices).fill(1 / dim.choices) : undefined)));
  const weights = [...points.map(() => 1), priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  const logNorms = mus.map((mu, c) => mu.map((m, j) => {
    const sg = sigmas[c]![j]!;
    const mass = normalCdf((1 - m) / sg) - normalCdf(-m / sg);
    return -LOG_SQRT_2PI - Math.log(sg) - Math.log(Math.max(mass, 1e-300));
  }));
  return { dims, mus, sigmas, logWeights: weights.map((w) => Math.log(w / total)), catProbs, logNorms };
}

/** Draws a point: a component by weight, then each coordinate from that component's kernel. */
export function sampleParzen(pe: ParzenEstimator, rng: () => number): number[] {
  let r = rng();
  let c = pe.logWeights.length - 1;
  for (let i = 0; i < pe.logWeights.length; i++) {
    r -= Math.exp(pe.logWeights[i]!);
    if (r <= 0) {
      c = i;
      break;
    }
  }
  return pe.dims.map((dim, j) => {
    if (dim.kind === 'categorical') {
      const probs = pe.catProbs[c]![j]!;
      let q = rng();
      for (let k = 0; k < probs.length; k++) {
        q -= probs[k]!;
        if (q <= 0) return (k + 0.5) / dim.choices;
      }
      return (probs.length - 0.5) / dim.choices;
    }
    return truncatedNormalSample(rng, pe.mus[c]![j]!, pe.sigmas[c]![j]!);
  });
}

/** log density of the mixture at x. Ordinal coordinates are scored at their cell's centre, the same point for every value in the cell. */
export function parzenLogPdf(pe: ParzenEstimator, x: readonly number[]): number {
  const d = pe.dims.length;
  const v = new Float64Array(d);
  const cat = new Int32Array(d);
  for (let j = 0; j < d; j++) {
    const dim = pe.dims[j]!;
    const k = Math.min(dim.choices - 1, Math.floor(x[j]! * dim.choices));
    cat[j] = k;
    v[j] = dim.kind === 'ordinal' ? (k + 0.5) / dim.choices : x[j]!;
  }
  // log-sum-exp over components, streaming (no array per call: g may hold a thousand components).
  let m = -Infinity;
  let sum = 0;
  for (let c = 0; c < pe.logWeights.length; c++) {
    let s = pe.logWeights[c]!;
    const mu = pe.mus[c]!;
    const sg = pe.sigmas[c]!;
    const ln = pe.logNorms[c]!;
    for (let j = 0; j < d; j++) {
      if (pe.dims[j]!.kind === 'categorical') s += Math.log(pe.catProbs[c]![j]![cat[j]!]!);
      else {
        const z = (v[j]! - mu[j]!) / sg[j]!;
        s += ln[j]! - 0.5 * z * z;
      }
    }
    if (s > m) {
      sum = sum * Math.exp(m - s) + 1;
      m = s;
    } else sum += Math.exp(s - m);
  }
  return m === -Infinity ? -Infinity : m + Math.log(sum);
}
