/**
 * Writes a TrainingJob's status, only when it changed: the phase's conditions (job-status.ts),
 * target conditions such as ClusterSynced, and PlacementConflict while the annotation disagrees
 * with the admitted flavor. Queued and Suspended transitions are also Events.
 */
import { setCondition } from '../api/conditions.js';
import type { Condition, KubeObject } from '../api/meta.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { TrainingJobStatus } from '../api/kinds/training-job-schema.js';
import type { LocalClient } from '../client/local-client.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { withPlacementConflict } from '../queueing/index.js';
import { isTerminal, statusForPhase, type TrainingPhase } from './job-status.js';

/** The one status writer of TrainingJobs. */
export class JobStatusWriter {
  constructor(private readonly client: LocalClient, private readonly events: EventRecorder, private readonly now: () => Date) {}

  /** Writes `phase` with `reason`/`message`, `extra` fields and `conditions` over `prev`. */
  async write(job: KubeObject, prev: TrainingJobStatus, phase: TrainingPhase, reason: string, message: string, extra: Partial<TrainingJobStatus> = {}, conditions: Condition[] = [], conflict?: string): Promise<void> {
    const now = this.now().toISOString();
    let next = statusForPhase({ ...prev, ...extra }, phase, reason, message, now, job.metadata.generation);
    let conds = next.conditions;
    for (const c of conditions) conds = setCondition(conds, c, now);
    conds = withPlacementConflict(conds, conflict, now);
    next = { ...next, conditions: conds };
    if (JSON.stringify(next) === JSON.stringify(job.status ?? {})) return;
    if (phase !== prev.phase && (phase === 'Queued' || phase === 'Suspended')) await this.events.event(job, 'Normal', phase, message);
    // A conflict because the spec or metadata changed is retried on the fresh version: a lost
    // terminal status would relaunch a finished job. Other conflicts yield to the reconcile the
    // change brings (it sees the fresh state).
    let cur = job;
    for (let i = 0; i < 5; i++) {
      try {
        await this.client.updateStatus(TrainingJobKind, { ...cur, status: next });
        return;
      } catch (err) {
        const r = (err as { reason?: string }).reason;
        if (r === 'NotFound') return;
        if (r !== 'Conflict') throw err;
        const fresh = await this.client.tryGet(TrainingJobKind, job.metadata.namespace, job.metadata.name);
        if (!fresh || fresh.metadata.uid !== job.metadata.uid) return;
        if (!isTerminal(phase) && JSON.stringify(fresh.status ?? {}) !== JSON.stringify(job.status ?? {})) return;
        cur = fresh;
      }
    }
  }
}
