/**
 * TrainingJobs on kubernetes Clusters, behind queue admission like every job. The job's Workload
 * must hold an admission whose placement (placement.ts: the admitted flavor's cluster, else the
 * annotation) is a kubernetes Cluster; only then are its pods created there, with the flavors'
 * nodeSelector and tolerations. Eviction, suspension and a placement that moves delete the pods
 * first; only then is the quota given back (workload released or withdrawn).
 *
 * Who writes what (docs/kubernetes.md): while the job's workload holds an admission on a
 * kubernetes cluster, this controller alone writes the job's status (phase Admitted, Running,
 * Succeeded, Failed; Queued while evicted pods are being deleted; replicaStatuses, startTime,
 * completionTime, ClusterSynced, PlacementConflict) and marks the workload Finished. Otherwise the
 * TrainingJob controller (src/training) writes it (Queued, Suspended, and every phase of jobs that
 * run on this machine); it never launches a job placed elsewhere.
 */
import { setCondition } from '../../api/conditions.js';
import { LOCAL_CLUSTER_NAME } from '../../api/kinds/cluster.js';
import type { TrainingJobSpec, TrainingJobStatus } from '../../api/kinds/training-job-schema.js';
import type { WorkloadAdmission } from '../../api/kinds/workload.js';
import type { Kind } from '../../api/kind.js';
import type { Condition, KubeObject } from '../../api/meta.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { Reconciler, ReconcileResult } from '../../controllers/runtime/controller.js';
import type { EventRecorder } from '../../controllers/runtime/event-recorder.js';
import { splitKey } from '../../controllers/runtime/informer.js';
import {
  evictionMessage, isAdmitted, isEvictionRequested, isFinished, markWorkloadFinished, releaseEvictedWorkload, workloadAdmission, workloadNameFor,
} from '../../queueing/index.js';
import { podSetName } from '../../queueing/placement.js';
import { isTerminal, statusForPhase, type TrainingPhase } from '../../training/job-status.js';
import { trainingJobInput } from './capstan-adapters.js';
import { backoffDelayMs, classifyError } from './kube-errors.js';
import type { KubernetesRuntime } from './kubernetes-runtime.js';
import { CLEANUP_FINALIZER, PLACED_ANNOTATION, placedClustersOf, withoutPlacement, withPlacement } from './managed-labels.js';
import { placementOf, podSetPlacement, withPlacementConflict, type Placement } from '../../queueing/placement.js';
import type { RuntimeRegistry } from './runtime-registry.js';
import type { SyncDefaults } from './sync-handlers.js';

/** Records the clusters Capstan created a job's pods on, so cleanup asks only those. */
export { PLACED_ANNOTATION };

/** What the controller is built from. */
export interface KubernetesTrainingDeps {
  jobKind: Kind;
  workloadKind: Kind;
  flavorKind: Kind;
  client: ResourceClient;
  runtimes: RuntimeRegistry;
  recorder: EventRecorder;
  defaults: SyncDefaults;
  now?: () => Date;
}

const RUNNING_POLL_MS = 10_000;

/** Reconciles TrainingJobs whose admission places them on a kubernetes Cluster. */
export class KubernetesTrainingJobController implements Reconciler {
  readonly name = 'kubernetes-trainingjobs';
  private readonly attempts = new Map<string, number>();

  constructor(private readonly d: KubernetesTrainingDeps) {}

  private now(): Date {
    return this.d.now ? this.d.now() : new Date();
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const job = await this.d.client.tryGet(this.d.jobKind, namespace, name);
    if (!job) return;
    const tracked = job.metadata.finalizers?.includes(CLEANUP_FINALIZER) ?? false;
    if (job.metadata.deletionTimestamp) return tracked ? this.removeEverywhere(key, job, true) : undefined;
    const st = (job.status ?? {}) as TrainingJobStatus;
    const wl = await this.workloadOf(job);
    if (isTerminal(st.phase)) {
      // The status is written before the workload is marked; a crash in between is finished here.
      if (tracked && wl && !isFinished(wl) && (isAdmitted(wl) || isEvictionRequested(wl))) await markWorkloadFinished(this.d.client, namespace!, wl.metadata.name, { succeeded: st.phase === 'Succeeded' }, () => this.now());
      return;
    }
    const adm = wl && (isAdmitted(wl) || isEvictionRequested(wl)) ? workloadAdmission(wl) : undefined;
    const flavors = adm ? (await this.d.client.list(this.d.flavorKind)).items : [];
    const placement = adm ? placementOf(job, adm, flavors) : undefined;
    // Not this runtime's job (not admitted, or admitted here on this machine): nothing of it may stay on a cluster.
    if (!adm || !placement || placement.cluster === LOCAL_CLUSTER_NAME) return tracked ? this.removeEverywhere(key, job, false) : undefined;

    const spec = job.spec as TrainingJobSpec;
    if (isEvictionRequested(wl!) || spec.runPolicy.suspend) return this.stop(key, job, wl!, st, placement, tracked);

    const rt = await this.d.runtimes.byClusterName(placement.cluster);
    if (!rt) {
      await this.writeStatus(job, statusForPhase(st, 'Admitted', 'ClusterNotFound', `admitted by ClusterQueue ${adm.clusterQueue} for cluster ${placement.cluster}, which is not a kubernetes Cluster Capstan knows`, this.now().toISOString(), job.metadata.generation), [
        { type: 'ClusterSynced', status: 'False', reason: 'ClusterNotFound', message: `no kubernetes Cluster named ${placement.cluster} (${placement.source === 'flavor' ? `ResourceFlavor ${placement.flavor} names it` : 'the annotation names it'})` },
      ], placement);
      return { requeueAfterMs: this.backoff(key) };
    }
    // Record the cluster before anything is created there, so cleanup always knows where to look.
    const placed = withPlacement(job, [rt.clusterName]);
    if (placed) {
      await this.d.client.update(this.d.jobKind, placed);
      return; // the update wakes us again with the new resourceVersion
    }
    return this.run(key, job, spec, st, adm, flavors, placement, rt);
  }

  private async run(key: string, job: KubeObject, spec: TrainingJobSpec, st: TrainingJobStatus, adm: WorkloadAdmission, flavors: KubeObject[], placement: Placement, rt: KubernetesRuntime): Promise<ReconcileResult | void> {
    const ns = job.metadata.namespace!;
    const uid = job.metadata.uid;
    const now = this.now().toISOString();
    let next: TrainingJobStatus;
    let extra: Condition[];
    let requeue: number | undefined = RUNNING_POLL_MS;
    let finished: { succeeded: boolean; message: string } | undefined;
    try {
      // A placement that moved: the old cluster's pods go first (a gang must not run twice).
      for (const other of placedClustersOf(job).filter((c) => c !== rt.clusterName)) {
        const ort = await this.d.runtimes.byClusterName(other);
        if (ort && (await ort.deleteOwned(uid, 'TrainingJob')) > 0) return { requeueAfterMs: 1000 };
      }
      const spec0 = this.d.runtimes.specOf(rt.clusterName);
      const input = trainingJobInput(job, { defaultImage: spec0?.image ?? this.d.defaults.image, rolePlacement: (role) => podSetPlacement(adm, podSetName(role), flavors) });
      const expected = input.roles.reduce((s, r) => s + r.replicas, 0);
      let obs = await rt.observeTraining(ns, uid, expected);
      if (obs.phase !== 'Succeeded' && obs.phase !== 'Failed' && obs.podCount < expected) {
        for (const r of input.roles) await rt.requireNodesFor(r.nodeSelector ?? input.nodeSelector);
        await rt.applyTrainingJob(input);
        obs = await rt.observeTraining(ns, uid, expected);
        await this.d.recorder.event(job, 'Normal', st.startTime ? 'Relaunched' : 'Started', `Created ${expected} pod(s) on cluster ${rt.clusterName} (admitted by ClusterQueue ${adm.clusterQueue}${placement.flavor ? `, flavor ${placement.flavor}` : ''})`);
      }
      this.attempts.delete(key);
      const f = obs.failure;
      const where = `${obs.podCount} of ${expected} pod(s) on cluster ${rt.clusterName}`;
      const replicaStatuses = Object.fromEntries(Object.entries(obs.roles).map(([r, c]) => [roleName(spec, r), { active: c.active, succeeded: c.succeeded, failed: c.failed, restarts: c.restarts }]));
      const base: TrainingJobStatus = { ...st, replicaStatuses, startTime: st.startTime ?? now, workload: workloadNameFor(job) };
      let phase: TrainingPhase;
      let reason: string;
      let message: string;
      if (obs.phase === 'Succeeded') {
        phase = 'Succeeded';
        reason = 'JobSucceeded';
        message = `Every replica succeeded on cluster ${rt.clusterName}.${spec.output?.register ? ` Model not registered: the output stays in the pods of cluster ${rt.clusterName}; Capstan registers outputs of jobs it runs on this machine.` : ''}`;
      } else if (obs.phase === 'Failed') {
        phase = 'Failed';
        reason = f?.reason ?? 'ReplicaFailed';
        message = f ? `${f.pod}: ${f.message}` : `a replica failed on cluster ${rt.clusterName}`;
      } else if (obs.phase === 'Running') {
        phase = 'Running';
        reason = 'JobRunning';
        message = f ? `${where}; ${f.pod}: ${f.reason}: ${f.message}` : where;
      } else {
        phase = 'Admitted';
        reason = f?.reason ?? 'PodsStarting';
        message = f ? `${f.pod}: ${f.message}` : `admitted by ClusterQueue ${adm.clusterQueue}; ${where}`;
      }
      next = statusForPhase(base, phase, reason, message, now, job.metadata.generation);
      if (isTerminal(phase)) {
        next = { ...next, completionTime: st.completionTime ?? now, replicaStatuses: Object.fromEntries(Object.entries(replicaStatuses).map(([r, c]) => [r, { ...c, active: 0 }])) };
        finished = { succeeded: phase === 'Succeeded', message };
        requeue = undefined;
      }
      extra = [{ type: 'ClusterSynced', status: 'True', reason: 'Applied', message: `pods on cluster ${rt.clusterName}` }];
    } catch (err) {
      const fl = classifyError(err);
      const prev = st.conditions?.find((c) => c.type === 'ClusterSynced');
      if (prev?.message !== fl.message) await this.d.recorder.event(job, 'Warning', fl.reason, fl.message);
      next = st.phase === 'Admitted' || st.phase === 'Running' ? st : statusForPhase(st, 'Admitted', fl.reason, `admitted by ClusterQueue ${adm.clusterQueue}; cluster ${rt.clusterName} refused the pods: ${fl.message}`, now, job.metadata.generation);
      extra = [{ type: 'ClusterSynced', status: 'False', reason: fl.reason, message: fl.message }];
      requeue = fl.retryable ? this.backoff(key) : undefined;
    }
    await this.writeStatus(job, next, extra, placement);
    if (finished) {
      await markWorkloadFinished(this.d.client, job.metadata.namespace!, workloadNameFor(job), finished, () => this.now());
      await this.d.recorder.event(job, finished.succeeded ? 'Normal' : 'Warning', finished.succeeded ? 'Succeeded' : 'Failed', finished.message);
    }
    return requeue !== undefined ? { requeueAfterMs: requeue } : undefined;
  }

  /** Evicted or suspended: delete the pods, then give the quota back. */
  private async stop(key: string, job: KubeObject, wl: KubeObject, st: TrainingJobStatus, placement: Placement, tracked: boolean): Promise<ReconcileResult | void> {
    const evicting = isEvictionRequested(wl);
    const why = evicting ? `Stopping: ${evictionMessage(wl) ?? 'evicted by the queue'}` : 'Stopping: the job is suspended';
    let left: number;
    try {
      // Untracked: nothing was ever created on a cluster for it.
      left = tracked ? await this.deleteOnPlaced(job) : 0;
    } catch (err) {
      const fl = classifyError(err);
      await this.d.recorder.event(job, 'Warning', 'CleanupFailed', `cannot delete the job's pods on cluster ${placement.cluster} yet (${fl.reason}): ${fl.message}; the quota stays held until they are gone`);
      return { requeueAfterMs: this.backoff(key) };
    }
    this.attempts.delete(key);
    if (left > 0) {
      const reason = evicting ? ((wl.status as { conditions?: Condition[] }).conditions?.find((c) => c.type === 'Evicted')?.reason ?? 'Evicted') : 'Suspending';
      await this.writeStatus(job, statusForPhase(st, evicting ? 'Queued' : st.phase ?? 'Admitted', reason, `${why}; ${left} object(s) still on cluster ${placement.cluster}`, this.now().toISOString(), job.metadata.generation), [], placement);
      return { requeueAfterMs: 1000 };
    }
    if (evicting) {
      await releaseEvictedWorkload(this.d.client, job.metadata.namespace!, wl.metadata.name, () => this.now());
      await this.d.recorder.event(job, 'Warning', 'Evicted', `Deleted every pod on cluster ${placement.cluster}; the workload is back in its queue`);
    } else {
      await this.d.client.delete(this.d.workloadKind, job.metadata.namespace, wl.metadata.name).catch((err) => {
        if ((err as { reason?: string }).reason !== 'NotFound') throw err;
      });
      await this.d.recorder.event(job, 'Normal', 'Suspended', `Deleted every pod on cluster ${placement.cluster}; the workload is withdrawn`);
    }
    // From here the TrainingJob controller writes Queued or Suspended.
  }

  /**
   * Deletes the job's objects on every cluster it was placed on, then drops the finalizer and the
   * placed-clusters annotation: the job holds nothing on any cluster (until its next placement).
   */
  private async removeEverywhere(key: string, job: KubeObject, final: boolean): Promise<ReconcileResult | void> {
    let left: number;
    try {
      left = await this.deleteOnPlaced(job);
    } catch (err) {
      const fl = classifyError(err);
      await this.d.recorder.event(job, 'Warning', 'CleanupFailed', `cannot remove the job's cluster resources yet (${fl.reason}): ${fl.message}`);
      return { requeueAfterMs: this.backoff(key) };
    }
    this.attempts.delete(key);
    if (left > 0) return { requeueAfterMs: 1000 };
    const fresh = await this.d.client.tryGet(this.d.jobKind, job.metadata.namespace, job.metadata.name);
    if (!fresh || fresh.metadata.uid !== job.metadata.uid) return;
    // Only this controller (one reconcile per key at a time) adds them, so the fresh copy is safe to edit.
    await this.d.client.update(this.d.jobKind, withoutPlacement(fresh));
  }

  private async deleteOnPlaced(job: KubeObject): Promise<number> {
    let left = 0;
    for (const rt of await this.d.runtimes.placedRuntimes(job)) left += await rt.deleteOwned(job.metadata.uid, 'TrainingJob');
    return left;
  }

  private async workloadOf(job: KubeObject): Promise<KubeObject | undefined> {
    const wl = await this.d.client.tryGet(this.d.workloadKind, job.metadata.namespace, workloadNameFor(job));
    return wl && (wl.metadata.ownerReferences ?? []).some((r) => r.uid === job.metadata.uid) ? wl : undefined;
  }

  private backoff(key: string): number {
    const n = this.attempts.get(key) ?? 0;
    this.attempts.set(key, n + 1);
    return backoffDelayMs(n);
  }

  private async writeStatus(job: KubeObject, next: TrainingJobStatus, conditions: Condition[], placement: Placement): Promise<void> {
    const now = this.now().toISOString();
    let conds = next.conditions;
    for (const c of conditions) conds = setCondition(conds, c, now);
    conds = withPlacementConflict(conds, placement.conflict, now);
    const status = { ...next, conditions: conds };
    if (JSON.stringify(status) === JSON.stringify(job.status ?? {})) return;
    await this.d.client.updateStatus(this.d.jobKind, { ...job, status });
  }
}

// Pods carry the role in lowercase (a label); status uses the spec's spelling.
function roleName(spec: TrainingJobSpec, label: string): string {
  return Object.keys(spec.replicaSpecs).find((r) => r.toLowerCase() === label) ?? label;
}
