/**
 * Pure: an experiment's state from its trials. Counts by phase, the current optimal trial, the
 * history the search algorithm sees, and whether (and why) the experiment is complete, by Katib's
 * rules: the goal reached, more failed trials than maxFailedTrialCount, maxTrialCount trials
 * completed, or (grid) the search space exhausted.
 */
import type { ExperimentSpec, ExperimentStatus } from '../api/kinds/experiment-schema.js';
import { TERMINAL_TRIAL_PHASES, type TrialMetric, type TrialPhase } from '../api/kinds/trial.js';
import type { Observation } from '../tuning/suggestion.js';

/** What the experiment controller knows of one trial. */
export interface TrialView {
  name: string;
  index: number;
  phase: TrialPhase;
  assignment: Record<string, string>;
  parameterAssignments: Array<{ name: string; value: string }>;
  metrics: TrialMetric[];
}

/** Trial counts as Katib's status fields. */
export type TrialCounts = Required<Pick<ExperimentStatus, 'trials' | 'trialsPending' | 'trialsRunning' | 'trialsSucceeded' | 'trialsFailed' | 'trialsEarlyStopped' | 'trialsKilled' | 'trialsMetricsUnavailable'>>;

/** Counts trials by phase. */
export function countTrials(trials: readonly TrialView[]): TrialCounts {
  const by = (p: TrialPhase) => trials.filter((t) => t.phase === p).length;
  return {
    trials: trials.length,
    trialsPending: by('Pending'),
    trialsRunning: by('Running'),
    trialsSucceeded: by('Succeeded'),
    trialsFailed: by('Failed'),
    trialsEarlyStopped: by('EarlyStopped'),
    trialsKilled: by('Killed'),
    trialsMetricsUnavailable: by('MetricsUnavailable'),
  };
}

/** The objective value of a trial, when it has one. */
export function objectiveValue(spec: ExperimentSpec, t: TrialView): number | undefined {
  return t.metrics.find((m) => m.name === spec.objective.objectiveMetricName)?.value;
}

/** The best trial among those that finished with an objective value (succeeded or early-stopped); ties keep the earlier trial. */
export function optimalTrial(spec: ExperimentSpec, trials: readonly TrialView[]): TrialView | undefined {
  let best: TrialView | undefined;
  let bestValue = 0;
  for (const t of [...trials].sort((a, b) => a.index - b.index)) {
    if (t.phase !== 'Succeeded' && t.phase !== 'EarlyStopped') continue;
    const v = objectiveValue(spec, t);
    if (v === undefined) continue;
    if (!best || (spec.objective.type === 'maximize' ? v > bestValue : v < bestValue)) {
      best = t;
      bestValue = v;
    }
  }
  return best;
}

/** The history the search algorithm sees, in trial order. */
export function searchHistory(spec: ExperimentSpec, trials: readonly TrialView[]): Observation[] {
  return [...trials]
    .sort((a, b) => a.index - b.index)
    .map((t) => {
      if (t.phase === 'Pending' || t.phase === 'Running') return { assignment: t.assignment, state: 'pending' as const };
      const value = t.phase === 'Succeeded' || t.phase === 'EarlyStopped' ? objectiveValue(spec, t) : undefined;
      return value === undefined ? { assignment: t.assignment, state: 'failed' as const } : { assignment: t.assignment, state: 'completed' as const, value };
    });
}

/** Why an experiment is complete. */
export interface Completion {
  phase: 'Succeeded' | 'Failed';
  reason: 'GoalReached' | 'MaxTrialsReached' | 'MaxFailedTrialsReached' | 'SearchSpaceExhausted' | 'TrialTemplateInvalid';
  message: string;
}

/** Whether the experiment is complete, and why. */
export function completionOf(spec: ExperimentSpec, trials: readonly TrialView[], exhausted: boolean): Completion | undefined {
  const counts = countTrials(trials);
  const best = optimalTrial(spec, trials);
  const goal = spec.objective.goal;
  const name = spec.objective.objectiveMetricName;
  if (best && goal !== undefined) {
    const v = objectiveValue(spec, best)!;
    if (spec.objective.type === 'maximize' ? v >= goal : v <= goal) return { phase: 'Succeeded', reason: 'GoalReached', message: `Trial ${best.name} reached the goal: ${name} ${v} ${spec.objective.type === 'maximize' ? '>=' : '<='} ${goal}.` };
  }
  const failed = counts.trialsFailed + counts.trialsMetricsUnavailable;
  if (spec.maxFailedTrialCount !== undefined && failed > spec.maxFailedTrialCount) {
    const noMetric = counts.trialsMetricsUnavailable > 0 ? ` (${counts.trialsMetricsUnavailable} finished without reporting ${name})` : '';
    return { phase: 'Failed', reason: 'MaxFailedTrialsReached', message: `${failed} trials failed${noMetric}, more than maxFailedTrialCount ${spec.maxFailedTrialCount}.` };
  }
  const completed = trials.filter((t) => TERMINAL_TRIAL_PHASES.includes(t.phase)).length;
  const active = counts.trialsPending + counts.trialsRunning;
  if (spec.maxTrialCount !== undefined && completed >= spec.maxTrialCount) return { phase: 'Succeeded', reason: 'MaxTrialsReached', message: `${completed} trials completed (maxTrialCount ${spec.maxTrialCount})${best ? `; the best is ${best.name}` : ''}.` };
  if (exhausted && active === 0) return { phase: 'Succeeded', reason: 'SearchSpaceExhausted', message: `Every point of the search space was tried (${completed} trials)${best ? `; the best is ${best.name}` : ''}.` };
  return undefined;
}

/** How many trials to start now. */
export function trialsToStart(spec: ExperimentSpec, trials: readonly TrialView[]): number {
  const counts = countTrials(trials);
  const active = counts.trialsPending + counts.trialsRunning;
  const room = spec.parallelTrialCount - active;
  const budget = spec.maxTrialCount === undefined ? room : spec.maxTrialCount - trials.length;
  return Math.max(0, Math.min(room, budget));
}

/** The summary of a trial's series: min, max, latest and the value the objective uses. */
export function summarizeMetric(name: string, values: readonly number[], strategy: 'min' | 'max' | 'latest'): TrialMetric {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const latest = values[values.length - 1]!;
  return { name, min, max, latest, value: strategy === 'min' ? min : strategy === 'max' ? max : latest };
}

/** The strategy of a metric: as the spec says, else the objective's direction for the objective and latest for the others. */
export function metricStrategy(spec: Pick<ExperimentSpec, 'objective'>, name: string): 'min' | 'max' | 'latest' {
  const s = spec.objective.metricStrategies?.find((x) => x.name === name)?.value;
  if (s) return s;
  if (name === spec.objective.objectiveMetricName) return spec.objective.type === 'maximize' ? 'max' : 'min';
  return 'latest';
}
