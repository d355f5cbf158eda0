/**
 * The local runtime: a set of supervised processes on this machine, shared by serving replicas and training
 * replicas. It tracks every live process group so that stopAll() (and, as a last resort, this process's exit)
 * leaves no process tree behind; every group also has a lifeline to this process (lifeline.ts), so a crash of the
 * platform ends it too, and with a ledger (process-ledger.ts) a later run reaps whatever a crash still left.
 * It never touches the store: callers record what it reports.
 */
import { ProcessSupervisor } from './process-supervisor.js';
import { groupUsage, signalGroup, type GroupUsage } from './process-group.js';
import type { ProcessLedger } from './process-ledger.js';
import type { ProcessEvent, ProcessSpec, ProcessStatus } from './process-spec.js';

/** Options of LocalRuntime. */
export interface LocalRuntimeOptions {
  /** Every status change of every process. */
  onChange?: (status: ProcessStatus) => void;
  /** Crashes, backoffs, probe failures: for the caller to record as Events. */
  onEvent?: (event: ProcessEvent) => void;
  /** Records every live process group on disk (reap it before the first run()). */
  ledger?: ProcessLedger;
  /** The environment processes inherit unless their spec says `inheritEnv: false` (the server's, from its config); default none. */
  inheritedEnv?: Readonly<Record<string, string | undefined>>;
}

/** Runs and stops supervised processes by id; see ProcessSupervisor for the per-process behaviour. */
export class LocalRuntime {
  private readonly procs = new Map<string, ProcessSupervisor>();
  private readonly groups = new Set<number>();
  private readonly exitHook = (): void => this.killAllNow();
  private hooked = false;
  private closed = false;

  constructor(private readonly opts: LocalRuntimeOptions = {}) {}

  /** Starts supervising a process; throws when the id is taken or the runtime is stopped. */
  run(spec: ProcessSpec): ProcessSupervisor {
    if (this.closed) throw new Error('local runtime is stopped');
    if (this.procs.has(spec.id)) throw new Error(`process "${spec.id}" already exists`);
    if (!this.hooked) {
      // last resort if the platform dies without stopAll(): kill every group synchronously on exit
      process.on('exit', this.exitHook);
      this.hooked = true;
    }
    const sup = new ProcessSupervisor(spec, {
      inheritedEnv: this.opts.inheritedEnv,
      onChange: this.opts.onChange,
      onEvent: this.opts.onEvent,
      onSpawn: (pgid) => {
        this.groups.add(pgid);
        this.opts.ledger?.record(spec.id, pgid);
      },
      onGone: (pgid) => {
        this.groups.delete(pgid);
        this.opts.ledger?.forget(pgid);
      },
    });
    this.procs.set(spec.id, sup);
    sup.start();
    return sup;
  }

  /** The supervisor of an id. */
  get(id: string): ProcessSupervisor | undefined {
    return this.procs.get(id);
  }

  /** Statuses of the processes whose id starts with `prefix` (all when omitted). */
  list(prefix = ''): ProcessStatus[] {
    return [...this.procs.values()].filter((p) => p.spec.id.startsWith(prefix)).map((p) => p.status());
  }

  /** Stops a process gracefully and forgets it. */
  async remove(id: string, graceMs?: number): Promise<void> {
    const p = this.procs.get(id);
    if (!p) return;
    try {
      await p.stop(graceMs);
    } finally {
      this.procs.delete(id);
    }
  }

  /** CPU seconds and resident memory of a process's whole group (undefined when not running). */
  usage(id: string): GroupUsage | undefined {
    const pgid = this.procs.get(id)?.pgid;
    return pgid === undefined ? undefined : groupUsage(pgid);
  }

  /** Process groups alive now (for tests that check nothing leaks). */
  liveGroups(): number[] {
    return [...this.groups];
  }

  /** Stops everything gracefully (SIGKILL after graceMs) and refuses new processes. */
  async stopAll(graceMs?: number): Promise<void> {
    this.closed = true;
    await Promise.all([...this.procs.keys()].map((id) => this.remove(id, graceMs)));
    this.killAllNow();
    if (this.hooked) process.off('exit', this.exitHook);
    this.hooked = false;
  }

  private killAllNow(): void {
    for (const g of this.groups) signalGroup(g, 'SIGKILL');
  }
}
