/**
 * Live objects → the scheduling core's snapshot. Pure: the admission controller passes its
 * informer caches in, tests pass literals. Quantities are parsed with the core's parser (cpu in
 * millicores, memory in bytes); objects being deleted and finished workloads hold no quota.
 */
import type { KubeObject } from '../api/meta.js';
import type { ClusterQueueSpec } from '../api/kinds/cluster-queue.js';
import { LOCAL_CLUSTER_NAME, NODE_CLUSTER_LABEL } from '../api/kinds/cluster.js';
import type { NodeSpec } from '../api/kinds/node.js';
import { nodeAllocatable, nodeReady } from '../api/kinds/node.js';
import type { PodSetSpec, WorkloadSpec, WorkloadStatus } from '../api/kinds/workload.js';
import { parseQuantity, parseQuantityValue } from '../scheduler/quantity.js';
import type * as S from '../scheduler/types.js';

/** The label every project carries in the snapshot (as Kubernetes does for namespaces). */
export const PROJECT_NAME_LABEL = 'kubernetes.io/metadata.name';
/** Capstan's own spelling of the same label; `ClusterQueue.spec.projects` selects on it. */
export const CAPSTAN_PROJECT_LABEL = 'capstan.dev/project';

/** Every object kind the snapshot is built from. */
export interface LiveObjects {
  projects: KubeObject[];
  resourceFlavors: KubeObject[];
  clusterQueues: KubeObject[];
  localQueues: KubeObject[];
  priorityClasses: KubeObject[];
  workloads: KubeObject[];
  nodes: KubeObject[];
}

function resources(list: Record<string, string | number> | undefined): S.ResourceList {
  const out: S.ResourceList = {};
  for (const [r, v] of Object.entries(list ?? {})) out[r] = parseQuantity(v, r);
  return out;
}

function alive(o: KubeObject): boolean {
  return !o.metadata.deletionTimestamp;
}

function condTrue(o: KubeObject, type: string): boolean {
  return ((o.status ?? {}) as WorkloadStatus).conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
}

/** Per-pod requests of a podSet: flattened requests, or a template's containers summed (init containers: the largest, as Kubernetes does). */
export function podRequests(ps: PodSetSpec): S.ResourceList {
  if (ps.requests) return resources(ps.requests);
  const out: S.ResourceList = {};
  for (const c of ps.template?.spec.containers ?? []) for (const [r, a] of Object.entries(resources(c.resources?.requests ?? c.resources?.limits))) out[r] = (out[r] ?? 0) + a;
  for (const c of ps.template?.spec.initContainers ?? []) for (const [r, a] of Object.entries(resources(c.resources?.requests ?? c.resources?.limits))) out[r] = Math.max(out[r] ?? 0, a);
  return out;
}

/** A ClusterQueue object → the core's ClusterQueue (projects become a selector on the project label). */
export function toClusterQueue(o: KubeObject): S.ClusterQueue {
  const spec = o.spec as ClusterQueueSpec;
  let selector: S.LabelSelector | undefined = spec.namespaceSelector as S.LabelSelector | undefined;
  if (spec.projects) {
    selector = { ...selector, matchExpressions: [...(selector?.matchExpressions ?? []), { key: CAPSTAN_PROJECT_LABEL, operator: 'In', values: spec.projects }] };
  }
  return {
    name: o.metadata.name,
    ...(selector ? { namespaceSelector: selector } : {}),
    resourceGroups: spec.resourceGroups.map((g) => ({
      coveredResources: g.coveredResources,
      flavors: g.flavors.map((f) => ({
        name: f.name,
        resources: f.resources.map((r) => ({
          name: r.name,
          nominalQuota: parseQuantity(r.nominalQuota, r.name),
          ...(r.borrowingLimit !== undefined ? { borrowingLimit: parseQuantity(r.borrowingLimit, r.name) } : {}),
          ...(r.lendingLimit !== undefined ? { lendingLimit: parseQuantity(r.lendingLimit, r.name) } : {}),
        })),
      })),
    })),
    ...(spec.cohort ? { cohort: spec.cohort } : {}),
    queueingStrategy: spec.queueingStrategy,
    ...(spec.preemption ? { preemption: spec.preemption } : {}),
    ...(spec.fairSharing ? { fairSharing: { weight: spec.fairSharing.weight !== undefined ? parseQuantityValue(spec.fairSharing.weight) : 1 } } : {}),
    ...(spec.flavorFungibility ? { flavorFungibility: spec.flavorFungibility } : {}),
    ...(spec.stopPolicy ? { stopPolicy: spec.stopPolicy } : {}),
  };
}

function toAdmission(st: WorkloadStatus): S.Admission | undefined {
  const a = st.admission;
  if (!a) return undefined;
  return {
    clusterQueue: a.clusterQueue,
    podSetAssignments: a.podSetAssignments.map((p) => ({
      name: p.name, flavors: p.flavors, count: p.count,
      resourceUsage: resources(p.resourceUsage),
      ...(p.placements ? { placements: p.placements } : {}),
    })),
  };
}

/** A Workload object → the core's Workload (admitted ones carry their recorded admission). */
export function toWorkload(o: KubeObject): S.Workload {
  const spec = o.spec as WorkloadSpec;
  const st = (o.status ?? {}) as WorkloadStatus;
  const admission = toAdmission(st);
  const reserved = st.conditions?.find((c) => c.type === 'QuotaReserved' && c.status === 'True');
  const admittedAt = reserved?.lastTransitionTime ? Date.parse(reserved.lastTransitionTime) : undefined;
  return {
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
    queueName: spec.queueName,
    podSets: spec.podSets.map((ps) => ({
      name: ps.name, count: ps.count, requests: podRequests(ps),
      ...(ps.nodeSelector ?? ps.template?.spec.nodeSelector ? { nodeSelector: ps.nodeSelector ?? ps.template?.spec.nodeSelector } : {}),
      ...(ps.tolerations ?? ps.template?.spec.tolerations ? { tolerations: (ps.tolerations ?? ps.template?.spec.tolerations) as S.Toleration[] } : {}),
    })),
    ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
    ...(spec.priorityClassName ? { priorityClassName: spec.priorityClassName } : {}),
    creationTimestamp: Date.parse(o.metadata.creationTimestamp) || 0,
    ...(spec.expectedDurationSeconds !== undefined ? { expectedDurationMs: spec.expectedDurationSeconds * 1000 } : {}),
    ...(spec.deadline ? { deadline: Date.parse(spec.deadline) } : {}),
    ...(admission
      ? { status: { admission, ...(admittedAt !== undefined && !Number.isNaN(admittedAt) ? { admittedAt } : {}), ...(condTrue(o, 'Evicted') ? { evicting: true } : {}) } }
      : {}),
  };
}

/** A Node object → the core's Node. */
export function toNode(o: KubeObject): S.Node {
  const spec = (o.spec ?? {}) as NodeSpec;
  return {
    name: o.metadata.name,
    labels: o.metadata.labels ?? {},
    ...(spec.taints ? { taints: spec.taints } : {}),
    allocatable: resources(nodeAllocatable(o)),
    ...(spec.unschedulable ? { unschedulable: true } : {}),
    ready: nodeReady(o),
  };
}

/** Whether a workload takes part in admission (not finished, not being deleted). */
export function isSchedulable(o: KubeObject): boolean {
  return alive(o) && !condTrue(o, 'Finished');
}

/**
 * The node labels the scheduler core matches a flavor against: its own, plus its `spec.cluster`
 * as the cluster label, so that a flavor of cluster X is counted and placed only on X's nodes.
 * `local` adds nothing: this machine's Node and declared static Nodes stand for it.
 */
export function flavorNodeLabels(spec: { nodeLabels?: Record<string, string>; cluster?: string }): Record<string, string> | undefined {
  if (!spec.cluster || spec.cluster === LOCAL_CLUSTER_NAME) return spec.nodeLabels;
  return { ...(spec.nodeLabels ?? {}), [NODE_CLUSTER_LABEL]: spec.cluster.slice(0, 63) };
}

/** Builds the snapshot for one admission cycle. */
export function buildSnapshot(live: LiveObjects): S.SchedulerSnapshot {
  const namespaces: Record<string, Record<string, string>> = {};
  for (const p of live.projects) {
    namespaces[p.metadata.name] = { ...(p.metadata.labels ?? {}), [PROJECT_NAME_LABEL]: p.metadata.name, [CAPSTAN_PROJECT_LABEL]: p.metadata.name };
  }
  return {
    resourceFlavors: live.resourceFlavors.filter(alive).map((f) => {
      const spec = (f.spec ?? {}) as { nodeLabels?: Record<string, string>; nodeTaints?: S.Taint[]; tolerations?: S.Toleration[]; cluster?: string };
      const nodeLabels = flavorNodeLabels(spec);
      return { name: f.metadata.name, ...(nodeLabels ? { nodeLabels } : {}), ...(spec.nodeTaints ? { nodeTaints: spec.nodeTaints } : {}), ...(spec.tolerations ? { tolerations: spec.tolerations } : {}) };
    }),
    clusterQueues: live.clusterQueues.filter(alive).map(toClusterQueue),
    localQueues: live.localQueues.filter(alive).map((q) => ({ namespace: q.metadata.namespace ?? '', name: q.metadata.name, clusterQueue: (q.spec as { clusterQueue: string }).clusterQueue })),
    priorityClasses: live.priorityClasses.map((p) => ({ name: p.metadata.name, value: Number(p.value) })),
    namespaces,
    nodes: live.nodes.filter(alive).map(toNode),
    workloads: live.workloads.filter(isSchedulable).map(toWorkload),
  };
}
