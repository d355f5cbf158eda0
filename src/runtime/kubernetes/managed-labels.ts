/**
 * What marks an object on a cluster as Capstan's: labels naming the Capstan object it belongs
 * to, and owner references so the cluster's own garbage collector cleans up with the root.
 */

/** The field manager of every server-side apply Capstan makes. */
export const FIELD_MANAGER = 'capstan';
/** The finalizer that holds a Capstan object until its cluster objects are gone. */
export const CLEANUP_FINALIZER = 'capstan.dev/kubernetes-cleanup';
/** Records the clusters Capstan applied an object's resources to (comma-separated), so cleanup asks only those. */
export const PLACED_ANNOTATION = 'capstan.dev/placed-clusters';

/** The clusters an object's placed-clusters annotation records (empty: none, or an object from before the annotation). */
export function placedClustersOf(obj: { metadata: { annotations?: Record<string, string> } }): string[] {
  return (obj.metadata.annotations?.[PLACED_ANNOTATION] ?? '').split(',').filter(Boolean);
}

type Placeable<T> = T & { metadata: { annotations?: Record<string, string>; finalizers?: string[] } };

/**
 * The object with the cleanup finalizer and `clusters` added to its placed-clusters record, or
 * undefined when it already has both: write it before creating anything on those clusters, so
 * cleanup always knows where to look.
 */
export function withPlacement<T>(obj: Placeable<T>, clusters: string[]): Placeable<T> | undefined {
  const placed = placedClustersOf(obj);
  const added = clusters.filter((c) => !placed.includes(c));
  const tracked = obj.metadata.finalizers?.includes(CLEANUP_FINALIZER) ?? false;
  if (tracked && added.length === 0) return undefined;
  return {
    ...obj,
    metadata: {
      ...obj.metadata,
      finalizers: tracked ? obj.metadata.finalizers : [...(obj.metadata.finalizers ?? []), CLEANUP_FINALIZER],
      annotations: { ...(obj.metadata.annotations ?? {}), [PLACED_ANNOTATION]: [...placed, ...added].join(',') },
    },
  };
}

/** The object without its placed-clusters record and cleanup finalizer (everything on the clusters is gone). */
export function withoutPlacement<T>(obj: Placeable<T>): Placeable<T> {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  delete annotations[PLACED_ANNOTATION];
  return { ...obj, metadata: { ...obj.metadata, annotations, finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER) } };
}
export { CLUSTER_ANNOTATION } from '../../api/kinds/cluster.js';
/** Label keys set on every object Capstan creates. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  kind: 'capstan.dev/kind',
  name: 'capstan.dev/name',
  uid: 'capstan.dev/uid',
  namespace: 'capstan.dev/namespace',
  revision: 'capstan.dev/revision',
  role: 'capstan.dev/role',
  index: 'capstan.dev/replica-index',
} as const;

/** The Capstan object a set of cluster objects belongs to. */
export interface CapstanOwner {
  kind: string;
  name: string;
  uid: string;
  /** The Capstan project, when the object is namespaced. */
  namespace?: string;
}

/** A minimal Kubernetes object as the generators produce it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: ManifestOwnerRef[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** An owner reference between cluster objects (the uid is only known after the owner exists). */
export interface ManifestOwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Truncates a label value to Kubernetes' 63 characters, keeping it alphanumeric at both ends. */
export function labelValue(v: string): string {
  return v.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

/** The labels every object gets for its Capstan owner. */
export function managedLabels(owner: CapstanOwner, extra: Record<string, string> = {}): Record<string, string> {
  return {
    [LABELS.managedBy]: 'capstan',
    [LABELS.kind]: labelValue(owner.kind),
    [LABELS.name]: labelValue(owner.name),
    [LABELS.uid]: labelValue(owner.uid),
    ...(owner.namespace ? { [LABELS.namespace]: labelValue(owner.namespace) } : {}),
    ...extra,
  };
}

/** The label selector (string form) that finds everything of one Capstan object. */
export function ownedSelector(uid: string): string {
  return `${LABELS.managedBy}=capstan,${LABELS.uid}=${labelValue(uid)}`;
}

/** A DNS-1123 label made from parts (lowercase, at most 63 chars, with a hash-free deterministic cut). */
export function dnsLabel(...parts: string[]): string {
  const s = parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+/, '');
  return s.slice(0, 63).replace(/-+$/, '') || 'x';
}

/** Sets an owner reference on a manifest (returns a copy). */
export function withOwner(m: Manifest, owner: ManifestOwnerRef): Manifest {
  return { ...m, metadata: { ...m.metadata, ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }] } };
}
