/**
 * A Kubernetes cluster as a compute target for training jobs (src/runtime/compute-target.ts):
 * start = the headless Service and one Pod per replica, applied atomically with the flavors'
 * nodeSelector and tolerations; observe = the pods as replica states; stop = delete the pods
 * (all, or only the live ones once the job's outcome is known); logs = the pod's log.
 */
import type { TrainingJobSpec } from '../../api/kinds/training-job-schema.js';
import type { KubeObject } from '../../api/meta.js';
import { podSetName, podSetPlacement } from '../../queueing/placement.js';
import { ComputeTargetError, type JobStartInput, type JobTarget, type ReplicaSetObservation, type StopResult } from '../compute-target.js';
import { replicaPodName } from '../rendezvous-env.js';
import { trainingJobInput } from './capstan-adapters.js';
import { classifyError } from './kube-errors.js';
import type { KubernetesRuntime } from './kubernetes-runtime.js';
import { ownedSelector } from './managed-labels.js';
import { podReplicaState } from './status-mapping.js';

/** The cluster target of one KubernetesRuntime. */
export class KubernetesJobTarget implements JobTarget {
  readonly type = 'kubernetes' as const;

  constructor(private readonly rt: KubernetesRuntime, private readonly defaultImage: string) {}

  get name(): string {
    return this.rt.clusterName;
  }

  async start(input: JobStartInput): Promise<void> {
    const adm = input.admission;
    const job = trainingJobInput(input.job, { defaultImage: this.defaultImage, ...(adm ? { rolePlacement: (role: string) => podSetPlacement(adm, podSetName(role), input.flavors) } : {}) });
    await wrap(async () => {
      // A flavor whose node labels match no ready node is refused before anything is created.
      for (const r of job.roles) await this.rt.requireNodesFor(r.nodeSelector ?? job.nodeSelector);
      await this.rt.applyTrainingJob(job);
    });
  }

  async observe(job: KubeObject): Promise<ReplicaSetObservation | undefined> {
    const pods = await wrap(() => this.rt.api.pods(job.metadata.namespace ?? 'default', ownedSelector(job.metadata.uid)));
    if (pods.length === 0) return undefined;
    const spec = job.spec as TrainingJobSpec;
    const replicas = pods
      .map(podReplicaState)
      // Pods carry the role in lowercase (a label); the reconciler and status use the spec's spelling.
      .map((r) => ({ ...r, role: Object.keys(spec.replicaSpecs).find((x) => x.toLowerCase() === r.role) ?? r.role }))
      .sort((a, b) => a.role.localeCompare(b.role) || a.index - b.index);
    return { replicas, restarts: replicas.reduce((s, r) => s + r.restarts, 0), metrics: {} };
  }

  async stop(job: KubeObject, opts: { graceMs: number; keepFinished?: boolean }): Promise<StopResult> {
    return wrap(async () => {
      if (!opts.keepFinished) return { remaining: await this.rt.deleteOwned(job.metadata.uid, 'TrainingJob') };
      // The outcome is final: live replicas go (they would hold their GPUs), ended ones stay for their logs.
      const ns = job.metadata.namespace ?? 'default';
      let remaining = 0;
      for (const p of await this.rt.api.pods(ns, ownedSelector(job.metadata.uid))) {
        const phase = (p.status as { phase?: string } | undefined)?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        remaining++;
        if (!p.metadata.deletionTimestamp) await this.rt.api.delete('v1', 'Pod', p.metadata.name, ns);
      }
      return { remaining };
    });
  }

  async logs(job: KubeObject, replica: { role: string; index: number }, tailBytes: number): Promise<string | undefined> {
    try {
      return await this.rt.api.podLog(job.metadata.namespace ?? 'default', replicaPodName(job.metadata.name, replica), tailBytes);
    } catch {
      return undefined;
    }
  }
}

// Errors leave a target in the target vocabulary: the reconciler never needs to know Kubernetes.
async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ComputeTargetError) throw err;
    const f = classifyError(err);
    throw new ComputeTargetError(f.reason, f.message, f.retryable);
  }
}
