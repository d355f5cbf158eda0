/**
 * Supervises one process: spawns it as the leader of its own process group with output appended to a log file,
 * runs readiness and liveness probes, restarts it with exponential backoff (CrashLoopBackOff after repeated
 * failures, the last log lines in the event), and terminates the whole group gracefully (SIGTERM, grace, SIGKILL).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { freePort } from './free-port.js';
import { spawnWithLifeline } from './lifeline.js';
import { tailLines } from './log-file.js';
import { probeOnce } from './probe.js';
import { signalGroup } from './process-group.js';
import { DEFAULT_BACKOFF, type BackoffSpec, type ProbeSpec, type ProcessEvent, type ProcessSpec, type ProcessStatus } from './process-spec.js';
import { decideRestart } from './restart-backoff.js';

/** Callbacks of a supervisor; the runtime uses onSpawn/onGone to track live process groups. */
export interface SupervisorHooks {
  onChange?: (status: ProcessStatus) => void;
  onEvent?: (event: ProcessEvent) => void;
  onSpawn?: (pgid: number) => void;
  onGone?: (pgid: number) => void;
  /** The environment the process inherits (the server's, passed down from its config). */
  inheritedEnv?: Readonly<Record<string, string | undefined>>;
}

/** How many log lines a crash event carries. */
const CRASH_LOG_LINES = 8;

/** One supervised process (restarted per its policy until stop()). */
export class ProcessSupervisor {
  private st: ProcessStatus;
  private child: ChildProcess | undefined;
  private stopping = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private exitWaiters: Array<() => void> = [];
  private killReason: string | undefined;
  private readonly backoff: BackoffSpec;

  constructor(readonly spec: ProcessSpec, private readonly hooks: SupervisorHooks = {}) {
    this.st = { id: spec.id, phase: 'Starting', ready: false, restarts: 0, consecutiveFailures: 0 };
    this.backoff = { ...DEFAULT_BACKOFF, ...spec.backoff };
  }

  /** Starts the first run. */
  start(): void {
    void this.launch();
  }

  /** The current status (a copy). */
  status(): ProcessStatus {
    return { ...this.st };
  }

  /** The process group of the current run (its leader's pid), if running. */
  get pgid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Sends a signal to the current run's main process only (tests and benchmarks simulate crashes with it). */
  signal(sig: NodeJS.Signals): boolean {
    const pid = this.pgid;
    if (pid === undefined) return false;
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** The last lines of this process's log file. */
  tail(lines: number): Promise<string[]> {
    return tailLines(this.spec.logFile, lines);
  }

  /** Stops for good: SIGTERM to the group, SIGKILL after the grace period; resolves once the group is gone. */
  async stop(graceMs = this.spec.terminationGraceMs ?? 10_000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const pgid = this.pgid;
    if (pgid === undefined) {
      this.update({ phase: 'Stopped', ready: false, nextRestartAt: undefined });
      return;
    }
    this.update({ phase: 'Terminating', ready: false });
    const exited = new Promise<void>((r) => this.exitWaiters.push(r));
    signalGroup(pgid, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(pgid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(kill);
  }

  private update(patch: Partial<ProcessStatus>): void {
    this.st = { ...this.st, ...patch };
    this.hooks.onChange?.(this.status());
  }

  private emit(type: ProcessEvent['type'], reason: string, message: string): void {
    this.hooks.onEvent?.({ id: this.spec.id, type, reason, message });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async launch(): Promise<void> {
    if (this.stopping) return;
    const spec = this.spec;
    let port: number | undefined;
    try {
      port = spec.allocatePort ? await freePort() : undefined;
    } catch (err) {
      return this.onExit(null, null, Date.now(), `no free port: ${(err as Error).message}`);
    }
    if (this.stopping) return;
    const args = spec.args.map((a) => (port === undefined ? a : a.replaceAll('$(PORT)', String(port))));
    const env: Record<string, string | undefined> = { ...(spec.inheritEnv === false ? {} : (this.hooks.inheritedEnv ?? {})), ...spec.env };
    if (port !== undefined) env.PORT = String(port);
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const fd = openSync(spec.logFile, 'a');
    const startedAt = Date.now();
    let child: ChildProcess;
    try {
      writeSync(fd, `--- capstan: run ${this.st.restarts + 1} started ${new Date(startedAt).toISOString()}${port !== undefined ? ` on port ${port}` : ''} ---\n`);
      // The child leads its own process group, so the whole tree can be signalled at once, and a lifeline ends
      // that group if this process dies without stopping it (even by SIGKILL).
      child = spawnWithLifeline(spec.command, args, { output: fd, env, cwd: spec.cwd });
    } catch (err) {
      try {
        writeSync(fd, `capstan: spawn failed: ${(err as Error).message}\n`);
      } catch {
        // the reason is in the status either way
      }
      closeSync(fd);
      return this.onExit(127, null, startedAt, `spawn failed: ${(err as Error).message}`);
    }
    // the child holds its own copy of the descriptor
    closeSync(fd);
    this.child = child;
    this.killReason = undefined;
    child.once('error', (err) => {
      // spawn errors (ENOENT, EACCES) come without an exit event
      if (child.pid === undefined) this.onExit(127, null, startedAt, `spawn failed: ${err.message}`);
    });
    if (child.pid === undefined) return;
    const pgid = child.pid;
    this.hooks.onSpawn?.(pgid);
    child.once('exit', (code, signal) => {
      // leftovers of the tree (children of the main process) go with it
      signalGroup(pgid, 'SIGKILL');
      this.hooks.onGone?.(pgid);
      if (this.child === child) this.child = undefined;
      this.onExit(code, signal, startedAt);
    });
    this.update({ phase: 'Running', ready: spec.readiness === undefined, pid: pgid, port, startedAt, nextRestartAt: undefined, reason: undefined, message: undefined });
    if (spec.readiness) this.runReadiness(child, spec.readiness, port);
    if (spec.liveness) this.runLiveness(child, spec.liveness, port);
  }

  private isCurrent(child: ChildProcess): boolean {
    return this.child === child && !this.stopping;
  }

  private runReadiness(child: ChildProcess, probe: ProbeSpec, port: number | undefined): void {
    let failures = 0;
    const tick = async (): Promise<void> => {
      if (!this.isCurrent(child)) return;
      const ok = await probeOnce(probe.kind, probe.port ?? port ?? 0, probe.path ?? '/', probe.timeoutMs);
      if (!this.isCurrent(child)) return;
      if (ok) {
        failures = 0;
        if (!this.st.ready) this.update({ ready: true });
      } else if (++failures >= probe.failureThreshold && this.st.ready) {
        this.update({ ready: false, message: `readiness probe failed ${failures} times` });
      }
      // Until first ready, probe often: a replica's start-up time is on the cold-start path.
      this.later(this.st.ready ? probe.periodMs : Math.min(probe.periodMs, 100), () => void tick());
    };
    this.later(probe.initialDelayMs, () => void tick());
  }

  private runLiveness(child: ChildProcess, probe: ProbeSpec, port: number | undefined): void {
    let failures = 0;
    const tick = async (): Promise<void> => {
      if (!this.isCurrent(child)) return;
      const ok = await probeOnce(probe.kind, probe.port ?? port ?? 0, probe.path ?? '/', probe.timeoutMs);
      if (!this.isCurrent(child)) return;
      failures = ok ? 0 : failures + 1;
      if (failures >= probe.failureThreshold) {
        this.killReason = 'LivenessProbeFailed';
        this.emit('Warning', 'LivenessProbeFailed', `${this.spec.id}: liveness probe failed ${failures} times; restarting`);
        const pgid = child.pid;
        if (pgid !== undefined) {
          signalGroup(pgid, 'SIGTERM');
          this.later(this.spec.terminationGraceMs ?? 10_000, () => signalGroup(pgid, 'SIGKILL'));
        }
        return;
      }
      this.later(probe.periodMs, () => void tick());
    };
    this.later(probe.initialDelayMs, () => void tick());
  }

  private onExit(code: number | null, signal: string | null, startedAt: number, spawnError?: string): void {
    for (const w of this.exitWaiters.splice(0)) w();
    const lastExit = { code, signal, at: Date.now() };
    if (this.stopping) {
      this.update({ phase: 'Stopped', ready: false, pid: undefined, lastExit, reason: 'Stopped' });
      return;
    }
    const d = decideRestart(this.spec.restartPolicy, spawnError ? { code: 127, signal: null } : { code, signal }, lastExit.at - startedAt, this.st, this.backoff, this.spec.maxRestarts);
    const how = spawnError ?? (signal ? `killed by ${signal}` : `exited with code ${code}`);
    const why = this.killReason ? `${this.killReason}: ${how}` : how;
    if (!d.restart) {
      const phase = code === 0 && !spawnError ? 'Succeeded' : 'Failed';
      this.update({ phase, ready: false, pid: undefined, lastExit, consecutiveFailures: d.consecutiveFailures, reason: d.reason, message: why });
      if (phase === 'Failed') void this.crashEvent('Failed', `${this.spec.id} ${why}; not restarting (${d.reason})`);
      return;
    }
    const nextRestartAt = lastExit.at + d.delayMs;
    this.update({ phase: 'BackOff', ready: false, pid: undefined, lastExit, consecutiveFailures: d.consecutiveFailures, reason: d.reason, message: `${why}; restarting in ${d.delayMs} ms`, nextRestartAt });
    if (d.consecutiveFailures > 0) void this.crashEvent(d.reason, `${this.spec.id} ${why} (${d.consecutiveFailures} failure${d.consecutiveFailures > 1 ? 's' : ''} in a row); restarting in ${d.delayMs} ms`);
    this.later(d.delayMs, () => {
      this.st = { ...this.st, restarts: this.st.restarts + 1 };
      void this.launch();
    });
  }

  private async crashEvent(reason: string, message: string): Promise<void> {
    const lines = await this.tail(CRASH_LOG_LINES).catch(() => []);
    const body = lines.filter((l) => !l.startsWith('--- capstan: run ')).join('\n');
    this.emit('Warning', reason, body ? `${message}. Last log lines:\n${body}` : message);
  }
}
