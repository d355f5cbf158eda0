/** The queueing kinds (each declared in its own file beside this one). */
import type { Kind } from '../kind.js';
import { ClusterQueueKind } from './cluster-queue.js';
import { LocalQueueKind } from './local-queue.js';
import { NodeKind } from './node.js';
import { ResourceFlavorKind } from './resource-flavor.js';
import { WorkloadKind } from './workload.js';
import { WorkloadPriorityClassKind } from './workload-priority-class.js';

/** Every queueing kind. */
export const QUEUEING_KINDS: Kind[] = [ResourceFlavorKind, ClusterQueueKind, LocalQueueKind, WorkloadPriorityClassKind, WorkloadKind, NodeKind];
