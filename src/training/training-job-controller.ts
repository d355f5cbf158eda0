/**
 * The one TrainingJob reconciler (issue 19), the same decisions wherever the job runs:
 * job → Workload → (admitted) the placement (queueing's answer: the admitted flavor's cluster,
 * else the annotation, else this machine) picks a compute target (src/runtime/compute-target.ts)
 * → every replica started there at once → replica states observed in one vocabulary → the job's
 * outcome decided by the pure job policy (a failed replica fails the job and the rest are
 * stopped, on a cluster as locally) → on success the output registered. Eviction, suspension and
 * a placement that moves stop the replicas first; only then is the quota given back.
 *
 * Before anything is created on a cluster, the job gets the `capstan.dev/kubernetes-cleanup`
 * finalizer and the cluster is recorded in `capstan.dev/placed-clusters`, so cleanup asks only
 * those clusters; both go again once nothing of the job is left there.
 */
import type { Logger } from 'pino';
import type { Condition, KubeObject } from '../api/meta.js';
import { LOCAL_CLUSTER_NAME } from '../api/kinds/cluster.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { TrainingJobSpec, TrainingJobStatus } from '../api/kinds/training-job-schema.js';
import type { LocalClient } from '../client/local-client.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { splitKey } from '../controllers/runtime/informer.js';
import { ResourceFlavorKind, type Placement } from '../queueing/index.js';
import { ComputeTargetError, type ComputeTargets, type JobTarget, type ReplicaSetObservation } from '../runtime/compute-target.js';
import { backoffDelayMs } from '../runtime/kubernetes/kube-errors.js';
import { CLEANUP_FINALIZER, placedClustersOf, withoutPlacement, withPlacement } from '../runtime/kubernetes/managed-labels.js';
import type { AdmissionState, TrainingAdmission } from './job-admission.js';
import { deadlineExceeded, jobOutcome, msUntilDeadline, roleCounts } from './job-policy.js';
import { isTerminal } from './job-status.js';
import { rolesOf } from './launch-plan.js';
import type { LocalJobTarget } from './local-job-target.js';
import type { ModelRegistrar } from './model-registrar.js';
import { registerJobOutput } from './output-registration.js';
import { JobStatusWriter } from './job-status-writer.js';

/** What the controller is built from. */
export interface TrainingJobControllerDeps {
  client: LocalClient;
  /** This machine. */
  local: LocalJobTarget;
  /** Every target (clusters come from the kubernetes module). */
  targets: ComputeTargets;
  admission: TrainingAdmission;
  registrar?: ModelRegistrar;
  events: EventRecorder;
  log: Logger;
  dataDir: string;
  /** SIGTERM → SIGKILL grace period when stopping replicas. */
  gracePeriodMs: number;
  now?: () => Date;
}

const LOCAL_POLL_MS = 2000;
// A cluster's pod changes arrive by watch; the poll is a safety net.
const CLUSTER_POLL_MS = 10_000;

/** Reconciles TrainingJobs on every target. */
export class TrainingJobController implements Reconciler {
  readonly name = 'trainingjob';
  private readonly attempts = new Map<string, number>();
  private readonly status: JobStatusWriter;

  constructor(private readonly d: TrainingJobControllerDeps) {
    this.status = new JobStatusWriter(d.client, d.events, () => this.now());
  }

  private now(): Date {
    return this.d.now ? this.d.now() : new Date();
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const job = await this.d.client.tryGet(TrainingJobKind, namespace, name);
    if (!job) {
      // Deleted: the Workload goes with it (owner reference); local processes go here.
      if (this.d.local.hasKey(key)) await this.d.local.runtime.stop(key, this.d.gracePeriodMs);
      return;
    }
    const tracked = job.metadata.finalizers?.includes(CLEANUP_FINALIZER) ?? false;
    if (job.metadata.deletionTimestamp) {
      if (this.d.local.hasKey(key)) await this.d.local.runtime.stop(key, this.d.gracePeriodMs);
      return tracked ? this.releaseClusters(key, job) : undefined;
    }
    const uid = job.metadata.uid;
    if (this.d.local.hasKey(key) && !this.d.local.runtime.has(key, uid)) await this.d.local.runtime.stop(key, this.d.gracePeriodMs);
    const spec = job.spec as TrainingJobSpec;
    const st = (job.status ?? {}) as TrainingJobStatus;
    if (isTerminal(st.phase)) return this.afterFinish(key, job, spec, st);
    if (!st.phase) await this.d.events.event(job, 'Normal', 'Created', `TrainingJob ${name} created (${spec.framework}, ${rolesOf(spec).map((r) => `${r.replicas} ${r.role}`).join(', ')})`);

    if (spec.runPolicy.suspend) {
      const left = await this.stopEverywhere(key, job, tracked, 'Suspending', 'Stopping: the job is suspended');
      if (left) return left;
      await this.d.admission.withdraw(job);
      await this.status.write(job, st, 'Suspended', 'JobSuspended', 'The job is suspended; its quota is released. Set spec.runPolicy.suspend=false to requeue it.', { replicaStatuses: zeroActive(st) });
      return;
    }

    const adm = await this.d.admission.ensure(job, spec);
    if (adm.state === 'Evicting') {
      const left = await this.stopEverywhere(key, job, tracked, adm.reason, `Stopping: ${adm.message}`);
      if (left) return left;
      await this.d.admission.released(job);
      await this.status.write(job, st, 'Queued', adm.reason, adm.message, { replicaStatuses: zeroActive(st) });
      return { requeueAfterMs: LOCAL_POLL_MS };
    }
    if (adm.state === 'Pending') {
      // Nothing runs without an admission (a workload that lost it stops everywhere first).
      const left = await this.stopEverywhere(key, job, tracked, adm.reason, `Stopping: ${adm.message}`);
      if (left) return left;
      await this.status.write(job, st, 'Queued', adm.reason, adm.message, { replicaStatuses: zeroActive(st) });
      return { requeueAfterMs: LOCAL_POLL_MS };
    }
    return this.runAdmitted(key, job, spec, st, adm, tracked);
  }

  private async runAdmitted(key: string, job: KubeObject, spec: TrainingJobSpec, st: TrainingJobStatus, adm: Extract<AdmissionState, { state: 'Admitted' }>, tracked: boolean): Promise<ReconcileResult | void> {
    const placement: Placement = adm.placement ?? { cluster: LOCAL_CLUSTER_NAME, source: 'default' };
    const target = await this.d.targets.target(placement.cluster, LOCAL_CLUSTER_NAME);
    const admittedBy = adm.local ? 'no admission controller answered; admitted locally' : `admitted by ClusterQueue ${adm.clusterQueue ?? ''}`.trim();
    if (!target) {
      const why = `no kubernetes Cluster named ${placement.cluster} (${placement.source === 'flavor' ? `ResourceFlavor ${placement.flavor} names it` : 'the annotation names it'})`;
      if (tracked && placedClustersOf(job).includes(placement.cluster)) {
        // It ran there and the Cluster was deleted: Capstan can no longer reach it, so the job goes back to its queue.
        await this.d.admission.released(job);
        await this.d.events.event(job, 'Warning', 'ClusterNotFound', `${why}; the job was placed there and is requeued`);
        await this.d.client.update(TrainingJobKind, withoutPlacement(job)).catch(() => undefined);
        await this.status.write(job, st, 'Queued', 'ClusterNotFound', `${why}; requeued`, { replicaStatuses: zeroActive(st) }, [
          { type: 'ClusterSynced', status: 'False', reason: 'ClusterNotFound', message: why },
        ], placement.conflict);
        return { requeueAfterMs: LOCAL_POLL_MS };
      }
      await this.status.write(job, st, 'Admitted', 'ClusterNotFound', `${admittedBy} for cluster ${placement.cluster}, which is not a kubernetes Cluster Capstan knows`, {}, [
        { type: 'ClusterSynced', status: 'False', reason: 'ClusterNotFound', message: why },
      ], placement.conflict);
      return { requeueAfterMs: this.backoff(key) };
    }
    // A placement that moved: what runs elsewhere goes first (a gang must not run twice).
    if (target.type !== 'local' && this.d.local.hasKey(key)) await this.d.local.runtime.stop(key, this.d.gracePeriodMs);
    if (tracked) {
      const elsewhere = (await this.d.targets.placed(job)).filter((t) => t.name !== target.name);
      let left = 0;
      try {
        for (const t of elsewhere) left += (await t.stop(job, { graceMs: this.d.gracePeriodMs })).remaining;
      } catch (err) {
        return this.cleanupFailed(key, job, err);
      }
      if (left > 0) return { requeueAfterMs: 1000 };
      if (target.type === 'local' || placedClustersOf(job).some((c) => c !== target.name)) {
        // Nothing is left on the clusters it no longer runs on: drop them from the record.
        const fresh = withoutPlacement(job);
        await this.d.client.update(TrainingJobKind, target.type === 'local' ? fresh : withPlacement(fresh, [target.name]) ?? fresh);
        return; // the update wakes us again
      }
    }
    if (target.type !== 'local') {
      // Record the cluster before anything is created there, so cleanup always knows where to look.
      const placed = withPlacement(job, [target.name]);
      if (placed) {
        await this.d.client.update(TrainingJobKind, placed);
        return;
      }
    }
    const cluster = target.type !== 'local';
    let status = st;
    let obs: ReplicaSetObservation | undefined;
    const expected = rolesOf(spec).reduce((s, r) => s + r.replicas, 0);
    try {
      obs = await target.observe(job);
      if (!obs || (cluster && obs.replicas.length < expected && jobOutcome(spec.framework, obs.replicas).kind === 'running')) {
        const flavors = adm.local ? [] : (await this.d.client.list(ResourceFlavorKind)).items;
        await target.start({ job, spec, admission: adm.admission, flavors, gpus: adm.gpus });
        const relaunch = st.startTime !== undefined;
        const where = cluster ? ` on cluster ${target.name}` : '';
        await this.d.events.event(job, 'Normal', relaunch ? 'Relaunched' : 'Started', `${relaunch ? 'Started again' : 'Started'} ${expected} replica(s) together${where} (${admittedBy}${placement.flavor ? `, flavor ${placement.flavor}` : ''})`);
        status = { ...status, startTime: status.startTime ?? this.now().toISOString(), workload: `trainingjob-${job.metadata.name}` };
        obs = await target.observe(job);
      }
      this.attempts.delete(key);
    } catch (err) {
      if (!(err instanceof ComputeTargetError)) throw err;
      const prev = st.conditions?.find((c) => c.type === 'ClusterSynced');
      if (prev?.message !== err.message) await this.d.events.event(job, 'Warning', err.reason, err.message);
      const phase = st.phase === 'Running' ? 'Running' : 'Admitted';
      await this.status.write(job, status, phase, err.reason, `${admittedBy}; ${cluster ? `cluster ${target.name}` : 'this machine'} refused the replicas: ${err.message}`, {}, [
        { type: 'ClusterSynced', status: 'False', reason: err.reason, message: err.message },
      ], placement.conflict);
      return err.retryable ? { requeueAfterMs: this.backoff(key) } : undefined;
    }
    const synced: Condition[] = cluster ? [{ type: 'ClusterSynced', status: 'True', reason: 'Applied', message: `pods on cluster ${target.name}` }] : [];
    const replicas = obs?.replicas ?? [];
    const metrics = { ...(status.metrics ?? {}), ...(obs?.metrics ?? {}) };
    const base: Partial<TrainingJobStatus> = { replicaStatuses: roleCounts(replicas), restarts: obs?.restarts ?? 0, ...(Object.keys(metrics).length ? { metrics } : {}) };
    const nowMs = this.now().getTime();
    if (deadlineExceeded(status.startTime, spec.runPolicy.activeDeadlineSeconds, nowMs)) {
      return this.finish(job, spec, { ...status, ...base }, target, false, 'DeadlineExceeded', `The job ran longer than activeDeadlineSeconds (${spec.runPolicy.activeDeadlineSeconds} s) and was stopped.`, synced, placement.conflict);
    }
    const outcome = jobOutcome(spec.framework, replicas);
    if (outcome.kind === 'failed') return this.finish(job, spec, { ...status, ...base }, target, false, outcome.reason, outcome.message, synced, placement.conflict);
    if (outcome.kind === 'succeeded') return this.finish(job, spec, { ...status, ...base }, target, true, 'JobSucceeded', `Every replica the job waits for has succeeded${cluster ? ` on cluster ${target.name}` : ''}.`, synced, placement.conflict);

    const starting = replicas.some((o) => o.state === 'starting') || replicas.length < expected;
    const phase = outcome.restarting ? 'Restarting' : starting ? 'Admitted' : 'Running';
    const waiting = replicas.find((o) => o.state === 'starting' && o.reason);
    const running = replicas.filter((o) => o.state === 'running').length;
    const msg = outcome.restarting
      ? `Restarting: ${replicas.filter((o) => o.state === 'restarting').map((o) => `${o.role} ${o.index}`).join(', ')}`
      : waiting
        ? `${waiting.role} ${waiting.index}: ${waiting.reason}: ${waiting.message ?? ''}`
        : `${running} replica(s) running${cluster ? ` on cluster ${target.name}` : ''}`;
    if (phase === 'Restarting' && st.phase !== 'Restarting') await this.d.events.event(job, 'Warning', 'Restarting', msg);
    const reason = phase === 'Restarting' ? 'ReplicaRestarting' : phase === 'Running' ? 'JobRunning' : waiting?.reason ?? 'Admitted';
    await this.status.write(job, status, phase, reason, msg, base, synced, placement.conflict);
    const poll = cluster ? CLUSTER_POLL_MS : LOCAL_POLL_MS;
    const untilDeadline = msUntilDeadline(status.startTime, spec.runPolicy.activeDeadlineSeconds, nowMs);
    return { requeueAfterMs: Math.max(10, Math.min(poll, untilDeadline ?? poll)) };
  }

  /**
   * The outcome is final, on every target alike: the replicas still running are stopped (a
   * failed worker must not leave its master holding a GPU), the output registered on success,
   * the quota freed, the status written.
   */
  private async finish(job: KubeObject, spec: TrainingJobSpec, st: TrainingJobStatus, target: JobTarget, succeeded: boolean, reason: string, message: string, conditions: Condition[], conflict: string | undefined): Promise<ReconcileResult | void> {
    let final: { remaining: number; metrics?: Record<string, number> };
    try {
      final = await target.stop(job, { graceMs: this.d.gracePeriodMs, keepFinished: true });
    } catch (err) {
      return this.cleanupFailed(`${job.metadata.namespace}/${job.metadata.name}`, job, err);
    }
    if (final.remaining > 0) return { requeueAfterMs: 1000 };
    const metrics = { ...(st.metrics ?? {}), ...(final.metrics ?? {}) };
    let registered: string | undefined;
    let outcomeMessage = message;
    if (succeeded && spec.output?.register) {
      const r = await registerJobOutput({ job, spec, metrics, target, dataDir: this.d.dataDir, registrar: this.d.registrar, events: this.d.events, log: this.d.log });
      registered = r.version;
      outcomeMessage = r.message ? `${message} ${r.message}` : message;
    }
    await this.d.admission.finished(job, succeeded, outcomeMessage);
    await this.d.events.event(job, succeeded ? 'Normal' : 'Warning', succeeded ? 'Succeeded' : reason, outcomeMessage);
    await this.status.write(job, st, succeeded ? 'Succeeded' : 'Failed', reason, outcomeMessage, {
      replicaStatuses: Object.fromEntries(Object.entries(st.replicaStatuses ?? {}).map(([role, c]) => [role, { ...c, active: 0 }])),
      completionTime: this.now().toISOString(),
      ...(Object.keys(metrics).length ? { metrics } : {}),
      ...(registered ? { registeredModelVersion: registered } : {}),
    }, conditions, conflict);
  }

  /**
   * Stops the job on this machine and on every cluster it was placed on; while something is still
   * there (terminating pods), the job says so and the quota stays held. Undefined once nothing is
   * left anywhere (and the cluster record is dropped).
   */
  private async stopEverywhere(key: string, job: KubeObject, tracked: boolean, reason: string, why: string): Promise<ReconcileResult | undefined> {
    const st = (job.status ?? {}) as TrainingJobStatus;
    if (this.d.local.hasKey(key)) {
      await this.d.local.runtime.stop(key, this.d.gracePeriodMs);
      await this.d.events.event(job, 'Warning', reason, `Stopped every replica: ${why.replace(/^Stopping: /, '')}`);
    }
    if (!tracked) return undefined;
    const placed = await this.d.targets.placed(job);
    let left = 0;
    try {
      for (const t of placed) left += (await t.stop(job, { graceMs: this.d.gracePeriodMs })).remaining;
    } catch (err) {
      return this.cleanupFailed(key, job, err);
    }
    this.attempts.delete(key);
    if (left > 0) {
      const phase = reason === 'Suspending' ? st.phase ?? 'Admitted' : 'Queued';
      await this.status.write(job, st, phase, reason, `${why}; ${left} object(s) still on cluster ${placed.map((t) => t.name).join(', ')}`, {}, [], undefined);
      return { requeueAfterMs: 1000 };
    }
    const fresh = await this.d.client.tryGet(TrainingJobKind, job.metadata.namespace, job.metadata.name);
    if (fresh && fresh.metadata.uid === job.metadata.uid) await this.d.client.update(TrainingJobKind, withoutPlacement(fresh));
    if (placed.length > 0) await this.d.events.event(job, 'Normal', 'Stopped', `Deleted every pod on cluster ${placed.map((t) => t.name).join(', ')}`);
    return undefined;
  }

  /** Deleting: everything on the recorded clusters goes, then the finalizer. */
  private async releaseClusters(key: string, job: KubeObject): Promise<ReconcileResult | void> {
    let left = 0;
    try {
      for (const t of await this.d.targets.placed(job)) left += (await t.stop(job, { graceMs: this.d.gracePeriodMs })).remaining;
    } catch (err) {
      return this.cleanupFailed(key, job, err);
    }
    this.attempts.delete(key);
    if (left > 0) return { requeueAfterMs: 1000 };
    const fresh = await this.d.client.tryGet(TrainingJobKind, job.metadata.namespace, job.metadata.name);
    if (!fresh || fresh.metadata.uid !== job.metadata.uid) return;
    await this.d.client.update(TrainingJobKind, withoutPlacement(fresh));
  }

  private async cleanupFailed(key: string, job: KubeObject, err: unknown): Promise<ReconcileResult> {
    if (!(err instanceof ComputeTargetError)) throw err;
    await this.d.events.event(job, 'Warning', 'CleanupFailed', `cannot remove the job's replicas yet (${err.reason}): ${err.message}; the quota stays held until they are gone`);
    return { requeueAfterMs: this.backoff(key) };
  }

  private async afterFinish(key: string, job: KubeObject, spec: TrainingJobSpec, st: TrainingJobStatus): Promise<ReconcileResult | void> {
    if (this.d.local.runtime.has(key, job.metadata.uid)) await this.d.local.runtime.stop(key, this.d.gracePeriodMs);
    const ttl = spec.runPolicy.ttlSecondsAfterFinished;
    if (ttl === undefined || !st.completionTime) return;
    const left = Date.parse(st.completionTime) + ttl * 1000 - this.now().getTime();
    if (left > 0) return { requeueAfterMs: left };
    await this.d.client.delete(TrainingJobKind, job.metadata.namespace, job.metadata.name).catch(() => undefined);
  }

  private backoff(key: string): number {
    const n = this.attempts.get(key) ?? 0;
    this.attempts.set(key, n + 1);
    // Capped at 30 s: a job waiting on a cluster that came back resumes soon (the cluster's return also requeues it).
    return backoffDelayMs(n, 1000, 30_000);
  }
}

function zeroActive(st: TrainingJobStatus): TrainingJobStatus['replicaStatuses'] {
  if (!st.replicaStatuses) return undefined;
  return Object.fromEntries(Object.entries(st.replicaStatuses).map(([r, c]) => [r, { ...c, active: 0 }]));
}


