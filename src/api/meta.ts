/**
 * The object model shared by every kind: TypeMeta, ObjectMeta, conditions and
 * owner references, following Kubernetes' conventions so kubectl habits carry over.
 */
import { z } from 'zod';

/** DNS-1123 label: what project names and most object names must be. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: dots allowed between labels (Kubernetes' default for object names). */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An object name: DNS-1123 subdomain, at most 253 characters. */
export const objectName = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(DNS1123_SUBDOMAIN, 'must be a lowercase DNS-1123 subdomain (a-z, 0-9, "-" and ".", starting and ending alphanumeric)');

/** A project (namespace) name: DNS-1123 label, at most 63 characters. */
export const projectName = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(DNS1123_LABEL, 'must be a lowercase DNS-1123 label (a-z, 0-9 and "-", starting and ending alphanumeric)');

const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** Label maps: qualified keys and short values, as Kubernetes validates them. */
export const labelMap = z.record(
  z.string().max(316).regex(LABEL_KEY, 'must be a qualified label key'),
  z.string().max(63).regex(LABEL_VALUE, 'must be a valid label value (at most 63 alphanumerics, "-", "_" or ".")'),
);

/** A reference from a dependent to its owner; deleting the owner deletes the dependent. */
export const ownerReference = z
  .object({
    apiVersion: z.string().min(1),
    kind: z.string().min(1),
    name: z.string().min(1),
    uid: z.string().min(1),
    controller: z.boolean().optional(),
    blockOwnerDeletion: z.boolean().optional(),
  })
  .strict();
/** An owner reference. */
export type OwnerReference = z.infer<typeof ownerReference>;

/** ObjectMeta as users may write it; server-set fields are accepted (for round trips) and then overwritten. */
export const objectMeta = z
  .object({
    name: objectName.optional(),
    generateName: z.string().max(200).regex(/^[a-z0-9]([-a-z0-9.]*)?$/, 'must be a DNS-1123 prefix').optional(),
    namespace: projectName.optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    generation: z.number().int().optional(),
    labels: labelMap.optional(),
    annotations: z.record(z.string().max(316), z.string().max(262144)).optional(),
    ownerReferences: z.array(ownerReference).max(32).optional(),
    finalizers: z.array(z.string().min(1).max(316)).max(32).optional(),
    creationTimestamp: z.string().optional(),
    deletionTimestamp: z.string().optional(),
    managedFields: z.array(z.unknown()).optional(),
  })
  .strict();

/** ObjectMeta as the server stores it. */
export interface ObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  creationTimestamp: string;
  deletionTimestamp?: string;
}

/** A status condition, as in metav1.Condition. */
export const condition = z
  .object({
    type: z.string().min(1),
    status: z.enum(['True', 'False', 'Unknown']),
    reason: z.string().optional(),
    message: z.string().optional(),
    lastTransitionTime: z.string().optional(),
    observedGeneration: z.number().int().optional(),
  })
  .strict();
/** A status condition. */
export type Condition = z.infer<typeof condition>;

/** Any stored object: the envelope every kind shares. */
export interface KubeObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
  [extra: string]: unknown;
}

/** A reference to an object, as in an Event's involvedObject. */
export interface ObjectReference {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}
