/** The per-kind handlers of WorkloadSyncController: InferenceService, WorkloadPriorityClass, Project (TrainingJob: training-job-sync.ts). */
import type { Kind } from '../../api/kind.js';
import type { Condition, KubeObject } from '../../api/meta.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { clusterProjectQuota, isvcRevisionInput, priorityClassInput, projectInput, revisionOf } from './capstan-adapters.js';
import { KubeError } from './kube-errors.js';
import type { InferenceServiceSpec } from '../../api/kinds/inference-service-schema.js';
import { registryTokenSecretName } from './inference-manifests.js';
import type { KubernetesRuntime } from './kubernetes-runtime.js';
import { modelReadScope, registryModelOf, type RegistryTokenIssuer } from './registry-token.js';
import { targetClusterOf, type RuntimeRegistry } from './runtime-registry.js';
import type { SyncHandler } from './workload-sync-controller.js';

/** Image and registry URL defaults when the Cluster does not say. */
export interface SyncDefaults {
  image: string;
  registryUrl: string;
}

async function annotated(obj: KubeObject, runtimes: RuntimeRegistry): Promise<KubernetesRuntime[]> {
  const rt = await runtimes.byClusterName(targetClusterOf(obj));
  return rt ? [rt] : [];
}

function cond(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/**
 * InferenceService → one Deployment per spec generation; older revisions go once the new one is
 * ready. A model from the registry is pulled with a token that may only read that model: issued
 * when the cluster has none (or the model changed), applied as a Secret with the revision,
 * revoked when the service is deleted.
 */
export function inferenceServiceHandler(kind: Kind, runtimes: RuntimeRegistry, d: SyncDefaults, tokens?: RegistryTokenIssuer): SyncHandler {
  return {
    kind,
    writesStatus: true,
    targets: annotated,
    async apply(rt, obj) {
      const spec = runtimes.specOf(rt.clusterName);
      const revision = revisionOf(obj.spec as InferenceServiceSpec);
      const ns = obj.metadata.namespace ?? 'default';
      const model = registryModelOf((obj.spec as InferenceServiceSpec).predictor);
      const secret = model && tokens ? registryTokenSecretName(obj.metadata.name) : undefined;
      const input = isvcRevisionInput(obj, revision, { image: spec?.image ?? d.image, registryUrl: spec?.registryUrl ?? d.registryUrl, ...(secret ? { registryTokenSecret: secret } : {}) });
      await rt.requireNodesFor(input.nodeSelector);
      let registryToken: string | undefined;
      if (model && tokens) {
        const scope = modelReadScope(ns, model);
        const cur = await tokens.ofOwner(obj.metadata.uid);
        // The plain text exists only when issued: a cluster that has not had this token gets a new
        // one, and so does one whose Secret was deleted there (issuing revokes the old token).
        const owner = { kind: obj.kind, name: obj.metadata.name, uid: obj.metadata.uid, namespace: input.namespace };
        if (!cur || !cur.deliveredTo?.includes(rt.clusterName) || JSON.stringify(cur.scope) !== JSON.stringify(scope) || !(await rt.registryTokenSecretExists(owner, obj.metadata.name))) {
          registryToken = await tokens.issue({ kind: obj.kind, name: obj.metadata.name, uid: obj.metadata.uid, namespace: ns }, scope);
        }
      }
      await rt.applyInferenceRevision({ ...input, ...(registryToken ? { registryToken } : {}) });
      if (registryToken) await tokens!.markDelivered(obj.metadata.uid, rt.clusterName);
      const obs = await rt.observeInference(input.namespace, obj.metadata.uid);
      const cur = obs.find((o) => o.revision === revision);
      const ready = !!cur && cur.readyReplicas >= Math.max(1, Math.min(cur.desiredReplicas, 1));
      if (ready) for (const o of obs) if (o.revision !== revision) await rt.deleteRevision(input.namespace, obj.metadata.name, o.revision);
      const failure = cur?.failure;
      const msg = failure ? `${failure.pod}: ${failure.message}` : `${cur?.readyReplicas ?? 0} of ${cur?.desiredReplicas ?? input.replicas} replicas ready on cluster ${rt.clusterName}`;
      return {
        status: { latestRevision: revision, ...(ready ? { stableRevision: revision } : {}) },
        conditions: [cond('PredictorReady', ready, failure?.reason ?? (ready ? 'ReplicasReady' : 'ReplicasStarting'), msg), cond('Ready', ready, failure?.reason ?? (ready ? 'ReplicasReady' : 'ReplicasStarting'), msg)],
        ...(ready ? { requeueAfterMs: 60_000 } : { requeueAfterMs: 5_000 }),
      };
    },
    async onDeleted(obj) {
      await tokens?.revokeOwner(obj.metadata.uid);
    },
  };
}

/** WorkloadPriorityClass → a PriorityClass on every kubernetes cluster. */
export function priorityClassHandler(kind: Kind): SyncHandler {
  return { kind, writesStatus: false, targets: (_o, r) => r.allKubernetes(), async apply(rt, obj) { await rt.applyPriorityClass(priorityClassInput(obj)); return {}; } };
}

/**
 * Project → Namespace, ResourceQuota (the quota of the project's queues on that cluster's
 * flavors), Roles and a RoleBinding per role with members, on every kubernetes cluster. A
 * namespace that exists without Capstan's labels is someone else's: refused (NamespaceNotOwned)
 * unless spec.adoptNamespace, and even then never labelled, written or deleted by Capstan.
 */
export function projectHandler(kind: Kind, client: ResourceClient, localQueueKind: Kind | undefined, clusterQueueKind: Kind | undefined, flavorKind?: Kind): SyncHandler {
  return {
    kind,
    writesStatus: true,
    targets: (_o, r) => r.allKubernetes(),
    async apply(rt, obj) {
      const ns = obj.metadata.name;
      const adopt = (obj.spec as { adoptNamespace?: boolean } | undefined)?.adoptNamespace === true;
      const owner = await rt.namespaceOwnership(ns);
      if (owner === 'foreign' && !adopt) {
        throw new KubeError({ reason: 'NamespaceNotOwned', message: `namespace "${ns}" already exists on cluster ${rt.clusterName} and Capstan did not create it; set spec.adoptNamespace: true to use it (Capstan then adds its quota and roles there and never deletes the namespace)`, retryable: false });
      }
      let quota: Record<string, string | number> = {};
      if (localQueueKind && clusterQueueKind && flavorKind) {
        const names = new Set((await client.list(localQueueKind, { namespace: ns })).items.map((lq) => (lq.spec as { clusterQueue?: string } | undefined)?.clusterQueue).filter((n): n is string => !!n));
        const cqs = (await client.list(clusterQueueKind)).items.filter((cq) => names.has(cq.metadata.name));
        quota = clusterProjectQuota(cqs, (await client.list(flavorKind)).items, rt.clusterName);
      }
      await rt.applyProject(projectInput(obj, quota, owner === 'foreign'));
      return { conditions: [cond('NamespaceReady', true, owner === 'foreign' ? 'Adopted' : 'Applied', owner === 'foreign' ? `namespace ${ns} on cluster ${rt.clusterName} is used as it is (adopted: never deleted by Capstan)` : `namespace ${ns} on cluster ${rt.clusterName}`)] };
    },
  };
}
