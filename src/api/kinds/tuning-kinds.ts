/** The hyperparameter-tuning kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';
import { ExperimentKind } from './experiment.js';
import { TrialKind } from './trial.js';

/** Every tuning kind. */
export const TUNING_KINDS: Kind[] = [ExperimentKind, TrialKind];
