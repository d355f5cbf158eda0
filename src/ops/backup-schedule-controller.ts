/**
 * The BackupSchedule controller (leader only, like every controller). A due backup runs in the
 * background, never inside a reconcile; when it ends the key is queued again and the reconcile
 * records the outcome in status (last backup, next time, the schedule's backups), applies the
 * retention and writes an Event per backup.
 */
import type { Logger } from 'pino';
import { setCondition } from '../api/conditions.js';
import { BackupScheduleKind, type BackupScheduleSpec, type BackupScheduleStatus } from '../api/kinds/backup-schedule.js';
import type { KubeObject } from '../api/meta.js';
import type { BlobStore } from '../artifacts/blob-store.js';
import type { ResourceClient } from '../client/resource-client.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import type { StorageBackend } from '../store/backend.js';
import { openBackupTarget, type S3Connection } from './backup-target.js';
import { createBackup } from './backup.js';
import { backupDecision } from './backup-schedule-plan.js';
import { listBackups, pruneBackups } from './restore.js';

/** What the controller needs. */
export interface BackupScheduleDeps {
  client: ResourceClient;
  backend: StorageBackend;
  artifacts?: BlobStore;
  s3: S3Connection;
  recorder: EventRecorder;
  log: Logger;
  now?: () => Date;
  /** Called when a background backup ends (the manager's queue). */
  enqueue(key: string): void;
}

interface Outcome {
  startedAt: Date;
  done?: { ok: true; id: string; objects: number; blobs: number; copiedBytes: number; seconds: number } | { ok: false; error: string; seconds: number };
}

/** Reconciles BackupSchedules. */
export class BackupScheduleController implements Reconciler {
  readonly name = 'backupschedule';
  private readonly runs = new Map<string, Outcome>();

  constructor(private readonly d: BackupScheduleDeps) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const obj = await this.d.client.tryGet(BackupScheduleKind, undefined, key);
    if (!obj) return;
    const spec = obj.spec as BackupScheduleSpec;
    const status: BackupScheduleStatus = { ...((obj.status as BackupScheduleStatus | undefined) ?? {}) };
    const now = (this.d.now ?? (() => new Date()))();
    const iso = now.toISOString();
    const run = this.runs.get(key);
    if (run?.done) {
      this.runs.delete(key);
      await this.finish(obj, status, run, iso);
    } else if (run) {
      return { requeueAfterMs: 60_000 }; // running; its end queues the key
    }
    const since = new Date(status.lastScheduleTime ?? obj.metadata.creationTimestamp);
    const decision = backupDecision(spec.schedule, spec.timeZone, since, now);
    if (decision.run && !spec.suspend && !this.runs.has(key)) {
      status.lastScheduleTime = iso;
      this.start(key, obj.metadata.name, spec, now);
    }
    status.nextScheduleTime = spec.suspend ? undefined : decision.next?.toISOString();
    status.observedGeneration = obj.metadata.generation;
    await this.writeStatus(obj, status);
    if (spec.suspend || !decision.next) return;
    return { requeueAfterMs: Math.max(1000, decision.next.getTime() - now.getTime()) };
  }

  private start(key: string, name: string, spec: BackupScheduleSpec, now: Date): void {
    const outcome: Outcome = { startedAt: now };
    this.runs.set(key, outcome);
    const t0 = performance.now();
    void (async () => {
      try {
        const target = openBackupTarget(spec.target, this.d.s3);
        const m = await createBackup({ backend: this.d.backend, artifacts: this.d.artifacts, target, now, project: spec.project, schedule: name, log: this.d.log });
        await pruneBackups(target, { schedule: name, keepLast: spec.retention.keepLast, maxAgeMs: spec.retention.maxAgeDays ? spec.retention.maxAgeDays * 86_400_000 : undefined }, now);
        outcome.done = { ok: true, id: m.id, objects: m.snapshot.objects, blobs: m.blobs.length, copiedBytes: m.copiedBytes, seconds: (performance.now() - t0) / 1000 };
      } catch (err) {
        outcome.done = { ok: false, error: (err as Error).message, seconds: (performance.now() - t0) / 1000 };
      }
      this.d.enqueue(key);
    })();
  }

  private async finish(obj: KubeObject, status: BackupScheduleStatus, run: Outcome, iso: string): Promise<void> {
    const spec = obj.spec as BackupScheduleSpec;
    const done = run.done!;
    if (done.ok) {
      status.lastSuccessfulTime = iso;
      status.lastBackup = { id: done.id, objects: done.objects, blobs: done.blobs, copiedBytes: done.copiedBytes, durationSeconds: Math.round(done.seconds * 1000) / 1000 };
      try {
        const all = await listBackups(openBackupTarget(spec.target, this.d.s3));
        status.backups = all.filter((b) => b.manifest?.schedule === obj.metadata.name).map((b) => b.id);
      } catch (err) {
        this.d.log.warn({ err: (err as Error).message }, 'backup schedule: listing the target failed');
      }
      status.conditions = setCondition(status.conditions, { type: 'LastBackupSucceeded', status: 'True', reason: 'Completed', message: `backup ${done.id}: ${done.objects} objects, ${done.blobs} blobs, ${done.copiedBytes} bytes copied in ${done.seconds.toFixed(1)} s` }, iso);
      await this.d.recorder.event(obj, 'Normal', 'BackupCompleted', `Backup ${done.id} to ${spec.target}: ${done.objects} objects, ${done.blobs} artifact blobs (${done.copiedBytes} bytes new) in ${done.seconds.toFixed(1)} s`);
    } else {
      status.conditions = setCondition(status.conditions, { type: 'LastBackupSucceeded', status: 'False', reason: 'Failed', message: done.error }, iso);
      await this.d.recorder.event(obj, 'Warning', 'BackupFailed', `Backup to ${spec.target} failed: ${done.error}`);
    }
  }

  private async writeStatus(obj: KubeObject, status: BackupScheduleStatus): Promise<void> {
    const clean = Object.fromEntries(Object.entries(status).filter(([, v]) => v !== undefined));
    if (JSON.stringify(clean) === JSON.stringify(obj.status ?? {})) return;
    await this.d.client.updateStatus(BackupScheduleKind, { ...obj, status: clean });
  }
}
