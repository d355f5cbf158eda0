/** Test helper: validates a manifest with kubernetes-models (the official OpenAPI schemas). */
import { Namespace, Pod, ResourceQuota, Service, Secret } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ServiceAccount, PersistentVolumeClaim } from 'kubernetes-models/v1';
// The client's typed serializer (generated from the same OpenAPI) drops fields it does not know:
// comparing before/after finds unknown fields, which the JSON schemas alone let through.
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { getSerializationType } from '@kubernetes/client-node/dist/util.js';
import { isDeepStrictEqual } from 'node:util';

type Validating = new (data: never) => { validate(): void };

const MODELS: Record<string, Validating> = {
  'v1/Namespace': Namespace, 'v1/Pod': Pod, 'v1/ResourceQuota': ResourceQuota, 'v1/Service': Service, 'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount, 'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment, 'batch/v1/Job': Job, 'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress, 'scheduling.k8s.io/v1/PriorityClass': PriorityClass,
  'rbac.authorization.k8s.io/v1/Role': Role, 'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole, 'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
};

/** Throws (with the schema's message and the object's name) unless the manifest is valid. */
export function assertValidManifest(m: { apiVersion: string; kind: string; metadata?: { name?: string } }): void {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  if (!Model) throw new Error(`no schema for ${m.apiVersion}/${m.kind}`);
  try {
    new Model(structuredClone(m) as never).validate();
  } catch (err) {
    throw new Error(`${m.kind}/${m.metadata?.name}: ${(err as Error).message}`);
  }
  const typed = ObjectSerializer.serialize(structuredClone(m), getSerializationType(m.apiVersion, m.kind), '') as unknown;
  const lost = firstDifference(m, typed, '');
  if (lost !== undefined) throw new Error(`${m.kind}/${m.metadata?.name}: unknown field ${lost} (additional property not in the Kubernetes schema)`);
}

function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of Object.keys(a as object)) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  return path || '.';
}
