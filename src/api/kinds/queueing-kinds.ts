/** The queueing kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';

/** Every queueing kind. */
export const QUEUEING_KINDS: Kind[] = [];
