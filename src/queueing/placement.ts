/**
 * Pure: where an admitted workload runs. The admitted flavors decide (ResourceFlavor
 * `spec.cluster`); the `capstan.dev/cluster` annotation is honoured only when no admitted flavor
 * names a cluster, and a disagreement is reported, not obeyed: the quota was counted on the
 * flavor's nodes, so the pods go there. Placement is queueing's answer (issue 19), not a runtime's:
 * the TrainingJob reconciler asks it and hands the job to that target's runtime.
 */
import { setCondition } from '../api/conditions.js';
import { CLUSTER_ANNOTATION, LOCAL_CLUSTER_NAME, NODE_CLUSTER_LABEL } from '../api/kinds/cluster.js';
import type { WorkloadAdmission } from '../api/kinds/workload.js';
import type { Condition, KubeObject } from '../api/meta.js';

/** A pod toleration (as a ResourceFlavor lists them). */
export interface PodToleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

/** Where an admitted workload runs, and why. */
export interface Placement {
  /** The Cluster name (`local` for this machine). */
  cluster: string;
  /** What decided: an admitted flavor's `spec.cluster`, the annotation, or neither (local). */
  source: 'flavor' | 'annotation' | 'default';
  /** The admitted flavor that named the cluster (source flavor). */
  flavor?: string;
  /** Set when the annotation (or another admitted flavor) names a different cluster: the condition's message. */
  conflict?: string;
}

export { NODE_CLUSTER_LABEL };

function flavorSpec(f: KubeObject | undefined): { cluster?: string; nodeLabels?: Record<string, string>; tolerations?: PodToleration[] } {
  return (f?.spec ?? {}) as { cluster?: string; nodeLabels?: Record<string, string>; tolerations?: PodToleration[] };
}

/** Admitted flavor names in podSet order, each once. */
export function admittedFlavors(admission: WorkloadAdmission): string[] {
  const out: string[] = [];
  for (const ps of admission.podSetAssignments) for (const f of Object.values(ps.flavors)) if (!out.includes(f)) out.push(f);
  return out;
}

/** The placement of an object whose workload was admitted with `admission`. */
export function placementOf(obj: { metadata: { annotations?: Record<string, string> } }, admission: WorkloadAdmission, flavors: KubeObject[]): Placement {
  const annotation = obj.metadata.annotations?.[CLUSTER_ANNOTATION];
  const named: { flavor: string; cluster: string }[] = [];
  for (const name of admittedFlavors(admission)) {
    const c = flavorSpec(flavors.find((f) => f.metadata.name === name)).cluster;
    if (c && !named.some((n) => n.cluster === c)) named.push({ flavor: name, cluster: c });
  }
  if (named.length === 0) return annotation ? { cluster: annotation, source: 'annotation' } : { cluster: LOCAL_CLUSTER_NAME, source: 'default' };
  const first = named[0]!;
  const problems: string[] = [];
  if (annotation && annotation !== first.cluster) {
    problems.push(`the annotation ${CLUSTER_ANNOTATION}=${annotation} disagrees with the admitted flavor ${first.flavor}, which is on cluster ${first.cluster}`);
  }
  if (named.length > 1) problems.push(`the admitted flavors are on different clusters (${named.map((n) => `${n.flavor}: ${n.cluster}`).join(', ')})`);
  return {
    cluster: first.cluster,
    source: 'flavor',
    flavor: first.flavor,
    ...(problems.length ? { conflict: `${problems.join('; ')}; it runs on ${first.cluster}, where its quota was admitted` } : {}),
  };
}

/**
 * The job's conditions with `PlacementConflict` True while a placement has a conflict, turned
 * False once it no longer has one, and untouched (the same array) when it never had one. Both
 * status writers of a TrainingJob (local and kubernetes) use it.
 */
export function withPlacementConflict(conditions: Condition[] | undefined, conflict: string | undefined, now: string): Condition[] | undefined {
  if (conflict) return setCondition(conditions, { type: 'PlacementConflict', status: 'True', reason: 'AnnotationIgnored', message: conflict }, now);
  if (conditions?.some((c) => c.type === 'PlacementConflict' && c.status === 'True')) {
    return setCondition(conditions, { type: 'PlacementConflict', status: 'False', reason: 'Consistent', message: 'runs where its admitted flavor is' }, now);
  }
  return conditions;
}

/**
 * The nodeSelector and tolerations of one podSet's pods: the union over the flavors assigned to
 * its resources (as Kueue merges them). The cluster label is Capstan's own and is dropped: real
 * nodes do not carry it.
 */
export function podSetPlacement(admission: WorkloadAdmission, podSet: string, flavors: KubeObject[]): { nodeSelector?: Record<string, string>; tolerations?: PodToleration[] } {
  const ps = admission.podSetAssignments.find((p) => p.name === podSet);
  const nodeSelector: Record<string, string> = {};
  const tolerations: PodToleration[] = [];
  for (const name of new Set(Object.values(ps?.flavors ?? {}))) {
    const s = flavorSpec(flavors.find((f) => f.metadata.name === name));
    for (const [k, v] of Object.entries(s.nodeLabels ?? {})) if (k !== NODE_CLUSTER_LABEL) nodeSelector[k] = v;
    for (const t of s.tolerations ?? []) if (!tolerations.some((x) => JSON.stringify(x) === JSON.stringify(t))) tolerations.push(t);
  }
  return { ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}), ...(tolerations.length ? { tolerations } : {}) };
}

/** The podSet name of a role (Workload podSets are DNS labels). */
export function podSetName(role: string): string {
  return role.toLowerCase();
}
