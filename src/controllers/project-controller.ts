/**
 * The Project controller: marks projects Active, and when one is deleted empties it (every
 * object of every kind in it) before releasing its finalizer.
 */
import type { Logger } from 'pino';
import { setCondition } from '../api/conditions.js';
import { PROJECT_FINALIZER, ProjectKind } from '../api/kinds/project.js';
import type { Condition, KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import type { ReconcileResult, Reconciler } from './runtime/controller.js';
import type { EventRecorder } from './runtime/event-recorder.js';
import { splitKey } from './runtime/informer.js';

interface ProjectStatus {
  phase?: 'Active' | 'Terminating';
  observedGeneration?: number;
  conditions?: Condition[];
}

/** Reconciles Projects. */
export class ProjectController implements Reconciler {
  readonly name = 'project';

  constructor(private readonly client: LocalClient, private readonly events: EventRecorder, private readonly log: Logger, private readonly now: () => Date = () => new Date()) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { name } = splitKey(key);
    const project = await this.client.tryGet(ProjectKind, undefined, name);
    if (!project) return;
    if (project.metadata.deletionTimestamp) return this.finalize(project);
    const status = (project.status ?? {}) as ProjectStatus;
    const ts = this.now().toISOString();
    const next: ProjectStatus = {
      phase: 'Active',
      observedGeneration: project.metadata.generation,
      conditions: setCondition(status.conditions, { type: 'Ready', status: 'True', reason: 'Active', message: 'The project accepts objects.', observedGeneration: project.metadata.generation }, ts),
    };
    if (status.phase !== 'Active' || status.observedGeneration !== project.metadata.generation) {
      await this.client.updateStatus(ProjectKind, { ...project, status: next });
      if (status.phase !== 'Active') await this.events.event(project, 'Normal', 'Created', `Project ${name} is active`);
    }
  }

  private async finalize(project: KubeObject): Promise<ReconcileResult | void> {
    const name = project.metadata.name;
    const status = (project.status ?? {}) as ProjectStatus;
    if (status.phase !== 'Terminating') {
      const ts = this.now().toISOString();
      await this.client.updateStatus(ProjectKind, {
        ...project,
        status: {
          ...status,
          phase: 'Terminating',
          conditions: setCondition(status.conditions, { type: 'Ready', status: 'False', reason: 'Terminating', message: 'The project is being deleted with everything in it.' }, ts),
        },
      });
    }
    const keys = await this.client.store.keysInNamespace(name);
    for (const k of keys) await this.client.store.deleteByKey(k);
    const left = await this.client.store.keysInNamespace(name);
    if (left.length > 0) {
      this.log.info({ project: name, remaining: left.length }, 'waiting for objects with finalizers');
      return { requeueAfterMs: 1000 };
    }
    const fresh = await this.client.get(ProjectKind, undefined, name);
    await this.client.update(ProjectKind, {
      ...fresh,
      metadata: { ...fresh.metadata, finalizers: (fresh.metadata.finalizers ?? []).filter((f) => f !== PROJECT_FINALIZER) },
    });
  }
}
