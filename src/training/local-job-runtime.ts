/**
 * The local runtime of training jobs: every replica a process group on this machine, restarted
 * under its policy (with backoff) until the job's backoffLimit, metrics read from its log and its
 * metrics file as they are written. The controller starts and stops jobs and reads observations;
 * the runtime never touches the store, it calls `onChange` so the controller looks again.
 */
import type { Logger } from 'pino';
import type { ProcessLedger } from '../runtime/local/index.js';
import { decideExit, type ReplicaExit, type ReplicaObservation, type RestartPolicy } from './job-policy.js';
import { MetricTail } from './metric-tail.js';
import { startReplica, type ReplicaLaunch, type RunningReplica } from './replica-process.js';

/** One replica of a launch plan. */
export interface PlannedReplica {
  role: string;
  index: number;
  /** Undefined when the replica cannot run locally (no command): it fails with `unrunnable`. */
  launch?: ReplicaLaunch;
  unrunnable?: string;
  restartPolicy: RestartPolicy;
  metricsFile: string;
}

/** Everything needed to run one job instance. */
export interface JobLaunchPlan {
  /** `namespace/name`. */
  key: string;
  uid: string;
  backoffLimit: number;
  replicas: PlannedReplica[];
  /** Where the job's metric series is appended (JSON lines). */
  seriesFile: string;
}

interface ReplicaRun {
  planned: PlannedReplica;
  state: ReplicaObservation['state'];
  restarts: number;
  reason?: string;
  message?: string;
  proc?: RunningReplica;
  restartTimer?: NodeJS.Timeout;
}

interface JobRun {
  plan: JobLaunchPlan;
  replicas: ReplicaRun[];
  restarts: number;
  stopping: boolean;
  tail: MetricTail;
  poll: NodeJS.Timeout;
}

/** Runtime settings. */
export interface LocalJobRuntimeOptions {
  log: Logger;
  /** Called whenever a job's replicas change state (the controller re-reconciles the key). */
  onChange: (key: string) => void;
  /** First restart delay; doubles per restart (tests shorten it). */
  restartBaseDelayMs?: number;
  /** How often running jobs' logs are scanned for metrics. */
  metricsPollMs?: number;
  /** Records every replica process group on disk so a platform restarted after a crash reaps leftovers (reap it before the first start()). */
  ledger?: ProcessLedger;
}

/** Runs training jobs as local process groups. */
export class LocalJobRuntime {
  private readonly jobs = new Map<string, JobRun>();

  constructor(private readonly opts: LocalJobRuntimeOptions) {}

  /** True when this instance (uid) of the job has processes managed here. */
  has(key: string, uid: string): boolean {
    return this.jobs.get(key)?.plan.uid === uid;
  }

  /** Keys of every job with processes here. */
  keys(): string[] {
    return [...this.jobs.keys()];
  }

  /** Starts every replica of the plan at once (the gang). A previous instance under the key must be stopped first. */
  start(plan: JobLaunchPlan): void {
    if (this.jobs.has(plan.key)) throw new Error(`job ${plan.key} is already running`);
    const tail = new MetricTail(plan.seriesFile, plan.replicas.map((r) => ({ role: r.role, index: r.index, logFile: r.launch?.logFile, metricsFile: r.metricsFile })));
    const run: JobRun = {
      plan,
      replicas: plan.replicas.map((planned) => ({ planned, state: 'starting', restarts: 0 })),
      restarts: 0,
      stopping: false,
      tail,
      poll: setInterval(() => this.scan(run), this.opts.metricsPollMs ?? 500),
    };
    run.poll.unref();
    this.jobs.set(plan.key, run);
    for (const r of run.replicas) this.launch(run, r);
  }

  private launch(run: JobRun, r: ReplicaRun): void {
    if (!r.planned.launch) {
      r.state = 'failed';
      r.reason = 'StartError';
      r.message = r.planned.unrunnable ?? 'the replica has nothing to run';
      this.changed(run);
      return;
    }
    const proc = startReplica({ ...r.planned.launch, id: `${run.plan.key}/${r.planned.role}/${r.planned.index}` }, this.opts.ledger);
    r.proc = proc;
    r.state = proc.pid === undefined ? 'starting' : 'running';
    void proc.exited.then((exit) => this.onExit(run, r, proc, exit));
    this.changed(run);
  }

  private onExit(run: JobRun, r: ReplicaRun, proc: RunningReplica, exit: ReplicaExit): void {
    if (r.proc !== proc) return;
    r.proc = undefined;
    this.scan(run);
    if (run.stopping) {
      r.state = 'stopped';
      return;
    }
    const d = decideExit(r.planned.restartPolicy, exit, run.restarts, run.plan.backoffLimit, this.opts.restartBaseDelayMs);
    this.opts.log.info({ job: run.plan.key, role: r.planned.role, index: r.planned.index, exit, decision: d.action }, 'training replica exited');
    if (d.action === 'succeeded') r.state = 'succeeded';
    else if (d.action === 'failed') {
      r.state = 'failed';
      r.reason = d.reason;
      r.message = d.message;
    } else {
      r.state = 'restarting';
      r.message = `restarting in ${d.delayMs} ms`;
      run.restarts++;
      r.restarts++;
      r.restartTimer = setTimeout(() => {
        r.restartTimer = undefined;
        if (!run.stopping) this.launch(run, r);
      }, d.delayMs);
    }
    this.changed(run);
  }

  private changed(run: JobRun): void {
    if (this.jobs.get(run.plan.key) === run) this.opts.onChange(run.plan.key);
  }

  private scan(run: JobRun): void {
    try {
      if (run.tail.poll() > 0) this.changed(run);
    } catch (err) {
      this.opts.log.warn({ job: run.plan.key, err }, 'reading training metrics failed');
    }
  }

  /** Replica states of the running instance, or undefined. */
  observe(key: string): ReplicaObservation[] | undefined {
    const run = this.jobs.get(key);
    if (!run) return undefined;
    return run.replicas.map((r) => ({ role: r.planned.role, index: r.planned.index, state: r.state, restarts: r.restarts, reason: r.reason, message: r.message }));
  }

  /** True while a replica of this instance runs or will run again (starting, running, restarting). */
  replicaLive(key: string, uid: string, role: string, index: number): boolean {
    if (!this.has(key, uid)) return false;
    const r = this.jobs.get(key)!.replicas.find((x) => x.planned.role === role && x.planned.index === index);
    return !!r && ['starting', 'running', 'restarting'].includes(r.state);
  }

  /** Restarts of the running instance so far. */
  restarts(key: string): number {
    return this.jobs.get(key)?.restarts ?? 0;
  }

  /** Latest metric values read so far for the running instance. */
  latestMetrics(key: string): Record<string, number> {
    return this.jobs.get(key)?.tail.latest() ?? {};
  }

  /** Pids of the replica process groups (for tests and benchmarks). */
  pids(key: string): number[] {
    return (this.jobs.get(key)?.replicas ?? []).flatMap((r) => (r.proc?.pid ? [r.proc.pid] : []));
  }

  /** Stops every replica (SIGTERM, grace, SIGKILL to each group) and forgets the job; returns its final metrics. */
  async stop(key: string, graceMs: number): Promise<Record<string, number> | undefined> {
    const run = this.jobs.get(key);
    if (!run) return undefined;
    run.stopping = true;
    clearInterval(run.poll);
    for (const r of run.replicas) if (r.restartTimer) clearTimeout(r.restartTimer);
    await Promise.all(run.replicas.map((r) => r.proc?.stop(graceMs)));
    this.scan(run);
    if (this.jobs.get(key) === run) this.jobs.delete(key);
    return run.tail.latest();
  }

  /** Stops every job (platform shutdown). */
  async stopAll(graceMs: number): Promise<void> {
    await Promise.all([...this.jobs.keys()].map((k) => this.stop(k, graceMs)));
  }
}
