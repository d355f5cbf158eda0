/** Pure: random search. Trial i's values come from its own seeded stream, independent of the results so far. */
import { seededRandom } from '../random/seeded-random.js';
import { decodePoint } from './search-space.js';
import { mixSeed, type SuggestRequest, type SuggestResult } from './suggestion.js';

/** A uniform point of the unit hypercube for trial `index`. */
export function randomPoint(dims: number, seed: number, index: number): number[] {
  const rng = seededRandom(mixSeed(seed, index));
  return Array.from({ length: dims }, () => rng());
}

/** Random search: uniform in each parameter (log-uniform where the parameter says so). */
export function randomSearch(req: SuggestRequest): SuggestResult {
  const start = req.history.length;
  const assignments = Array.from({ length: req.count }, (_, j) => decodePoint(req.space, randomPoint(req.space.length, req.seed, start + j)));
  return { assignments, exhausted: false };
}
