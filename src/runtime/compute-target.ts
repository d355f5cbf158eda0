/**
 * The compute-target interface (issue 19): what a reconciler asks of wherever a Capstan object
 * runs, this machine (`local`) or a Kubernetes cluster. Reconcilers decide; targets act: start a
 * set of replicas (every one or none), observe their states in one vocabulary, stop them, read a
 * replica's log, collect the outputs. A target never touches Capstan's store. Which target runs
 * an object is queueing's answer (src/queueing/placement.ts), not the target's.
 *
 * `ComputeTargets` is the per-platform registry modules fill (the training module registers the
 * local target, the kubernetes module the clusters) and reconcilers read.
 */
import type { KubeObject } from '../api/meta.js';
import type { TrainingJobSpec } from '../api/kinds/training-job-schema.js';
import type { WorkloadAdmission } from '../api/kinds/workload.js';

/** A replica's state, the same words on every target. */
export type ReplicaPhase = 'starting' | 'running' | 'restarting' | 'succeeded' | 'failed' | 'stopped';

/** One replica of a set as a target reports it. */
export interface ReplicaState {
  /** The role as the object spells it (`Worker`, `Master`, ...). */
  role: string;
  index: number;
  state: ReplicaPhase;
  restarts: number;
  /** Why it is not fine (the target's own reason: ExitCode, ImagePullBackOff, OOMKilled, ...). */
  reason?: string;
  message?: string;
}

/** What a target knows of one object's replicas. */
export interface ReplicaSetObservation {
  replicas: ReplicaState[];
  /** Restarts of the whole set so far. */
  restarts: number;
  /** Latest metric values the replicas reported, where the target reads them. */
  metrics: Record<string, number>;
}

/** What starting a training job's gang needs, on any target. */
export interface JobStartInput {
  job: KubeObject;
  spec: TrainingJobSpec;
  /** The queue's admission (flavors decide nodeSelector and tolerations on a cluster). */
  admission?: WorkloadAdmission;
  flavors: KubeObject[];
  /** GPU indices per replica key (`worker-0`), where the target assigns devices itself. */
  gpus: Record<string, number[]>;
}

/** What stopping left behind. */
export interface StopResult {
  /** Replicas (or their objects) still there, e.g. terminating; 0 when everything is gone. */
  remaining: number;
  /** Final metric values, where the target keeps them. */
  metrics?: Record<string, number>;
}

/** A failure of a target, in its own words: retryable ones are retried with backoff. */
export class ComputeTargetError extends Error {
  constructor(readonly reason: string, message: string, readonly retryable: boolean) {
    super(message);
  }
}

/** Where training jobs run: one implementation per kind of target, one contract suite for all. */
export interface JobTarget {
  /** `local`, or the Cluster's name. */
  readonly name: string;
  readonly type: 'local' | 'kubernetes';
  /** Starts every replica of the job (all or none); an error is a ComputeTargetError. */
  start(input: JobStartInput): Promise<void>;
  /** The job instance's replicas here, or undefined when nothing of this instance (uid) is here. */
  observe(job: KubeObject): Promise<ReplicaSetObservation | undefined>;
  /**
   * Stops the job's replicas. With `keepFinished`, replicas that already ended are kept (a
   * cluster keeps their pods for logs) and only live ones are stopped: a job's outcome is final.
   */
  stop(job: KubeObject, opts: { graceMs: number; keepFinished?: boolean }): Promise<StopResult>;
  /** The tail of one replica's log, or undefined when the target has none. */
  logs(job: KubeObject, replica: { role: string; index: number }, tailBytes: number): Promise<string | undefined>;
}

/** Targets of one platform. */
export class ComputeTargets {
  private local: JobTarget | undefined;
  private clusters: { byName(name: string): Promise<JobTarget | undefined>; placed(obj: KubeObject): Promise<JobTarget[]> } | undefined;
  private readonly listeners = new Set<(kind: string, key: string) => void>();

  /** The training module registers this machine. */
  setLocal(t: JobTarget): void {
    this.local = t;
  }

  /** The kubernetes module registers its clusters. */
  setClusters(c: { byName(name: string): Promise<JobTarget | undefined>; placed(obj: KubeObject): Promise<JobTarget[]> }): void {
    this.clusters = c;
  }

  /** The target named `name` (`local` is this machine), or undefined when there is none. */
  async target(name: string, localName: string): Promise<JobTarget | undefined> {
    if (name === localName) return this.local;
    return this.clusters?.byName(name);
  }

  /** The cluster targets an object was recorded on (capstan.dev/placed-clusters). */
  async placed(obj: KubeObject): Promise<JobTarget[]> {
    return this.clusters ? this.clusters.placed(obj) : [];
  }

  /** A target saw the replicas of `kind` `key` change (a pod event): its reconciler looks again. */
  changed(kind: string, key: string): void {
    for (const l of this.listeners) l(kind, key);
  }

  /** Subscribes to `changed`. */
  onChange(l: (kind: string, key: string) => void): void {
    this.listeners.add(l);
  }
}
