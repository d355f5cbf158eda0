/**
 * Thin adapters from Capstan objects (InferenceService, TrainingJob, WorkloadPriorityClass,
 * Project, ResourceFlavor) to the generators' small inputs. Pure: everything the cluster needs
 * that the object does not say (image, registry URL, revision) is passed in.
 */
import type { InferenceServiceSpec } from '../../api/kinds/inference-service-schema.js';
import type { TrainingJobSpec } from '../../api/kinds/training-job-schema.js';
import type { KubeObject } from '../../api/meta.js';
import type { IsvcRevisionInput, PodToleration } from './inference-manifests.js';
import type { PriorityClassInput, ProjectInput } from './tenancy-manifests.js';
import { NODE_CLUSTER_LABEL } from '../../api/kinds/cluster.js';
import type { TrainingJobInput } from './training-manifests.js';

/** What a ResourceFlavor contributes to pods placed on it. */
export interface FlavorPlacement {
  nodeSelector?: Record<string, string>;
  tolerations?: PodToleration[];
}

/** Node selector and tolerations from a ResourceFlavor object. */
export function flavorPlacement(flavor: KubeObject | undefined): FlavorPlacement {
  const s = (flavor?.spec ?? {}) as { nodeLabels?: Record<string, string>; tolerations?: PodToleration[] };
  // The cluster label is Capstan's (its Nodes carry it for the scheduler core); real nodes do not.
  const nodeSelector = Object.fromEntries(Object.entries(s.nodeLabels ?? {}).filter(([k]) => k !== NODE_CLUSTER_LABEL));
  return { ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}), ...(s.tolerations ? { tolerations: s.tolerations } : {}) };
}

/** Cluster-side settings an adapter cannot read from the object. */
export interface ClusterSideOptions {
  image: string;
  /** Base URL of Capstan's API as pods on the cluster reach it. */
  registryUrl: string;
  placement?: FlavorPlacement;
}

/** The HTTP URL a replica downloads its model from: the storageUri itself, or the registry's. */
export function modelUrlFor(ref: { model?: string; storageUri?: string }, namespace: string, registryUrl: string): string {
  if (ref.storageUri && /^https?:/.test(ref.storageUri)) return ref.storageUri;
  if (ref.storageUri) return ref.storageUri;
  const [name, selector] = (ref.model ?? '').split('@');
  // The registry serves a resolved version's artifact here; the selector (alias, range) is resolved server-side.
  return `${registryUrl.replace(/\/+$/, '')}/apis/capstan.dev/v1alpha1/namespaces/${namespace}/models/${name}/artifact${selector ? `?ref=${encodeURIComponent(selector)}` : ''}`;
}

/** An InferenceService's predictor as one revision's input. */
export function isvcRevisionInput(obj: KubeObject, revision: string, opts: ClusterSideOptions & { registryTokenSecret?: string; ingress?: IsvcRevisionInput['ingress'] }): IsvcRevisionInput {
  const spec = obj.spec as InferenceServiceSpec;
  const p = spec.predictor;
  const ns = obj.metadata.namespace ?? 'default';
  return {
    name: obj.metadata.name,
    namespace: ns,
    uid: obj.metadata.uid,
    revision,
    image: opts.image,
    modelUrl: modelUrlFor(p, ns, opts.registryUrl),
    // Capstan's token goes only to Capstan's registry, never to a storageUri elsewhere.
    ...(opts.registryTokenSecret && !p.storageUri ? { registryTokenSecret: opts.registryTokenSecret } : {}),
    replicas: Math.max(p.minReplicas ?? 1, 1),
    ...(p.resources ? { resources: p.resources } : {}),
    ...(opts.placement ?? {}),
    probes: { ...(p.readinessProbe ? { readiness: p.readinessProbe } : {}), ...(p.livenessProbe ? { liveness: p.livenessProbe } : {}) },
    scaleMetric: p.scaleMetric,
    ...(p.scaleTarget !== undefined ? { scaleTarget: p.scaleTarget } : {}),
    minReplicas: p.minReplicas,
    ...(p.maxReplicas !== undefined ? { maxReplicas: p.maxReplicas } : {}),
    ...(p.env ? { env: p.env } : {}),
    ...(opts.ingress ? { ingress: opts.ingress } : {}),
  };
}

/** A TrainingJob as the cluster input (roles in a stable order: Master/Chief first). */
export function trainingJobInput(obj: KubeObject, opts: { defaultImage: string; placement?: FlavorPlacement; rolePlacement?: (role: string) => FlavorPlacement; priorityClassName?: string }): TrainingJobInput {
  const spec = obj.spec as TrainingJobSpec;
  const order = ['Master', 'Chief', 'PS', 'Worker', 'Evaluator'];
  const roles = Object.entries(spec.replicaSpecs).sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
  return {
    name: obj.metadata.name,
    namespace: obj.metadata.namespace ?? 'default',
    uid: obj.metadata.uid,
    framework: spec.framework,
    roles: roles.map(([role, r]) => ({
      role,
      replicas: r.replicas,
      image: r.template.image ?? opts.defaultImage,
      ...(r.template.command ? { command: r.template.command } : {}),
      ...(r.template.args ? { args: r.template.args } : {}),
      ...(r.template.env ? { env: Object.fromEntries(r.template.env.map((e) => [e.name, e.value])) } : {}),
      ...(r.template.workingDir ? { workingDir: r.template.workingDir } : {}),
      ...(r.template.resources ? { resources: r.template.resources } : {}),
      restartPolicy: r.restartPolicy,
      ...(opts.rolePlacement ? opts.rolePlacement(role) : {}),
    })),
    ...(opts.placement ?? {}),
    ...(opts.priorityClassName ?? spec.priorityClassName ? { priorityClassName: opts.priorityClassName ?? spec.priorityClassName } : {}),
    ...(spec.runPolicy.activeDeadlineSeconds ? { activeDeadlineSeconds: spec.runPolicy.activeDeadlineSeconds } : {}),
  };
}

/** A WorkloadPriorityClass as a PriorityClass input. */
export function priorityClassInput(obj: KubeObject): PriorityClassInput {
  return { name: obj.metadata.name, uid: obj.metadata.uid, value: Number(obj.value ?? 0), ...(typeof obj.description === 'string' ? { description: obj.description } : {}) };
}

/** Sum of nominal quota per resource over a ClusterQueue's flavors (the project's hard quota). */
export function clusterQueueQuota(cq: KubeObject | undefined): Record<string, string | number> {
  const groups = ((cq?.spec ?? {}) as { resourceGroups?: { flavors: { resources: { name: string; nominalQuota: string | number }[] }[] }[] }).resourceGroups ?? [];
  const sums = new Map<string, (string | number)[]>();
  for (const g of groups) for (const f of g.flavors) for (const r of f.resources) sums.set(r.name, [...(sums.get(r.name) ?? []), r.nominalQuota]);
  const out: Record<string, string | number> = {};
  // One flavor per resource is the common case; several are summed only when all are plain numbers.
  for (const [name, qs] of sums) out[name] = qs.length === 1 ? qs[0]! : qs.every((q) => typeof q === 'number' || /^\d+$/.test(String(q))) ? qs.reduce<number>((s, q) => s + Number(q), 0) : qs[0]!;
  return out;
}

/** A Project as a Namespace input, with Capstan's three roles (bindings when members are known). */
export function projectInput(obj: KubeObject, clusterQueue?: KubeObject): ProjectInput {
  const quota = clusterQueueQuota(clusterQueue);
  return {
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    labels: { ...(obj.metadata.labels ?? {}), 'capstan.dev/project': obj.metadata.name },
    ...(Object.keys(quota).length ? { quota } : {}),
    roles: [{ role: 'viewer' }, { role: 'editor' }, { role: 'admin' }],
  };
}
