/**
 * Runs Capstan objects on kubernetes Clusters: one reconciler per kind, parametrized by a
 * handler. It adds the cleanup finalizer, applies through the runtime, writes what it observes
 * (conditions with the cluster's own reason and message, Events), retries with backoff, and on
 * deletion removes everything from the cluster before letting the object go.
 */
import { setCondition } from '../../api/conditions.js';
import type { Kind } from '../../api/kind.js';
import type { Condition, KubeObject } from '../../api/meta.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Reconciler, ReconcileResult } from '../../controllers/runtime/controller.js';
import type { EventRecorder } from '../../controllers/runtime/event-recorder.js';
import { splitKey } from '../../controllers/runtime/informer.js';
import { backoffDelayMs, classifyError } from './kube-errors.js';
import type { KubernetesRuntime } from './kubernetes-runtime.js';
import { CLEANUP_FINALIZER, withoutPlacement, withPlacement } from './managed-labels.js';
import type { RuntimeRegistry } from './runtime-registry.js';

/** What a kind contributes: where it runs, how it is applied, what status it reports. */
export interface SyncHandler {
  kind: Kind;
  /** The kubernetes runtimes this object belongs on (empty: not Kubernetes' business). */
  targets(obj: KubeObject, runtimes: RuntimeRegistry): Promise<KubernetesRuntime[]>;
  /** Applies the object's manifests; returns a status patch to merge (conditions are added by the controller). */
  apply(rt: KubernetesRuntime, obj: KubeObject): Promise<{ status?: Record<string, unknown>; conditions?: Condition[]; requeueAfterMs?: number }>;
  /** False for kinds whose status belongs to nobody here (they get Events only). */
  writesStatus: boolean;
  /** After every cluster object is gone, before the finalizer goes (e.g. revoke credentials). */
  onDeleted?(obj: KubeObject): Promise<void>;
}

/** The reconciler for one handler. */
export class WorkloadSyncController implements Reconciler {
  readonly name: string;
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly handler: SyncHandler,
    private readonly client: ResourceClient,
    private readonly runtimes: RuntimeRegistry,
    private readonly recorder: EventRecorder,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.name = `kubernetes-${handler.kind.plural}`;
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const kind = this.handler.kind;
    const obj = await this.client.tryGet(kind, namespace, name);
    if (!obj) return;
    const hasFinalizer = obj.metadata.finalizers?.includes(CLEANUP_FINALIZER) ?? false;
    if (obj.metadata.deletionTimestamp) {
      if (!hasFinalizer) return;
      return this.cleanup(key, obj);
    }
    const targets = await this.handler.targets(obj, this.runtimes);
    if (targets.length === 0) return;
    // Record the clusters before anything is applied there, so cleanup asks only those.
    const tracked = withPlacement(obj, targets.map((t) => t.clusterName));
    if (tracked) {
      await this.client.update(kind, tracked);
      return; // the update wakes us again with the new resourceVersion
    }
    const ts = this.now().toISOString();
    let conditions = (obj.status as { conditions?: Condition[] } | undefined)?.conditions;
    let patch: Record<string, unknown> = {};
    let requeue: number | undefined;
    try {
      // Every target is tried: one unreachable cluster must not keep the others from being applied.
      let firstErr: unknown;
      for (const rt of targets) {
        let r: Awaited<ReturnType<SyncHandler['apply']>>;
        try {
          r = await this.handler.apply(rt, obj);
        } catch (err) {
          firstErr ??= err;
          continue;
        }
        patch = { ...patch, ...(r.status ?? {}) };
        for (const c of r.conditions ?? []) conditions = setCondition(conditions, c, ts);
        if (r.requeueAfterMs !== undefined) requeue = Math.min(requeue ?? Infinity, r.requeueAfterMs);
      }
      if (firstErr !== undefined) throw firstErr;
      this.attempts.delete(key);
      conditions = setCondition(conditions, { type: 'ClusterSynced', status: 'True', reason: 'Applied', message: `applied to cluster ${targets.map((t) => t.clusterName).join(', ')}` }, ts);
    } catch (err) {
      const f = classifyError(err);
      const n = this.attempts.get(key) ?? 0;
      this.attempts.set(key, n + 1);
      const prevMsg = conditions?.find((c) => c.type === 'ClusterSynced')?.message;
      conditions = setCondition(conditions, { type: 'ClusterSynced', status: 'False', reason: f.reason, message: f.message }, ts);
      if (prevMsg !== f.message) await this.recorder.event(obj, 'Warning', f.reason, f.message);
      requeue = f.retryable ? backoffDelayMs(n) : undefined;
    }
    if (this.handler.writesStatus) await this.writeStatus(obj, { ...patch, conditions });
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  private async writeStatus(obj: KubeObject, next: Record<string, unknown>): Promise<void> {
    const prev = (obj.status ?? {}) as Record<string, unknown>;
    const status = { ...prev, ...next, observedGeneration: obj.metadata.generation };
    if (JSON.stringify(status) === JSON.stringify(prev)) return;
    await this.client.updateStatus(this.handler.kind, { ...obj, status });
  }

  /**
   * Deletes the object's resources on the clusters recorded in its placed-clusters annotation
   * (every kubernetes cluster for an object from before the annotation), then drops the record
   * and the finalizer. A cluster that is not in the record is never asked, so an unrelated
   * unreachable cluster cannot hold the deletion.
   */
  private async cleanup(key: string, obj: KubeObject): Promise<ReconcileResult | void> {
    let remaining = 0;
    try {
      for (const rt of await this.runtimes.placedRuntimes(obj)) remaining += await rt.deleteOwned(obj.metadata.uid, obj.kind);
    } catch (err) {
      const f = classifyError(err);
      const n = this.attempts.get(key) ?? 0;
      this.attempts.set(key, n + 1);
      await this.recorder.event(obj, 'Warning', 'CleanupFailed', `cannot remove the object's cluster resources yet (${f.reason}): ${f.message}`);
      return { requeueAfterMs: backoffDelayMs(n, 1000, 30_000) };
    }
    if (remaining > 0) return { requeueAfterMs: 1000 };
    this.attempts.delete(key);
    await this.handler.onDeleted?.(obj);
    const fresh = await this.client.tryGet(this.handler.kind, obj.metadata.namespace, obj.metadata.name);
    if (!fresh || fresh.metadata.uid !== obj.metadata.uid) return;
    await this.client.update(this.handler.kind, withoutPlacement(fresh));
  }
}
