/** What a supervised process is: command, environment, log file, probes, restart and termination policy. */

/** An HTTP GET (2xx = success) or a TCP connect probe against the process's allocated port. */
export interface ProbeSpec {
  kind: 'http' | 'tcp';
  /** Path for HTTP probes, e.g. `/v2/health/ready`. */
  path?: string;
  /** Port to probe; defaults to the port allocated for the process. */
  port?: number;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  /** Consecutive failures before the probe counts as failed (readiness: not ready; liveness: restart). */
  failureThreshold: number;
}

/** Exponential restart backoff and when repeated failures become CrashLoopBackOff. */
export interface BackoffSpec {
  initialMs: number;
  maxMs: number;
  /** A run this long (ms) resets the failure count. */
  resetAfterMs: number;
  /** This many consecutive failures turn the reason into CrashLoopBackOff. */
  crashLoopAfter: number;
}

/** One process to supervise. `$(PORT)` in args is replaced with the allocated port, which is also `PORT` in env. */
export interface ProcessSpec {
  /** Unique within a runtime, e.g. `default/digits/digits-3f2a1c/0`. */
  id: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  /** Inherit this process's environment under `env` (default true). */
  inheritEnv?: boolean;
  cwd?: string;
  /** Allocate a free 127.0.0.1 port for each start (default false). */
  allocatePort?: boolean;
  /** stdout and stderr are appended here (directories are created). */
  logFile: string;
  readiness?: ProbeSpec;
  liveness?: ProbeSpec;
  /** Always (serving), OnFailure (a job's retries), Never. */
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  /** Restarts allowed before the process is Failed for good (default unbounded). */
  maxRestarts?: number;
  backoff?: Partial<BackoffSpec>;
  /** SIGTERM → this long → SIGKILL of the whole process group (default 10 s). */
  terminationGraceMs?: number;
}

/** Where a supervised process is in its life. */
export type ProcessPhase = 'Starting' | 'Running' | 'BackOff' | 'Terminating' | 'Succeeded' | 'Failed' | 'Stopped';

/** A point-in-time view of a supervised process. */
export interface ProcessStatus {
  id: string;
  phase: ProcessPhase;
  /** Readiness: true once the readiness probe passed (or at spawn when there is none). */
  ready: boolean;
  pid?: number;
  port?: number;
  restarts: number;
  /** Consecutive failed runs (reset by a long enough run). */
  consecutiveFailures: number;
  /** Machine-readable why, e.g. CrashLoopBackOff, LivenessProbeFailed, Completed, Error. */
  reason?: string;
  message?: string;
  lastExit?: { code: number | null; signal: string | null; at: number };
  startedAt?: number;
  /** When the next restart is due while in BackOff. */
  nextRestartAt?: number;
}

/** Something that happened to a process, for the caller to record (e.g. as an Event). */
export interface ProcessEvent {
  id: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** Defaults of BackoffSpec: 0.5 s doubling to 30 s, reset after 60 s of running, CrashLoopBackOff after 3 failures. */
export const DEFAULT_BACKOFF: BackoffSpec = Object.freeze({ initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000, crashLoopAfter: 3 });
