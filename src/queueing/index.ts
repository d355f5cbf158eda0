/** Public surface of the queueing capability: what workload owners and other modules call. */
export { buildWorkload, workloadNameFor, type BuildWorkloadInput, type WorkloadPodSetInput } from './workload-builder.js';
export {
  isAdmitted, isEvictionRequested, isFinished, workloadAdmission, podSetPlacements, evictionMessage,
  workloadPendingMessage, workloadPendingReason, workloadPhase,
} from './workload-status.js';
export { releaseEvictedWorkload, markWorkloadFinished, releasedStatus } from './workload-owner-actions.js';
export { WorkloadKind, type WorkloadObject, type WorkloadSpec, type WorkloadStatus, type WorkloadAdmission } from '../api/kinds/workload.js';
export { ClusterQueueKind } from '../api/kinds/cluster-queue.js';
export { LocalQueueKind } from '../api/kinds/local-queue.js';
export { ResourceFlavorKind } from '../api/kinds/resource-flavor.js';
export { WorkloadPriorityClassKind } from '../api/kinds/workload-priority-class.js';
export { NodeKind, GPU_PRODUCT_LABEL, GPU_RESOURCE, nodeAllocatable, nodeReady } from '../api/kinds/node.js';
export { placementOf, podSetPlacement, podSetName, admittedFlavors, withPlacementConflict, type Placement, type PodToleration } from './placement.js';
export { queueingModule } from './queueing-module.js';
