/** Keeps each Model's `status.latestVersion` and `status.versionCount` true to its ModelVersions. */
import { ModelVersionKind, type ModelVersionSpec } from '../api/kinds/model-version.js';
import { ModelKind, type ModelStatus } from '../api/kinds/model.js';
import { ApiError } from '../api/errors.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import { splitKey } from '../controllers/runtime/informer.js';
import { latestOf } from './model-ref.js';
import { listModelVersions } from './resolve-model-ref.js';

/** The Model key a ModelVersion belongs to (for the controller's secondary watch). */
export function modelKeyOfVersion(obj: KubeObject): string[] {
  const model = (obj.spec as ModelVersionSpec | undefined)?.model;
  return model && obj.metadata.namespace ? [`${obj.metadata.namespace}/${model}`] : [];
}

/** Reconciles Model status from its versions. */
export class ModelStatusController implements Reconciler {
  readonly name = 'model-status';

  constructor(private readonly client: LocalClient) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    if (!namespace) return;
    const model = await this.client.tryGet(ModelKind, namespace, name);
    if (!model || model.metadata.deletionTimestamp) return;
    const versions = await listModelVersions(this.client, namespace, name);
    const status = (model.status ?? {}) as ModelStatus;
    const latest = latestOf(versions)?.spec.version;
    if (status.latestVersion === latest && status.versionCount === versions.length && status.observedGeneration === model.metadata.generation) return;
    const next: ModelStatus = { ...status, versionCount: versions.length, observedGeneration: model.metadata.generation };
    if (latest) next.latestVersion = latest;
    else delete next.latestVersion;
    try {
      // resourceVersion pins the read: an alias move in between makes this a Conflict, retried with fresh state
      await this.client.updateStatus(ModelKind, { ...model, status: next });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'Conflict') return { requeueAfterMs: 50 };
      throw err;
    }
  }
}

/** Re-export so the module wires both kinds from one place. */
export { ModelVersionKind };
