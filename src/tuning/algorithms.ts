/** Pure: the search algorithms by Katib's names, and the check of an algorithm's settings before any trial runs. */
import { bayesianOptimization, boSettings } from './bayesian-optimization.js';
import { gridProblem, gridSearch } from './grid-search.js';
import { randomSearch } from './random-search.js';
import type { ParameterSpec } from './search-space.js';
import type { SearchAlgorithm } from './suggestion.js';
import { tpeSearch, tpeSettings } from './tpe.js';

/** Algorithm names accepted (Katib's; `bayesianoptimization` is the GP one). */
export const ALGORITHM_NAMES = ['random', 'grid', 'tpe', 'bayesianoptimization'] as const;
/** An algorithm name. */
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

/** Early-stopping algorithms accepted. */
export const EARLY_STOPPING_NAMES = ['medianstop'] as const;

/** The algorithm of a name. */
export const ALGORITHMS: Record<AlgorithmName, SearchAlgorithm> = {
  random: randomSearch,
  grid: gridSearch,
  tpe: tpeSearch,
  bayesianoptimization: bayesianOptimization,
};

// Settings every algorithm accepts: Katib's random_state is how a seed is given.
const COMMON = ['random_state'];
const KNOWN_SETTINGS: Record<AlgorithmName, string[]> = {
  random: COMMON,
  grid: COMMON,
  tpe: [...COMMON, 'n_startup_trials', 'n_ei_candidates', 'gamma', 'prior_weight'],
  bayesianoptimization: [...COMMON, 'n_initial_points', 'n_candidates', 'acq_func', 'kappa', 'xi', 'base_estimator'],
};

/** Problems with an algorithm's settings and space, as [setting or field, message]. */
export function algorithmProblems(name: AlgorithmName, settings: Readonly<Record<string, string>>, space: readonly ParameterSpec[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const k of Object.keys(settings)) if (!KNOWN_SETTINGS[name].includes(k)) out.push([k, `unknown setting for ${name}: use ${KNOWN_SETTINGS[name].join(', ')}`]);
  const rs = settings.random_state;
  if (rs !== undefined && !/^\d{1,10}$/.test(rs)) out.push(['random_state', 'must be a non-negative whole number']);
  if (settings.base_estimator !== undefined && settings.base_estimator !== 'GP') out.push(['base_estimator', 'only GP']);
  const check = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      const m = /^algorithm setting (\w+): (.*)$/.exec((err as Error).message);
      out.push(m ? [m[1]!, m[2]!] : ['', (err as Error).message]);
    }
  };
  if (name === 'tpe') check(() => tpeSettings(settings));
  if (name === 'bayesianoptimization') check(() => boSettings(settings));
  if (name === 'grid') {
    const p = gridProblem(space);
    if (p) out.push(['', p]);
  }
  return out;
}
