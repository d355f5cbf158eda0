/**
 * Pure: the median stopping rule (Golovin et al. 2017, Google Vizier; Katib's `medianstop`).
 * A running trial is stopped at step s when its best objective value so far is strictly worse
 * than the median, over the completed trials, of their running averages of the objective up to
 * step s. It applies only once `min_trials_required` trials completed and the trial reported at
 * least `start_step` values. Steps are the order in which a trial reported its objective.
 */
import { numberSetting } from './suggestion.js';

/** The rule's settings (Katib names): min_trials_required (3), start_step (4). */
export interface MedianStopSettings {
  minTrialsRequired: number;
  startStep: number;
}

/** Reads the settings, rejecting malformed ones. */
export function medianStopSettings(s: Readonly<Record<string, string>> | undefined): MedianStopSettings {
  return {
    minTrialsRequired: numberSetting(s, 'min_trials_required', 3, (n) => Number.isInteger(n) && n >= 1),
    startStep: numberSetting(s, 'start_step', 4, (n) => Number.isInteger(n) && n >= 1),
  };
}

/** The decision for one trial, with the figures it rests on. */
export interface MedianStopDecision {
  stop: boolean;
  step: number;
  best?: number;
  median?: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Decides whether `current` (the running trial's objective values in report order) should stop,
 * given the completed trials' series.
 */
export function medianStop(goal: 'minimize' | 'maximize', completed: readonly (readonly number[])[], current: readonly number[], settings: MedianStopSettings): MedianStopDecision {
  const step = current.length;
  const usable = completed.filter((c) => c.length > 0);
  if (usable.length < settings.minTrialsRequired || step < settings.startStep) return { stop: false, step };
  const averages = usable.map((c) => {
    const upTo = c.slice(0, step);
    return upTo.reduce((a, b) => a + b, 0) / upTo.length;
  });
  const med = median(averages);
  const best = goal === 'maximize' ? Math.max(...current) : Math.min(...current);
  const stop = goal === 'maximize' ? best < med : best > med;
  return { stop, step, best, median: med };
}
