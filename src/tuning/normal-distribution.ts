/** Pure: the normal distribution's pieces the model-based algorithms need (pdf, cdf, truncation to [0, 1], sampling). */

const SQRT2 = Math.SQRT2;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** The error function (Numerical Recipes' Chebyshev fit of erfc: fractional error below 1.2e-7 everywhere). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}

/** Standard normal cumulative distribution. */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / SQRT2));
}

/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LOG_SQRT_2PI);
}

/** log of the density at x of N(mu, sigma) truncated to [0, 1]. */
export function truncatedNormalLogPdf(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  const mass = normalCdf((1 - mu) / sigma) - normalCdf(-mu / sigma);
  return -0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma) - Math.log(Math.max(mass, 1e-300));
}

/** A standard normal draw (Box-Muller) from a uniform source. */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A draw from N(mu, sigma) truncated to [0, 1] (rejection, then clamping after many misses). */
export function truncatedNormalSample(rng: () => number, mu: number, sigma: number): number {
  for (let i = 0; i < 64; i++) {
    const x = mu + sigma * gaussian(rng);
    if (x >= 0 && x <= 1) return x;
  }
  return Math.min(1, Math.max(0, mu));
}

/** log(Σ exp(xs)) without overflow. */
export function logSumExp(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const x of xs) s += Math.exp(x - m);
  return m + Math.log(s);
}
