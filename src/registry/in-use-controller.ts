/**
 * Keeps `capstan.dev/model-in-use` on each ModelVersion that something holds (an object in the
 * project labelled `capstan.dev/model-version=<name>`, e.g. an InferenceService) and removes it
 * when nothing does, so a held version survives even deletes that bypass the HTTP guard (cascades).
 */
import type { Logger } from 'pino';
import { setCondition } from '../api/conditions.js';
import { MODEL_IN_USE_FINALIZER, MODEL_VERSION_LABEL, ModelVersionKind, type ModelVersionStatus } from '../api/kinds/model-version.js';
import type { KubeObject } from '../api/meta.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { splitKey } from '../controllers/runtime/informer.js';
import type { ModelRegistry } from './model-registry.js';

/** Keys of the ModelVersions an object holds (for the controller's secondary watches). */
export function heldVersionKeys(obj: KubeObject): string[] {
  const v = obj.metadata.labels?.[MODEL_VERSION_LABEL];
  return v && obj.metadata.namespace ? [`${obj.metadata.namespace}/${v}`] : [];
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return (a ?? []).length === b.length && b.every((x, i) => a?.[i] === x);
}

/** Reconciles ModelVersions' in-use finalizer and `status.usedBy`. */
export class ModelInUseController implements Reconciler {
  readonly name = 'model-in-use';

  constructor(
    private readonly registry: ModelRegistry,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const client = this.registry.client;
    let mv = await client.tryGet(ModelVersionKind, namespace, name);
    if (!mv || !namespace) return;
    const holders = await this.registry.holdersOf(namespace, name);
    const fins = mv.metadata.finalizers ?? [];
    const has = fins.includes(MODEL_IN_USE_FINALIZER);
    if (holders.length > 0 && !has && !mv.metadata.deletionTimestamp) {
      mv = await client.update(ModelVersionKind, { ...mv, metadata: { ...mv.metadata, finalizers: [...fins, MODEL_IN_USE_FINALIZER] } });
    } else if (holders.length === 0 && has) {
      mv = await client.update(ModelVersionKind, { ...mv, metadata: { ...mv.metadata, finalizers: fins.filter((f) => f !== MODEL_IN_USE_FINALIZER) } });
      if (mv.metadata.deletionTimestamp && !mv.metadata.finalizers?.length) return; // it is gone now
    }
    const status = (mv.status ?? {}) as ModelVersionStatus;
    if (!sameList(status.usedBy, holders) || status.observedGeneration !== mv.metadata.generation) {
      const inUse = holders.length > 0;
      const next: ModelVersionStatus = {
        ...status,
        usedBy: holders,
        observedGeneration: mv.metadata.generation,
        conditions: setCondition(status.conditions, {
          type: 'Ready',
          status: 'True',
          reason: inUse ? 'InUse' : 'Registered',
          message: inUse ? `Used by ${holders.join(', ')}.` : 'Registered; nothing uses it.',
          observedGeneration: mv.metadata.generation,
        }, this.now().toISOString()),
      };
      await client.updateStatus(ModelVersionKind, { ...mv, status: next });
    }
    if (mv.metadata.deletionTimestamp && holders.length > 0) {
      await this.events.event(mv, 'Warning', 'DeletionBlocked', `ModelVersion ${name} is in use by ${holders.join(', ')}`);
      this.log.info({ kind: 'ModelVersion', namespace, name, holders }, 'deletion waits for holders');
      return { requeueAfterMs: 2000 };
    }
  }
}
