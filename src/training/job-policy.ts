/**
 * Pure decisions of a training job's life: what a replica's exit means under its restart policy,
 * how long to back off before a restart, when the whole job has succeeded or failed, and what
 * phase that is. No I/O and no clock: times come in as arguments.
 */
import type { TrainingFramework } from '../api/kinds/training-job-schema.js';

/** A replica's restart policy. */
export type RestartPolicy = 'OnFailure' | 'Never' | 'ExitCode';

/** How a replica process ended. */
export interface ReplicaExit {
  exitCode: number | null;
  signal: string | null;
  /** The process never started (e.g. the command does not exist): restarting cannot help. */
  spawnError?: string;
}

/** What to do after an exit. */
export type ExitDecision = { action: 'succeeded' } | { action: 'restart'; delayMs: number } | { action: 'failed'; reason: string; message: string };

/** Exponential restart backoff: 0.5 s, 1 s, 2 s ... capped at 10 s (kubelet's shape, shorter). */
export function restartDelayMs(restartsSoFar: number, baseMs = 500, maxMs = 10_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, restartsSoFar));
}

function describeExit(e: ReplicaExit): string {
  if (e.spawnError) return e.spawnError;
  if (e.signal) return `killed by ${e.signal}`;
  return `exit code ${e.exitCode}`;
}

// Kubeflow's ExitCode policy: 1-127 are the program's own (permanent) errors, 128+ are signals (retryable).
function retryableExitCode(e: ReplicaExit): boolean {
  if (e.signal) return true;
  return e.exitCode !== null && e.exitCode >= 128;
}

/**
 * Decides on a replica's exit. `jobRestarts` counts restarts of every replica of the job so far:
 * backoffLimit bounds the job as a whole, like Kubeflow's.
 */
export function decideExit(policy: RestartPolicy, exit: ReplicaExit, jobRestarts: number, backoffLimit: number, baseDelayMs?: number): ExitDecision {
  if (!exit.spawnError && exit.exitCode === 0 && !exit.signal) return { action: 'succeeded' };
  const what = describeExit(exit);
  if (exit.spawnError) return { action: 'failed', reason: 'StartError', message: `the replica could not start: ${what}` };
  const wantsRestart = policy === 'OnFailure' || (policy === 'ExitCode' && retryableExitCode(exit));
  if (!wantsRestart) return { action: 'failed', reason: 'ReplicaFailed', message: `failed with ${what} (restartPolicy ${policy})` };
  if (jobRestarts >= backoffLimit) return { action: 'failed', reason: 'BackoffLimitExceeded', message: `failed with ${what} after ${jobRestarts} restart(s): backoffLimit ${backoffLimit} reached` };
  return { action: 'restart', delayMs: restartDelayMs(jobRestarts, baseDelayMs) };
}

/** A replica's state as the runtime reports it. */
export type ReplicaState = 'starting' | 'running' | 'restarting' | 'succeeded' | 'failed' | 'stopped';

/** One replica's observed state. */
export interface ReplicaObservation {
  role: string;
  index: number;
  state: ReplicaState;
  restarts: number;
  reason?: string;
  message?: string;
}

/** What the job as a whole is doing. */
export type JobOutcome = { kind: 'running'; restarting: boolean } | { kind: 'succeeded' } | { kind: 'failed'; reason: string; message: string };

// Parameter servers and evaluators serve until told to stop: the job's success never waits for them.
const SERVING_ROLES = ['ps', 'evaluator'];

/**
 * The job's outcome from its replicas: any permanently failed replica fails the job; TensorFlow
 * succeeds when its chief (or master) succeeds, or else when every worker has; other frameworks
 * when every replica has.
 */
export function jobOutcome(framework: TrainingFramework, replicas: ReplicaObservation[]): JobOutcome {
  const failed = replicas.find((r) => r.state === 'failed');
  if (failed) return { kind: 'failed', reason: failed.reason ?? 'ReplicaFailed', message: `${failed.role} ${failed.index}: ${failed.message ?? 'failed'}` };
  let deciders = replicas;
  if (framework === 'tensorflow') {
    const chief = replicas.filter((r) => ['chief', 'master'].includes(r.role.toLowerCase()));
    deciders = chief.length > 0 ? chief : replicas.filter((r) => !SERVING_ROLES.includes(r.role.toLowerCase()));
  }
  if (deciders.length > 0 && deciders.every((r) => r.state === 'succeeded')) return { kind: 'succeeded' };
  return { kind: 'running', restarting: replicas.some((r) => r.state === 'restarting') };
}

/** Per-role counts for status. */
export function roleCounts(replicas: ReplicaObservation[]): Record<string, { active: number; succeeded: number; failed: number; restarts: number }> {
  const out: Record<string, { active: number; succeeded: number; failed: number; restarts: number }> = {};
  for (const r of replicas) {
    const c = (out[r.role] ??= { active: 0, succeeded: 0, failed: 0, restarts: 0 });
    if (r.state === 'running' || r.state === 'starting') c.active++;
    else if (r.state === 'succeeded') c.succeeded++;
    else if (r.state === 'failed') c.failed++;
    c.restarts += r.restarts;
  }
  return out;
}

/** True once `activeDeadlineSeconds` has passed since the job started. */
export function deadlineExceeded(startTime: string | undefined, activeDeadlineSeconds: number | undefined, nowMs: number): boolean {
  if (!startTime || activeDeadlineSeconds === undefined) return false;
  return nowMs - Date.parse(startTime) >= activeDeadlineSeconds * 1000;
}

/** Milliseconds until the deadline fires (undefined when there is none). */
export function msUntilDeadline(startTime: string | undefined, activeDeadlineSeconds: number | undefined, nowMs: number): number | undefined {
  if (!startTime || activeDeadlineSeconds === undefined) return undefined;
  return Math.max(0, Date.parse(startTime) + activeDeadlineSeconds * 1000 - nowMs);
}
