/** Builds the Workload an owner (TrainingJob, pipeline step, inference service) submits to a queue. */
import type { KubeObject } from '../api/meta.js';
import { WorkloadKind, type PodSetSpec } from '../api/kinds/workload.js';

/** A podSet as an owner describes it: one role, its replica count and per-replica requests. */
export interface WorkloadPodSetInput {
  name: string;
  count: number;
  /** Per-replica requests as quantities: `{cpu: '2', memory: '4Gi', 'nvidia.com/gpu': 1}`. */
  requests: Record<string, string | number>;
  nodeSelector?: Record<string, string>;
  tolerations?: PodSetSpec['tolerations'];
}

/** What buildWorkload needs. */
export interface BuildWorkloadInput {
  /** The owning object (must have metadata.namespace, name and uid). */
  owner: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>;
  /** LocalQueue in the owner's project; default "default". */
  queueName?: string;
  priorityClassName?: string;
  priority?: number;
  podSets: WorkloadPodSetInput[];
  /** Workload name; default `<owner kind lowercased>-<owner name>`. */
  name?: string;
  expectedDurationSeconds?: number;
  /** RFC 3339. */
  deadline?: string;
  labels?: Record<string, string>;
}

/** The Workload name an owner gets by default: `<kind>-<name>`, cut to 253 characters. */
export function workloadNameFor(owner: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${owner.kind.toLowerCase()}-${owner.metadata.name}`.slice(0, 253).replace(/[-.]+$/, '');
}

/** A Workload manifest owned (controller reference) by `owner`, ready for `client.create(WorkloadKind, ...)`. */
export function buildWorkload(input: BuildWorkloadInput): KubeObject {
  const { owner } = input;
  if (!owner.metadata.namespace) throw new Error('buildWorkload: owner must be namespaced');
  return {
    apiVersion: WorkloadKind.apiVersion,
    kind: WorkloadKind.kind,
    metadata: {
      name: input.name ?? workloadNameFor(owner),
      namespace: owner.metadata.namespace,
      ...(input.labels ? { labels: input.labels } : {}),
      ownerReferences: [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }],
    } as KubeObject['metadata'],
    spec: {
      queueName: input.queueName ?? 'default',
      ...(input.priorityClassName ? { priorityClassName: input.priorityClassName } : {}),
      ...(input.priority !== undefined ? { priority: input.priority } : {}),
      podSets: input.podSets.map((p) => ({
        name: p.name,
        count: p.count,
        requests: p.requests,
        ...(p.nodeSelector ? { nodeSelector: p.nodeSelector } : {}),
        ...(p.tolerations ? { tolerations: p.tolerations } : {}),
      })),
      ...(input.expectedDurationSeconds !== undefined ? { expectedDurationSeconds: input.expectedDurationSeconds } : {}),
      ...(input.deadline ? { deadline: input.deadline } : {}),
    },
  };
}
