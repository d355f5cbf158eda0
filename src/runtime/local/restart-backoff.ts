/** Pure restart policy: whether to restart after an exit, after how long, and with which reason. */
import type { BackoffSpec, ProcessSpec } from './process-spec.js';

/** What to do after a process exited. */
export interface RestartDecision {
  restart: boolean;
  delayMs: number;
  /** The phase's reason: CrashLoopBackOff, BackOff, Completed, Error, RestartLimitExceeded. */
  reason: string;
  consecutiveFailures: number;
}

/**
 * Decides after an exit. `ranMs` is how long the run lasted; a run longer than resetAfterMs clears the failure
 * count, as kubelet does. Delays double from initialMs up to maxMs.
 */
export function decideRestart(
  policy: ProcessSpec['restartPolicy'],
  exit: { code: number | null; signal: string | null },
  ranMs: number,
  prev: { restarts: number; consecutiveFailures: number },
  backoff: BackoffSpec,
  maxRestarts: number | undefined,
): RestartDecision {
  const succeeded = exit.code === 0;
  const failures = succeeded ? 0 : (ranMs >= backoff.resetAfterMs ? 0 : prev.consecutiveFailures) + 1;
  const wants = policy === 'Always' || (policy === 'OnFailure' && !succeeded);
  if (!wants) return { restart: false, delayMs: 0, reason: succeeded ? 'Completed' : 'Error', consecutiveFailures: failures };
  if (maxRestarts !== undefined && prev.restarts >= maxRestarts) return { restart: false, delayMs: 0, reason: 'RestartLimitExceeded', consecutiveFailures: failures };
  const delayMs = failures === 0 ? backoff.initialMs : Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1));
  const reason = failures >= backoff.crashLoopAfter ? 'CrashLoopBackOff' : 'BackOff';
  return { restart: true, delayMs, reason, consecutiveFailures: failures };
}
