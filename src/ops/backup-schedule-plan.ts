/**
 * When a BackupSchedule runs (pure: the time is passed in). Like a CronJob without backfill:
 * however many runs were missed (the platform was down, leadership moved), one backup is taken,
 * and the next is the first cron time after now.
 */
import { Cron } from 'croner';

/** The decision for one schedule at `now`. */
export interface BackupDecision {
  /** Take a backup now. */
  run: boolean;
  /** The next cron time after now. */
  next: Date | undefined;
}

/** Decides from the cron expression, the last scheduled run (or creation time) and now. */
export function backupDecision(schedule: string, timeZone: string, since: Date, now: Date): BackupDecision {
  const cron = new Cron(schedule, { paused: true, timezone: timeZone });
  const due = cron.nextRun(since);
  const next = cron.nextRun(now) ?? undefined;
  return { run: due !== null && due.getTime() <= now.getTime(), next };
}
