/**
 * Pure: what every search algorithm takes and returns. A call is deterministic: the same space,
 * history, seed and settings give the same suggestions, so a restarted controller asking again
 * for the same trial index gets the same answer.
 */
import type { Assignment, ParameterSpec } from './search-space.js';

/** A trial the algorithm has seen: its values and, once finished, its objective value. */
export interface Observation {
  assignment: Assignment;
  /** Running trials are pending; finished ones without a value (failed, no metric) carry none. */
  state: 'pending' | 'completed' | 'failed';
  value?: number;
}

/** One request for suggestions. */
export interface SuggestRequest {
  space: readonly ParameterSpec[];
  /** Every trial so far, in creation order. */
  history: readonly Observation[];
  /** How many new trials are wanted. */
  count: number;
  seed: number;
  goal: 'minimize' | 'maximize';
  /** The algorithm's settings by name (Katib's algorithmSettings), as text. */
  settings?: Readonly<Record<string, string>>;
}

/** The answer: up to `count` assignments; `exhausted` when the algorithm has nothing more to offer. */
export interface SuggestResult {
  assignments: Assignment[];
  exhausted: boolean;
}

/** A search algorithm. */
export type SearchAlgorithm = (req: SuggestRequest) => SuggestResult;

/** A 32-bit seed from a base seed and an index (splitmix-style), so trial i's randomness never depends on trial j's. */
export function mixSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 0x632be5ab, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 32-bit seed from text (FNV-1a), e.g. an experiment's namespace/name. */
export function seedFromText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/** Completed observations as (point, loss) pairs: the objective turned into a value to minimize. */
export function lossOf(goal: 'minimize' | 'maximize', value: number): number {
  return goal === 'maximize' ? -value : value;
}

/** A numeric setting, or the default when absent; throws a message naming the setting when malformed. */
export function numberSetting(settings: Readonly<Record<string, string>> | undefined, name: string, dflt: number, check: (n: number) => boolean = Number.isFinite): number {
  const raw = settings?.[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new Error(`algorithm setting ${name}: ${JSON.stringify(raw)} is not valid`);
  return n;
}
