/**
 * What a fresh installation needs so a job without a queue has somewhere to go: ResourceFlavor
 * `default-flavor`, ClusterQueue `default` (this machine's capacity as quota, all projects) and
 * LocalQueue `default` in project `default`. Each is created only when missing: user edits stand.
 * Also: a ClusterQueue converted from a ResourceQuota gets its project's `default` LocalQueue.
 */
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import { ClusterQueueKind, type ClusterQueueSpec } from '../api/kinds/cluster-queue.js';
import { LocalQueueKind } from '../api/kinds/local-queue.js';
import { GPU_RESOURCE } from '../api/kinds/node.js';
import { ProjectKind } from '../api/kinds/project.js';
import { ResourceFlavorKind } from '../api/kinds/resource-flavor.js';
import { FROM_RESOURCE_QUOTA_ANNOTATION } from '../api/convert/kubernetes-scheduling-resource-quota.js';
import type { ResourceClient } from '../client/resource-client.js';
import { memoryQuantity, type MachineFacts } from './local-node.js';

/** Name of the default flavor, ClusterQueue and LocalQueue. */
export const DEFAULT_FLAVOR = 'default-flavor';
/** Name of the default ClusterQueue and of every project's default LocalQueue. */
export const DEFAULT_QUEUE = 'default';
/** Marks objects the queueing module made (and may therefore repoint). */
export const MANAGED_BY_ANNOTATION = 'capstan.dev/managed-by';
/** Value of MANAGED_BY_ANNOTATION. */
export const MANAGED_BY_QUEUEING = 'capstan-queueing';

/** A manifest to create (server fields not yet set). */
export interface NewObject {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
  [field: string]: unknown;
}

async function createIfMissing(client: ResourceClient, obj: NewObject): Promise<boolean> {
  try {
    await client.create(obj.kind === 'ResourceFlavor' ? ResourceFlavorKind : obj.kind === 'ClusterQueue' ? ClusterQueueKind : LocalQueueKind, obj);
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'AlreadyExists') return false;
    throw err;
  }
}

/** The default ClusterQueue for a machine: one flavor, quota = capacity, lower priorities preempted. */
export function defaultClusterQueue(f: Pick<MachineFacts, 'cpus' | 'memoryBytes' | 'gpus'>): NewObject {
  const spec: ClusterQueueSpec = {
    resourceGroups: [{
      coveredResources: ['cpu', 'memory', GPU_RESOURCE],
      flavors: [{ name: DEFAULT_FLAVOR, resources: [
        { name: 'cpu', nominalQuota: String(f.cpus) },
        { name: 'memory', nominalQuota: memoryQuantity(f.memoryBytes) },
        { name: GPU_RESOURCE, nominalQuota: String(f.gpus.length) },
      ] }],
    }],
    queueingStrategy: 'BestEffortFIFO',
    preemption: { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'Any' },
  };
  return { apiVersion: ClusterQueueKind.apiVersion, kind: 'ClusterQueue', metadata: { name: DEFAULT_QUEUE, annotations: { [MANAGED_BY_ANNOTATION]: MANAGED_BY_QUEUEING } }, spec };
}

/** Creates the default flavor, ClusterQueue and LocalQueue where missing. */
export async function ensureDefaultQueues(client: ResourceClient, f: Pick<MachineFacts, 'cpus' | 'memoryBytes' | 'gpus'>): Promise<void> {
  const managed = { [MANAGED_BY_ANNOTATION]: MANAGED_BY_QUEUEING };
  await createIfMissing(client, { apiVersion: ResourceFlavorKind.apiVersion, kind: 'ResourceFlavor', metadata: { name: DEFAULT_FLAVOR, annotations: managed }, spec: {} });
  await createIfMissing(client, defaultClusterQueue(f));
  await createIfMissing(client, {
    apiVersion: LocalQueueKind.apiVersion, kind: 'LocalQueue',
    metadata: { name: DEFAULT_QUEUE, namespace: 'default', annotations: managed }, spec: { clusterQueue: DEFAULT_QUEUE },
  });
}

/**
 * For a ClusterQueue converted from a ResourceQuota: its project's `default` LocalQueue points at
 * it (created if missing, repointed if the queueing module made it; a user's own is left alone).
 */
export async function ensureQuotaLocalQueue(client: ResourceClient, cq: KubeObject): Promise<void> {
  if (!cq.metadata.annotations?.[FROM_RESOURCE_QUOTA_ANNOTATION] || cq.metadata.deletionTimestamp) return;
  const managed = { [MANAGED_BY_ANNOTATION]: MANAGED_BY_QUEUEING };
  await createIfMissing(client, { apiVersion: ResourceFlavorKind.apiVersion, kind: 'ResourceFlavor', metadata: { name: DEFAULT_FLAVOR, annotations: managed }, spec: {} });
  for (const project of (cq.spec as ClusterQueueSpec).projects ?? []) {
    if (!(await client.tryGet(ProjectKind, undefined, project))) continue;
    const lq = await client.tryGet(LocalQueueKind, project, DEFAULT_QUEUE);
    if (!lq) {
      await createIfMissing(client, {
        apiVersion: LocalQueueKind.apiVersion, kind: 'LocalQueue',
        metadata: { name: DEFAULT_QUEUE, namespace: project, annotations: managed }, spec: { clusterQueue: cq.metadata.name },
      });
    } else if (lq.metadata.annotations?.[MANAGED_BY_ANNOTATION] === MANAGED_BY_QUEUEING && (lq.spec as { clusterQueue: string }).clusterQueue !== cq.metadata.name) {
      await client.patch(LocalQueueKind, project, DEFAULT_QUEUE, { spec: { clusterQueue: cq.metadata.name } });
    }
  }
}
