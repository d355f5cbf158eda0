/**
 * Pure: grid search. Enumerates every combination of the parameters' values in order (the first
 * parameter slowest), skipping combinations already tried; exhausted when none is left. Like
 * Katib, a double needs a step; an int steps by 1 unless told.
 */
import { assignmentKey, finiteValues, type Assignment, type ParameterSpec } from './search-space.js';
import type { SuggestRequest, SuggestResult } from './suggestion.js';

/** Why a space cannot be enumerated, or undefined. */
export function gridProblem(space: readonly ParameterSpec[]): string | undefined {
  const bad = space.find((p) => finiteValues(p) === undefined);
  return bad ? `grid search needs finite values: give parameter ${bad.name} a feasibleSpace.step (and no log scale)` : undefined;
}

/** How many combinations the grid holds. */
export function gridSize(space: readonly ParameterSpec[]): number {
  return space.reduce((n, p) => n * (finiteValues(p)?.length ?? Infinity), 1);
}

/** Combination number `k` of the grid. */
export function gridPoint(space: readonly ParameterSpec[], values: readonly string[][], k: number): Assignment {
  const out: Assignment = {};
  let rest = k;
  for (let i = space.length - 1; i >= 0; i--) {
    const n = values[i]!.length;
    out[space[i]!.name] = values[i]![rest % n]!;
    rest = Math.floor(rest / n);
  }
  return out;
}

/** Grid search. */
export function gridSearch(req: SuggestRequest): SuggestResult {
  const problem = gridProblem(req.space);
  if (problem) throw new Error(problem);
  const values = req.space.map((p) => finiteValues(p)!);
  const total = gridSize(req.space);
  const seen = new Set(req.history.map((o) => assignmentKey(req.space, o.assignment)));
  const assignments: Assignment[] = [];
  let k = 0;
  for (; k < total && assignments.length < req.count; k++) {
    const a = gridPoint(req.space, values, k);
    const key = assignmentKey(req.space, a);
    if (seen.has(key)) continue;
    seen.add(key);
    assignments.push(a);
  }
  // Exhausted once every remaining combination has been handed out.
  let left = false;
  for (; k < total && !left; k++) left = !seen.has(assignmentKey(req.space, gridPoint(req.space, values, k)));
  return { assignments, exhausted: !left };
}
