/**
 * Thin adapters from Capstan objects (InferenceService, TrainingJob, WorkloadPriorityClass,
 * Project, ResourceFlavor) to the generators' small inputs. Pure: everything the cluster needs
 * that the object does not say (image, registry URL, revision) is passed in.
 */
import { createHash } from 'node:crypto';
import type { InferenceServiceSpec } from '../../api/kinds/inference-service-schema.js';
import type { TrainingJobSpec } from '../../api/kinds/training-job-schema.js';
import type { KubeObject } from '../../api/meta.js';
import type { IsvcRevisionInput, PodToleration } from './inference-manifests.js';
import type { PriorityClassInput, ProjectInput } from './tenancy-manifests.js';
import { NODE_CLUSTER_LABEL } from '../../api/kinds/cluster.js';
import { formatQuantity, parseQuantity } from '../../scheduler/quantity.js';
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

/**
 * A revision id for what the pods run (model, runtime, command, env, resources, probes,
 * batching): scaling bounds, autoscaling, traffic, rollout and ingress settings are left out, so
 * changing them scales or reroutes the same pods instead of rolling new ones.
 */
export function revisionOf(spec: InferenceServiceSpec): string {
  const { minReplicas: _min, maxReplicas: _max, scaleMetric: _metric, scaleTarget: _target, containerConcurrency: _cc, canaryTrafficPercent: _pct, ...podShaping } = spec.predictor;
  return `r${createHash('sha256').update(stableJson(podShaping)).digest('hex').slice(0, 10)}`;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/**
 * The uid label of an object printed by `capstan export` before Capstan created it: unique per
 * kind, namespace and name, so two exported services in one namespace never select each other's pods.
 */
export function exportUid(obj: KubeObject): string {
  return `export-${createHash('sha256').update(`${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`).digest('hex').slice(0, 16)}`;
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
    // spec.ingress applies on every reconcile; `export --ingress` asks for one on the command line.
    ...(spec.ingress ?? opts.ingress ? { ingress: { ...(opts.ingress ?? {}), ...(spec.ingress ?? {}) } } : {}),
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

/**
 * A project's hard quota on one cluster (issue 19 point 2): the nominal quota of the flavors that
 * name that cluster, over the ClusterQueues the project's LocalQueues point at. Flavors of this
 * machine (or another cluster) never count: their capacity is not on this cluster.
 */
export function clusterProjectQuota(clusterQueues: KubeObject[], flavors: KubeObject[], cluster: string): Record<string, string | number> {
  const onCluster = new Set(flavors.filter((f) => (f.spec as { cluster?: string } | undefined)?.cluster === cluster).map((f) => f.metadata.name));
  const only = clusterQueues.map((cq) => {
    const spec = (cq.spec ?? {}) as { resourceGroups?: { flavors: { name: string }[] }[] };
    return { ...cq, spec: { ...spec, resourceGroups: (spec.resourceGroups ?? []).map((g) => ({ ...g, flavors: g.flavors.filter((f) => onCluster.has(f.name)) })) } };
  });
  const out: Record<string, number> = {};
  const raw: Record<string, string | number> = {};
  for (const cq of only) {
    for (const [r, q] of Object.entries(clusterQueueQuota(cq))) {
      const n = parseQuantitySafe(q, r);
      if (n === undefined) raw[r] = q;
      else out[r] = (out[r] ?? 0) + n;
    }
  }
  return { ...raw, ...Object.fromEntries(Object.entries(out).map(([r, v]) => [r, formatQuantity(v, r)])) };
}

function parseQuantitySafe(q: string | number, r: string): number | undefined {
  try {
    return parseQuantity(q, r);
  } catch {
    return undefined;
  }
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
export function projectInput(obj: KubeObject, quota: Record<string, string | number> = {}, adopted = false): ProjectInput {
  const members = ((obj.spec as { members?: { user?: string; group?: string; role: 'viewer' | 'editor' | 'admin' }[] } | undefined)?.members ?? []);
  const roles = (['viewer', 'editor', 'admin'] as const).map((role) => {
    const users = members.filter((m) => m.role === role && m.user).map((m) => m.user!);
    const groups = members.filter((m) => m.role === role && m.group).map((m) => m.group!);
    return { role, ...(users.length ? { users } : {}), ...(groups.length ? { groups } : {}) };
  });
  return {
    name: obj.metadata.name,
    uid: obj.metadata.uid,
    labels: { ...(obj.metadata.labels ?? {}), 'capstan.dev/project': obj.metadata.name },
    ...(Object.keys(quota).length ? { quota } : {}),
    roles,
    ...(adopted ? { adopted: true } : {}),
  };
}
