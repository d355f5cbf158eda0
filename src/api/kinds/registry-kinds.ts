/** The registry kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';
import { ModelKind } from './model.js';
import { ModelVersionKind } from './model-version.js';

/** Every registry kind. */
export const REGISTRY_KINDS: Kind[] = [ModelKind, ModelVersionKind];
