/**
 * Pure: the tree-structured Parzen estimator (Bergstra et al. 2011), multivariate as in Optuna.
 * After `n_startup_trials` random trials, the finished trials are split into the best
 * `gamma` fraction (at most 25) and the rest; a Parzen estimator is fitted to each, and of
 * `n_ei_candidates` points drawn from the good one the one maximizing l(x)/g(x) is suggested.
 * Running trials join the bad group (Optuna's constant liar) so parallel suggestions spread out.
 */
import { seededRandom } from '../random/seeded-random.js';
import { buildParzenEstimator, parzenLogPdf, sampleParzen, type Dimension } from './parzen-estimator.js';
import { randomPoint } from './random-search.js';
import { decodePoint, dimensionKind, encodePoint, finiteValues, type Assignment, type ParameterSpec } from './search-space.js';
import { lossOf, mixSeed, numberSetting, type SuggestRequest, type SuggestResult } from './suggestion.js';

/** The coordinates' modelling facts of a space. */
export function dimensionsOf(space: readonly ParameterSpec[]): Dimension[] {
  return space.map((p) => ({ kind: dimensionKind(p), choices: finiteValues(p)?.length ?? 0 }));
}

/** TPE's settings (Katib/hyperopt names), with defaults. */
export interface TpeSettings {
  nStartupTrials: number;
  nEiCandidates: number;
  gamma: number;
  priorWeight: number;
}

/** Reads TPE's settings: n_startup_trials (10), n_ei_candidates (24), gamma (0.1), prior_weight (1). */
export function tpeSettings(s: Readonly<Record<string, string>> | undefined): TpeSettings {
  return {
    nStartupTrials: numberSetting(s, 'n_startup_trials', 10, (n) => Number.isInteger(n) && n >= 1),
    nEiCandidates: numberSetting(s, 'n_ei_candidates', 24, (n) => Number.isInteger(n) && n >= 1 && n <= 10_000),
    gamma: numberSetting(s, 'gamma', 0.1, (n) => n > 0 && n < 1),
    priorWeight: numberSetting(s, 'prior_weight', 1, (n) => n > 0),
  };
}

/** TPE. */
export function tpeSearch(req: SuggestRequest): SuggestResult {
  const cfg = tpeSettings(req.settings);
  const dims = dimensionsOf(req.space);
  const done: Array<{ x: number[]; loss: number }> = [];
  const pending: number[][] = [];
  for (const o of req.history) {
    const x = encodePoint(req.space, o.assignment);
    if (!x) continue;
    if (o.state === 'completed' && o.value !== undefined && Number.isFinite(o.value)) done.push({ x, loss: lossOf(req.goal, o.value) });
    else if (o.state === 'pending') pending.push(x);
  }
  const assignments: Assignment[] = [];
  for (let j = 0; j < req.count; j++) {
    const index = req.history.length + j;
    const point = done.length < cfg.nStartupTrials ? randomPoint(dims.length, req.seed, index) : suggestOne(done, pending, dims, cfg, seededRandom(mixSeed(req.seed, index)));
    assignments.push(decodePoint(req.space, point));
    pending.push(point);
  }
  return { assignments, exhausted: false };
}

function suggestOne(done: ReadonlyArray<{ x: number[]; loss: number }>, pending: readonly number[][], dims: Dimension[], cfg: TpeSettings, rng: () => number): number[] {
  // Stable order: ties in loss keep creation order, so the split is deterministic.
  const order = done.map((_, i) => i).sort((a, b) => done[a]!.loss - done[b]!.loss || a - b);
  const nBelow = Math.min(Math.max(1, Math.ceil(cfg.gamma * done.length)), 25);
  const below = order.slice(0, nBelow).map((i) => done[i]!.x);
  const above = [...order.slice(nBelow).map((i) => done[i]!.x), ...pending];
  const l = buildParzenEstimator(below, dims, cfg.priorWeight);
  const g = buildParzenEstimator(above, dims, cfg.priorWeight);
  let best: number[] | undefined;
  let bestScore = -Infinity;
  for (let i = 0; i < cfg.nEiCandidates; i++) {
    const x = sampleParzen(l, rng);
    const score = parzenLogPdf(l, x) - parzenLogPdf(g, x);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return best ?? sampleParzen(l, rng);
}
