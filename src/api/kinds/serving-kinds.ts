/** The serving kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';

/** Every serving kind. */
export const SERVING_KINDS: Kind[] = [];
