/**
 * Smooth weighted round-robin (as nginx does): deterministic, and spreads picks evenly in time, so a 10% canary
 * gets every tenth request rather than bursts. State lives in the caller's objects so it survives route updates.
 */

/** Anything that can be chosen: a weight and the running score the algorithm keeps on it. */
export interface WeightedItem {
  weight: number;
  currentWeight: number;
}

/** Picks one item with weight > 0 and updates the scores; null when no item has positive weight. */
export function pickSmoothWeighted<T extends WeightedItem>(items: readonly T[]): T | null {
  let total = 0;
  let best: T | null = null;
  for (const it of items) {
    if (!(it.weight > 0)) continue;
    it.currentWeight += it.weight;
    total += it.weight;
    if (best === null || it.currentWeight > best.currentWeight) best = it;
  }
  if (best !== null) best.currentWeight -= total;
  return best;
}
