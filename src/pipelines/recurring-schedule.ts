/**
 * When a RecurringRun starts runs, pure over its spec, last schedule time and now: the times due
 * (every missed one with catch-up, else only the latest) and the next time to look. Cron parsing
 * is croner's (a kept library), not ours.
 */
import { Cron } from 'croner';
import type { RecurringRunSpec } from '../api/kinds/pipeline-schemas.js';

/** The schedule's verdict. */
export interface ScheduleDecision {
  due: Date[];
  next?: Date;
}

/** Checks a cron expression; returns the problem or undefined. */
export function cronProblem(expr: string, timezone?: string): string | undefined {
  try {
    new Cron(expr, { timezone, paused: true });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Times after `after` up to `now` (bounded), and the first one after `now`. */
function timesBetween(s: RecurringRunSpec['schedule'], after: Date, now: Date, limit: number): { times: Date[]; next?: Date } {
  const times: Date[] = [];
  if (s.intervalSeconds) {
    const step = s.intervalSeconds * 1000;
    let t = after.getTime() + step;
    for (; t <= now.getTime(); t += step) {
      times.push(new Date(t));
      if (times.length > limit) times.shift();
    }
    return { times, next: new Date(t) };
  }
  const cron = new Cron(s.cron!, { timezone: s.timezone, paused: true });
  let t: Date | null = after;
  for (;;) {
    t = cron.nextRun(t);
    if (!t || t.getTime() > now.getTime()) break;
    times.push(t);
    if (times.length > limit) times.shift();
  }
  return { times, next: t ?? undefined };
}

/** Due times and the next time, given the last schedule time (else the start/creation time). */
export function scheduleDue(spec: RecurringRunSpec, last: Date, now: Date): ScheduleDecision {
  const s = spec.schedule;
  const start = s.startTime ? new Date(s.startTime) : undefined;
  const end = s.endTime ? new Date(s.endTime) : undefined;
  const from = start && start.getTime() > last.getTime() ? new Date(start.getTime() - 1) : last;
  const cap = end && end.getTime() < now.getTime() ? end : now;
  const { times, next } = timesBetween(s, from, cap, 1000);
  const due = spec.catchup ? times : times.slice(-1);
  return { due, next: next && (!end || next.getTime() <= end.getTime()) ? next : undefined };
}
