/** The serving kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';
import { InferenceServiceKind } from './inference-service.js';

/** Every serving kind. */
export const SERVING_KINDS: Kind[] = [InferenceServiceKind];
