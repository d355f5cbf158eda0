/**
 * Pure: Gaussian-process regression on the unit hypercube with a Matérn 5/2 kernel and one
 * length scale per coordinate (ARD), unit signal variance over standardized targets, and a
 * small noise term. Hyperparameters are chosen by log marginal likelihood over a fixed grid
 * (isotropic first, then one pass per coordinate): deterministic and cheap, no gradient code.
 */

/** A fitted GP. */
export interface GaussianProcess {
  xs: readonly (readonly number[])[];
  lengthScales: number[];
  noise: number;
  /** Lower Cholesky factor of K + noise·I, row-major n×n. */
  chol: Float64Array;
  /** (K + noise·I)⁻¹ y. */
  alpha: Float64Array;
  logLikelihood: number;
}

const LENGTH_GRID = [0.05, 0.1, 0.2, 0.35, 0.6, 1, 2];
const NOISE_GRID = [1e-6, 1e-3, 3e-2];
const SQRT5 = Math.sqrt(5);

/** Matérn 5/2 covariance between two points. */
export function matern52(a: readonly number[], b: readonly number[], lengthScales: readonly number[]): number {
  let r2 = 0;
  for (let j = 0; j < a.length; j++) {
    const d = (a[j]! - b[j]!) / lengthScales[j]!;
    r2 += d * d;
  }
  const r = Math.sqrt(r2);
  return (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

/** In-place Cholesky of a symmetric positive-definite n×n matrix; false when it is not. */
function cholesky(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= a[j * n + k]! * a[j * n + k]!;
    if (!(s > 0)) return false;
    const d = Math.sqrt(s);
    a[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j]!;
      for (let k = 0; k < j; k++) t -= a[i * n + k]! * a[j * n + k]!;
      a[i * n + j] = t / d;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
  return true;
}

/** Solves L z = b (L lower triangular). */
function forward(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  return z;
}

/** Solves Lᵀ z = b. */
function backward(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const z = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * z[k]!;
    z[i] = s / l[i * n + i]!;
  }
  return z;
}

/** Fits the GP for given hyperparameters; undefined when the kernel matrix is not positive definite. */
export function fitGp(xs: readonly (readonly number[])[], ys: readonly number[], lengthScales: number[], noise: number): GaussianProcess | undefined {
  const n = xs.length;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = matern52(xs[i]!, xs[j]!, lengthScales);
      k[i * n + j] = v;
      k[j * n + i] = v;
    }
    k[i * n + i]! += noise + 1e-9;
  }
  if (!cholesky(k, n)) return undefined;
  const alpha = backward(k, n, forward(k, n, ys));
  let fit = 0;
  for (let i = 0; i < n; i++) fit += ys[i]! * alpha[i]!;
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += Math.log(k[i * n + i]!);
  return { xs, lengthScales, noise, chol: k, alpha, logLikelihood: -0.5 * fit - logDet - 0.5 * n * Math.log(2 * Math.PI) };
}

/** Chooses length scales and noise by marginal likelihood over the grid (on `fitXs`, a subset when the history is long). */
export function selectHyperparameters(xs: readonly (readonly number[])[], ys: readonly number[]): { lengthScales: number[]; noise: number } {
  const d = xs[0]?.length ?? 0;
  let best: { lengthScales: number[]; noise: number; ll: number } = { lengthScales: new Array(d).fill(0.25), noise: 1e-3, ll: -Infinity };
  for (const l of LENGTH_GRID) {
    for (const noise of NOISE_GRID) {
      const gp = fitGp(xs, ys, new Array(d).fill(l), noise);
      if (gp && gp.logLikelihood > best.ll) best = { lengthScales: gp.lengthScales, noise, ll: gp.logLikelihood };
    }
  }
  if (d > 1) {
    for (let j = 0; j < d; j++) {
      for (const l of LENGTH_GRID) {
        if (l === best.lengthScales[j]) continue;
        const ls = [...best.lengthScales];
        ls[j] = l;
        const gp = fitGp(xs, ys, ls, best.noise);
        if (gp && gp.logLikelihood > best.ll) best = { lengthScales: ls, noise: best.noise, ll: gp.logLikelihood };
      }
    }
  }
  return { lengthScales: best.lengthScales, noise: best.noise };
}

/** Posterior mean and standard deviation at x. */
export function predictGp(gp: GaussianProcess, x: readonly number[]): { mean: number; sd: number } {
  const n = gp.xs.length;
  const ks = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    ks[i] = matern52(x, gp.xs[i]!, gp.lengthScales);
    mean += ks[i]! * gp.alpha[i]!;
  }
  const v = forward(gp.chol, n, ks);
  let vv = 0;
  for (let i = 0; i < n; i++) vv += v[i]! * v[i]!;
  return { mean, sd: Math.sqrt(Math.max(1 - vv, 1e-12)) };
}
