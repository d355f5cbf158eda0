/**
 * Pure: a TrainingJob's next status from its phase. Conditions follow Kubeflow's JobConditions:
 * Created stays True, the current phase's condition is True, and conditions that were True and
 * no longer hold turn False (others are not added, to keep status short).
 */
import { setCondition } from '../api/conditions.js';
import type { Condition } from '../api/meta.js';
import type { TrainingJobStatus } from '../api/kinds/training-job-schema.js';

/** A job phase. */
export type TrainingPhase = NonNullable<TrainingJobStatus['phase']>;

const PHASE_CONDITIONS: TrainingPhase[] = ['Queued', 'Admitted', 'Running', 'Restarting', 'Succeeded', 'Failed', 'Suspended'];

// Which condition types hold in each phase besides the phase's own.
const ALSO_TRUE: Partial<Record<TrainingPhase, TrainingPhase[]>> = {
  Running: ['Admitted'],
  Restarting: ['Admitted'],
};

/** The status for `phase` with `reason` and `message`, keeping what else `prev` holds. */
export function statusForPhase(prev: TrainingJobStatus, phase: TrainingPhase, reason: string, message: string, now: string, generation?: number): TrainingJobStatus {
  let conditions: Condition[] = setCondition(prev.conditions, { type: 'Created', status: 'True', reason: 'Created', message: 'The job was accepted.' }, now);
  const trueTypes = new Set<string>([phase, ...(ALSO_TRUE[phase] ?? [])]);
  for (const type of PHASE_CONDITIONS) {
    const existing = conditions.find((c) => c.type === type);
    if (type === phase) conditions = setCondition(conditions, { type, status: 'True', reason, message }, now);
    else if (trueTypes.has(type)) conditions = setCondition(conditions, { type, status: 'True', reason: existing?.status === 'True' ? (existing.reason ?? reason) : reason, message: existing?.status === 'True' ? (existing.message ?? message) : message }, now);
    else if (existing && existing.status === 'True') conditions = setCondition(conditions, { type, status: 'False', reason, message: `Now ${phase}: ${message}` }, now);
  }
  return { ...prev, phase, conditions, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

/** True when the phase is final. */
export function isTerminal(phase: TrainingJobStatus['phase']): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}
