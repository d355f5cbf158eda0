/** Every kind Capstan serves. Each capability lists its kinds in its own `*-kinds.ts` file. */
import type { Kind } from '../kind.js';
import { KindRegistry } from '../kind-registry.js';
import { CLUSTER_KINDS } from './cluster-kinds.js';
import { EventKind } from './event.js';
import { ProjectKind } from './project.js';
import { OPS_KINDS } from './ops-kinds.js';
import { QUEUEING_KINDS } from './queueing-kinds.js';
import { REGISTRY_KINDS } from './registry-kinds.js';
import { SERVING_KINDS } from './serving-kinds.js';
import { TENANCY_KINDS } from './tenancy-kinds.js';
import { TRAINING_KINDS } from './training-kinds.js';
import { PIPELINE_KINDS } from './pipeline-kinds.js';
import { TUNING_KINDS } from './tuning-kinds.js';

/** The built-in kinds. */
export const BUILTIN_KINDS: Kind[] = [ProjectKind, EventKind, ...REGISTRY_KINDS, ...SERVING_KINDS, ...QUEUEING_KINDS, ...TRAINING_KINDS, ...CLUSTER_KINDS, ...TENANCY_KINDS, ...OPS_KINDS, ...PIPELINE_KINDS, ...TUNING_KINDS];

/** A registry holding every built-in kind. */
export function builtinKindRegistry(): KindRegistry {
  return new KindRegistry(BUILTIN_KINDS);
}
