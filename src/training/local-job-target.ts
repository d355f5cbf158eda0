/**
 * This machine as a compute target for training jobs (src/runtime/compute-target.ts): every
 * replica a process group under LocalJobRuntime, with the same rendezvous env as on a cluster
 * (127.0.0.1 and free ports instead of pod DNS names), the GPUs the queue assigned, logs and
 * metrics in the job's files under the data dir.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KubeObject } from '../api/meta.js';
import type { JobStartInput, JobTarget, ReplicaSetObservation, StopResult } from '../runtime/compute-target.js';
import { LOCAL_CLUSTER_NAME } from '../api/kinds/cluster.js';
import { portsNeeded, replicaKey } from '../runtime/rendezvous-env.js';
import { freePorts } from './free-ports.js';
import { jobFiles } from './job-files.js';
import { buildLaunchPlan, rolesOf } from './launch-plan.js';
import type { LocalJobRuntime } from './local-job-runtime.js';

/** What the local target needs besides the runtime. */
export interface LocalJobTargetOptions {
  dataDir: string;
  /** Env every replica inherits (PATH, HOME, ...). */
  baseEnv: Record<string, string>;
  /** Working directory of replicas whose template names none. */
  defaultCwd: string;
}

const keyOf = (job: KubeObject): string => `${job.metadata.namespace}/${job.metadata.name}`;

/** The local target. */
export class LocalJobTarget implements JobTarget {
  readonly name = LOCAL_CLUSTER_NAME;
  readonly type = 'local' as const;

  constructor(readonly runtime: LocalJobRuntime, private readonly opts: LocalJobTargetOptions) {}

  async start(input: JobStartInput): Promise<void> {
    const { namespace, name, uid } = input.job.metadata;
    const key = keyOf(input.job);
    // A previous instance under the same name (deleted and re-created) goes first.
    if (this.runtime.keys().includes(key) && !this.runtime.has(key, uid)) await this.runtime.stop(key, 0);
    const files = jobFiles(this.opts.dataDir, namespace!, name, uid);
    mkdirSync(files.outputDir, { recursive: true });
    // Replicas append to $CAPSTAN_METRICS_FILE without having to create its directory.
    mkdirSync(dirname(files.metricsFile({ role: 'x', index: 0 })), { recursive: true });
    const needs = portsNeeded(input.spec.framework, rolesOf(input.spec));
    const ports = await freePorts(needs.length);
    const portMap = Object.fromEntries(needs.map((r, i) => [replicaKey(r), ports[i]!]));
    this.runtime.start(buildLaunchPlan({ namespace: namespace!, name, uid, spec: input.spec, files, ports: portMap, gpus: input.gpus, baseEnv: this.opts.baseEnv, defaultCwd: this.opts.defaultCwd }));
  }

  async observe(job: KubeObject): Promise<ReplicaSetObservation | undefined> {
    const key = keyOf(job);
    if (!this.runtime.has(key, job.metadata.uid)) return undefined;
    return { replicas: this.runtime.observe(key) ?? [], restarts: this.runtime.restarts(key), metrics: this.runtime.latestMetrics(key) };
  }

  async stop(job: KubeObject, opts: { graceMs: number }): Promise<StopResult> {
    const key = keyOf(job);
    // Stopping by key: whatever instance runs under the name goes (a deleted job's uid is gone with it).
    const metrics = await this.runtime.stop(key, opts.graceMs);
    return { remaining: 0, ...(metrics ? { metrics } : {}) };
  }

  async logs(job: KubeObject, replica: { role: string; index: number }, tailBytes: number): Promise<string | undefined> {
    const file = jobFiles(this.opts.dataDir, job.metadata.namespace!, job.metadata.name, job.metadata.uid).logFile(replica);
    try {
      const size = statSync(file).size;
      const text = readFileSync(file);
      return text.subarray(Math.max(0, size - tailBytes)).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** Whether processes of this job key run here (whatever the instance). */
  hasKey(key: string): boolean {
    return this.runtime.keys().includes(key);
  }
}
