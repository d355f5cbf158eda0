/**
 * Pure: Bayesian optimization with a Gaussian process (Katib's `bayesianoptimization`). After
 * `n_initial_points` random trials, a GP is fitted to the finished trials (standardized losses;
 * running trials enter as pessimistic "constant liars" so parallel suggestions spread out), and
 * the point maximizing expected improvement (or the lower confidence bound with
 * `acq_func: lcb`) over random candidates and local perturbations of the best trials is suggested.
 * Long histories keep the best third and the most recent rest, so a suggestion stays cheap.
 */
import { seededRandom } from '../random/seeded-random.js';
import { fitGp, predictGp, selectHyperparameters, type GaussianProcess } from './gaussian-process.js';
import { gaussian, normalCdf, normalPdf } from './normal-distribution.js';
import { randomPoint } from './random-search.js';
import { decodePoint, encodePoint, type Assignment } from './search-space.js';
import { lossOf, mixSeed, numberSetting, type SuggestRequest, type SuggestResult } from './suggestion.js';

const MAX_POINTS = 96;
const MAX_FIT_POINTS = 48;

/** Bayesian optimization's settings: n_initial_points (10), n_candidates (256), acq_func (ei|lcb), kappa (1.96), xi (0.01). */
export function boSettings(s: Readonly<Record<string, string>> | undefined): { nInitial: number; nCandidates: number; acq: 'ei' | 'lcb'; kappa: number; xi: number } {
  const acq = (s?.acq_func ?? 'ei').toLowerCase();
  if (acq !== 'ei' && acq !== 'lcb' && acq !== 'gp_hedge') throw new Error(`algorithm setting acq_func: ${JSON.stringify(s?.acq_func)} is not valid (ei or lcb)`);
  return {
    nInitial: numberSetting(s, 'n_initial_points', 10, (n) => Number.isInteger(n) && n >= 1),
    nCandidates: numberSetting(s, 'n_candidates', 256, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000),
    acq: acq === 'lcb' ? 'lcb' : 'ei',
    kappa: numberSetting(s, 'kappa', 1.96, (n) => n >= 0),
    xi: numberSetting(s, 'xi', 0.01, (n) => n >= 0),
  };
}

/** Keeps at most `max` points: the best third, then the most recent. */
function window<T extends { loss: number }>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const nBest = Math.floor(max / 3);
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.loss - points[b]!.loss || a - b);
  const keep = new Set(order.slice(0, nBest));
  for (let i = points.length - 1; i >= 0 && keep.size < max; i--) keep.add(i);
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}

/** Bayesian optimization. */
export function bayesianOptimization(req: SuggestRequest): SuggestResult {
  const cfg = boSettings(req.settings);
  const d = req.space.length;
  const done: Array<{ x: number[]; loss: number }> = [];
  const pending: number[][] = [];
  for (const o of req.history) {
    const x = encodePoint(req.space, o.assignment);
    if (!x) continue;
    if (o.state === 'completed' && o.value !== undefined && Number.isFinite(o.value)) done.push({ x, loss: lossOf(req.goal, o.value) });
    else if (o.state === 'pending') pending.push(x);
  }
  const assignments: Assignment[] = [];
  let hyper: { lengthScales: number[]; noise: number } | undefined;
  for (let j = 0; j < req.count; j++) {
    const index = req.history.length + j;
    if (done.length < cfg.nInitial) {
      const p = randomPoint(d, req.seed, index);
      assignments.push(decodePoint(req.space, p));
      pending.push(p);
      continue;
    }
    const kept = window(done, MAX_POINTS - Math.min(pending.length, MAX_POINTS / 2));
    const losses = kept.map((p) => p.loss);
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    const sd = Math.sqrt(losses.reduce((a, b) => a + (b - mean) ** 2, 0) / losses.length) || 1;
    const xs = [...kept.map((p) => p.x), ...pending.slice(-MAX_POINTS / 2)];
    const worst = Math.max(...losses.map((l) => (l - mean) / sd));
    const ys = [...losses.map((l) => (l - mean) / sd), ...pending.slice(-MAX_POINTS / 2).map(() => worst)];
    hyper ??= selectHyperparameters(window(kept, MAX_FIT_POINTS).map((p) => p.x), window(kept, MAX_FIT_POINTS).map((p) => (p.loss - mean) / sd));
    const gp = fitGp(xs, ys, hyper.lengthScales, hyper.noise) ?? fitGp(xs, ys, hyper.lengthScales, Math.max(hyper.noise, 1e-2));
    const rng = seededRandom(mixSeed(req.seed, index));
    const incumbents = [...kept].sort((a, b) => a.loss - b.loss).slice(0, 5).map((p) => p.x);
    const point = gp ? maximizeAcquisition(gp, incumbents, Math.min(...ys.slice(0, kept.length)), cfg, d, rng) : randomPoint(d, req.seed, index);
    assignments.push(decodePoint(req.space, point));
    pending.push(point);
  }
  return { assignments, exhausted: false };
}

function acquisition(gp: GaussianProcess, x: number[], best: number, cfg: { acq: 'ei' | 'lcb'; kappa: number; xi: number }): number {
  const { mean, sd } = predictGp(gp, x);
  if (cfg.acq === 'lcb') return -(mean - cfg.kappa * sd);
  const z = (best - mean - cfg.xi) / sd;
  return (best - mean - cfg.xi) * normalCdf(z) + sd * normalPdf(z);
}

function perturb(x: readonly number[], scale: number, rng: () => number): number[] {
  return x.map((v) => Math.min(1, Math.max(0, v + scale * gaussian(rng))));
}

function maximizeAcquisition(gp: GaussianProcess, incumbents: number[][], best: number, cfg: { nCandidates: number; acq: 'ei' | 'lcb'; kappa: number; xi: number }, d: number, rng: () => number): number[] {
  let bestX: number[] = incumbents[0] ?? new Array(d).fill(0.5);
  let bestA = -Infinity;
  const consider = (x: number[]) => {
    const a = acquisition(gp, x, best, cfg);
    if (a > bestA) {
      bestA = a;
      bestX = x;
    }
  };
  for (let i = 0; i < cfg.nCandidates; i++) consider(Array.from({ length: d }, () => rng()));
  for (const inc of incumbents) for (let i = 0; i < 20; i++) consider(perturb(inc, 0.05, rng));
  // Local refinement around the best candidate, shrinking the step.
  for (const scale of [0.03, 0.01, 0.003]) {
    const centre = bestX;
    for (let i = 0; i < 16; i++) consider(perturb(centre, scale, rng));
  }
  return bestX;
}
