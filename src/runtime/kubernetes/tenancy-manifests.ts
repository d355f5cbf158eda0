/**
 * Pure generators for the queueing and tenancy objects: a WorkloadPriorityClass → a
 * PriorityClass, a Project → a Namespace (the root: deleting it deletes everything inside) with
 * a ResourceQuota from its ClusterQueue's quota and a Role/RoleBinding per project role.
 */
import type { ManifestSet } from './inference-manifests.js';
import { dnsLabel, LABELS, managedLabels, type CapstanOwner, type Manifest } from './managed-labels.js';

/** A WorkloadPriorityClass as far as the cluster cares. */
export interface PriorityClassInput {
  name: string;
  uid: string;
  value: number;
  description?: string;
  /** Never: the class orders queues but never preempts (Kubernetes' preemptionPolicy). */
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
}

/** Builds the PriorityClass. */
export function priorityClassManifests(input: PriorityClassInput): ManifestSet {
  const owner: CapstanOwner = { kind: 'WorkloadPriorityClass', name: input.name, uid: input.uid };
  return {
    owner,
    root: {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: input.name, labels: managedLabels(owner) },
      value: input.value,
      globalDefault: false,
      preemptionPolicy: input.preemptionPolicy ?? 'PreemptLowerPriority',
      ...(input.description ? { description: input.description } : {}),
    },
    dependents: [],
  };
}

/** Users (or groups) bound to a role in a project. */
export interface ProjectRoleInput {
  /** viewer | editor | admin (Capstan's roles), mapped to verbs below. */
  role: 'viewer' | 'editor' | 'admin';
  users?: string[];
  groups?: string[];
  serviceAccounts?: string[];
}

/** A Project as far as the cluster cares. */
export interface ProjectInput {
  name: string;
  uid: string;
  labels?: Record<string, string>;
  /** Hard quota (Kubernetes resource names: cpu, memory, nvidia.com/gpu, pods, ...). */
  quota?: Record<string, string | number>;
  roles?: ProjectRoleInput[];
  /**
   * The namespace exists and Capstan did not create it (spec.adoptNamespace): it is not applied
   * (no labels of Capstan's, so deleting the project never deletes it); only what Capstan adds
   * inside (quota, roles, bindings) is, and only that goes with the project.
   */
  adopted?: boolean;
}

const VERBS: Record<ProjectRoleInput['role'], string[]> = {
  viewer: ['get', 'list', 'watch'],
  editor: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  admin: ['*'],
};

// What a project member may touch on the cluster: the workload objects Capstan creates.
function roleRules(role: ProjectRoleInput['role']): Record<string, unknown>[] {
  const verbs = VERBS[role];
  return [
    { apiGroups: [''], resources: ['pods', 'pods/log', 'services', 'configmaps', 'events'], verbs },
    { apiGroups: ['apps'], resources: ['deployments', 'deployments/scale', 'replicasets'], verbs },
    { apiGroups: ['batch'], resources: ['jobs'], verbs },
    { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs },
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs },
  ];
}

/** ResourceQuota's `hard` keys: requests.* for compute, `requests.nvidia.com/gpu` for GPUs. */
export function quotaHard(quota: Record<string, string | number>): Record<string, string> {
  const hard: Record<string, string> = {};
  for (const [k, v] of Object.entries(quota)) {
    if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') hard[`requests.${k}`] = String(v);
    else if (k.includes('/') && !k.startsWith('requests.')) hard[`requests.${k}`] = String(v);
    else hard[k] = String(v);
  }
  return hard;
}

/** Builds the Namespace and what lives in it. */
export function projectManifests(input: ProjectInput): ManifestSet {
  const owner: CapstanOwner = { kind: 'Project', name: input.name, uid: input.uid };
  const labels = managedLabels(owner);
  const ns = input.name;
  const dependents: Manifest[] = [];
  if (input.quota && Object.keys(input.quota).length) {
    dependents.push({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'capstan-quota', namespace: ns, labels },
      spec: { hard: quotaHard(input.quota) },
    });
  }
  for (const r of input.roles ?? []) {
    const name = dnsLabel('capstan', r.role);
    dependents.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: ns, labels },
      rules: roleRules(r.role),
    });
    const subjects = [
      ...(r.users ?? []).map((n) => ({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: n })),
      ...(r.groups ?? []).map((n) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: n })),
      ...(r.serviceAccounts ?? []).map((n) => ({ kind: 'ServiceAccount', name: n, namespace: ns })),
    ];
    if (subjects.length === 0) continue;
    dependents.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    });
  }
  const namespace: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ...labels, ...(input.labels ?? {}), [LABELS.name]: labels[LABELS.name] } } };
  if (input.adopted) {
    // The first dependent stands as the root: namespaced objects need no owner, the namespace is not ours.
    const [first, ...rest] = dependents;
    return { owner, root: first ?? namespace, dependents: rest, adopted: true };
  }
  return { owner, root: namespace, dependents };
}
