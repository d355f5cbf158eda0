/** The training kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';
import { TrainingJobKind } from './training-job.js';

/** Every training kind. */
export const TRAINING_KINDS: Kind[] = [TrainingJobKind];
