/**
 * BackupSchedule: backs the platform (or one project) up on a cron schedule to a directory or an
 * S3 prefix, keeping the newest `retention.keepLast` and none older than `retention.maxAgeDays`.
 * Cluster-scoped: a backup reads every project's objects and the server-wide settings, and its
 * target holds them all, so only cluster admins may create one (a project backup is still a
 * cluster-level decision about where a copy of that project's data goes).
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { condition, objectName } from '../meta.js';

const cron = z.string().min(1).max(128).refine((s) => {
  try {
    new Cron(s, { paused: true });
    return true;
  } catch {
    return false;
  }
}, 'must be a cron expression, e.g. "0 3 * * *" (minute hour day month weekday)');

/** The spec of a BackupSchedule. */
export const backupScheduleSpec = z
  .object({
    /** Cron expression (5 or 6 fields), evaluated in `timeZone`. */
    schedule: cron,
    timeZone: z.string().max(64).default('UTC'),
    /** A directory on the leader's machine, or s3://bucket/prefix (the server's CAPSTAN_S3_* settings). */
    target: z.string().min(1).max(1024),
    /** Back up only this project (its objects and models). */
    project: objectName.optional(),
    retention: z
      .object({
        keepLast: z.number().int().min(1).max(10_000).optional(),
        maxAgeDays: z.number().positive().max(36_500).optional(),
      })
      .strict()
      .default({ keepLast: 7 }),
    suspend: z.boolean().default(false),
  })
  .strict();
/** A BackupSchedule spec as stored. */
export type BackupScheduleSpec = z.infer<typeof backupScheduleSpec>;

const backupSummary = z
  .object({
    id: z.string(),
    objects: z.number().int(),
    blobs: z.number().int(),
    copiedBytes: z.number().int(),
    durationSeconds: z.number(),
  })
  .strict();

/** The status of a BackupSchedule. */
export const backupScheduleStatus = z
  .object({
    observedGeneration: z.number().int().optional(),
    lastScheduleTime: z.string().optional(),
    lastSuccessfulTime: z.string().optional(),
    nextScheduleTime: z.string().optional(),
    lastBackup: backupSummary.optional(),
    /** Backups of this schedule in the target, oldest first. */
    backups: z.array(z.string()).max(10_000).optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();
/** A BackupSchedule status as stored. */
export type BackupScheduleStatus = z.infer<typeof backupScheduleStatus>;

/** The BackupSchedule kind. */
export const BackupScheduleKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'BackupSchedule',
  plural: 'backupschedules',
  singular: 'backupschedule',
  shortNames: ['bs', 'backups'],
  namespaced: false,
  description: 'Backs the platform or one project up on a cron schedule to a directory or S3, with retention.',
  body: z.object({ spec: backupScheduleSpec, status: backupScheduleStatus.optional() }),
  status: backupScheduleStatus,
  columns: [
    { name: 'SCHEDULE', value: (o) => (o.spec as BackupScheduleSpec).schedule },
    { name: 'TARGET', value: (o) => (o.spec as BackupScheduleSpec).target },
    { name: 'LAST', value: (o) => (o.status as BackupScheduleStatus | undefined)?.lastSuccessfulTime ?? '' },
    { name: 'NEXT', value: (o) => (o.status as BackupScheduleStatus | undefined)?.nextScheduleTime ?? '', wide: true },
    { name: 'BACKUPS', value: (o) => String((o.status as BackupScheduleStatus | undefined)?.backups?.length ?? 0) },
  ],
});
