/** The registry kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';

/** Every registry kind. */
export const REGISTRY_KINDS: Kind[] = [];
