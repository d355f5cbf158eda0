/** The cluster kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';
import { ClusterKind } from './cluster.js';

/** Every cluster kind. */
export const CLUSTER_KINDS: Kind[] = [ClusterKind];
