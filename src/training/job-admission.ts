/**
 * How a TrainingJob gets its quota: one Workload per job (one podSet per role), admitted by the
 * queueing capability as a gang. This file is the only place that knows the Workload contract
 * (docs/queues.md), so the controller asks one question: may this job run now, and on which GPUs?
 */
import type { KubeObject } from '../api/meta.js';
import type { TrainingJobSpec } from '../api/kinds/training-job-schema.js';
import type { LocalClient } from '../client/local-client.js';
import {
  buildWorkload, isAdmitted, isEvictionRequested, isFinished, markWorkloadFinished, podSetPlacements, releaseEvictedWorkload,
  workloadNameFor, workloadPendingMessage, workloadPendingReason, WorkloadKind, evictionMessage,
} from '../queueing/index.js';
import { ResourceFlavorKind } from '../api/kinds/resource-flavor.js';
import type { WorkloadAdmission as Admission } from '../api/kinds/workload.js';
import { LOCAL_CLUSTER_NAME } from '../api/kinds/cluster.js';
import { placementOf, podSetName, type Placement } from '../queueing/index.js';
import { replicaKey } from '../runtime/rendezvous-env.js';

/** The answer for one job. */
export type AdmissionState =
  | { state: 'Admitted'; gpus: Record<string, number[]>; clusterQueue?: string; local?: boolean; placement?: Placement; admission?: Admission }
  | { state: 'Pending'; reason: string; message: string }
  | { state: 'Evicting'; reason: string; message: string; placement?: Placement };

/** The admission a TrainingJob controller uses (swappable in tests). */
export interface TrainingAdmission {
  /** Submits the job's workload if needed and says whether it may run. */
  ensure(job: KubeObject, spec: TrainingJobSpec): Promise<AdmissionState>;
  /** After the job stopped on eviction: the workload goes back to its queue. */
  released(job: KubeObject): Promise<void>;
  /** The job ended: its quota is freed for good. */
  finished(job: KubeObject, succeeded: boolean, message: string): Promise<void>;
  /** Suspend: the workload is withdrawn (quota freed); resume submits a new one. */
  withdraw(job: KubeObject): Promise<void>;
  /** Where the job's workload is admitted (or being evicted from) now; undefined when it holds no admission. */
  placement?(job: KubeObject): Promise<Placement | undefined>;
}

export { podSetName };

/** Per-replica requests of a role, as Workload quantities. */
export function roleRequests(spec: TrainingJobSpec, role: string): Record<string, string | number> {
  const res = spec.replicaSpecs[role]?.template.resources ?? {};
  const out: Record<string, string | number> = {};
  if (res.cpu !== undefined) out.cpu = res.cpu;
  if (res.memory !== undefined) out.memory = res.memory;
  if (res.gpu) out['nvidia.com/gpu'] = res.gpu;
  return out;
}

/** Options of the Workload-backed admission. */
export interface WorkloadAdmissionOptions {
  now?: () => Date;
  /**
   * A Workload that no admission controller has touched after this long is taken as admitted:
   * the embedded default then runs without a queue rather than never. Undefined: wait forever.
   */
  assumeAdmittedAfterMs?: number;
}

/** Admission through the queueing capability's Workloads. */
export class WorkloadAdmission implements TrainingAdmission {
  constructor(private readonly client: LocalClient, private readonly opts: WorkloadAdmissionOptions = {}) {}

  private now(): Date {
    return this.opts.now ? this.opts.now() : new Date();
  }

  private name(job: KubeObject): string {
    return workloadNameFor(job);
  }

  async ensure(job: KubeObject, spec: TrainingJobSpec): Promise<AdmissionState> {
    const ns = job.metadata.namespace!;
    let wl = await this.client.tryGet(WorkloadKind, ns, this.name(job));
    // A workload left from a deleted job of the same name belongs to someone else.
    if (wl && !(wl.metadata.ownerReferences ?? []).some((r) => r.uid === job.metadata.uid)) {
      await this.client.delete(WorkloadKind, ns, wl.metadata.name).catch(() => undefined);
      wl = undefined;
    }
    if (!wl || isFinished(wl)) {
      if (wl) await this.client.delete(WorkloadKind, ns, wl.metadata.name).catch(() => undefined);
      const body = buildWorkload({
        owner: job,
        queueName: spec.queueName,
        priorityClassName: spec.priorityClassName,
        podSets: Object.entries(spec.replicaSpecs).map(([role, r]) => ({ name: podSetName(role), count: r.replicas, requests: roleRequests(spec, role) })),
        ...(spec.runPolicy.activeDeadlineSeconds ? { expectedDurationSeconds: spec.runPolicy.activeDeadlineSeconds } : {}),
        labels: { 'capstan.dev/training-job': job.metadata.name },
      });
      try {
        wl = await this.client.create(WorkloadKind, body);
      } catch (err) {
        if ((err as { reason?: string }).reason !== 'AlreadyExists') throw err;
        wl = await this.client.get(WorkloadKind, ns, this.name(job));
      }
    }
    if (isAdmitted(wl)) {
      const gpus: Record<string, number[]> = {};
      for (const [role, r] of Object.entries(spec.replicaSpecs)) {
        const placements = podSetPlacements(wl, podSetName(role));
        for (let i = 0; i < r.replicas; i++) gpus[replicaKey({ role, index: i })] = placements[i]?.gpus ?? [];
      }
      const adm = (wl.status as { admission: Admission }).admission;
      return { state: 'Admitted', gpus, clusterQueue: adm.clusterQueue, admission: adm, placement: await this.placementFor(job, adm) };
    }
    if (isEvictionRequested(wl)) {
      const conds = (wl.status as { conditions?: Array<{ type: string; reason?: string }> } | undefined)?.conditions ?? [];
      const reason = conds.find((c) => c.type === 'Evicted')?.reason ?? 'Evicted';
      return { state: 'Evicting', reason, message: evictionMessage(wl) ?? 'evicted by the queue', placement: await this.placementFor(job, (wl.status as { admission: Admission }).admission) };
    }
    const untouched = !wl.status || Object.keys(wl.status).length === 0;
    const age = this.now().getTime() - Date.parse(wl.metadata.creationTimestamp);
    if (untouched && this.opts.assumeAdmittedAfterMs !== undefined && age >= this.opts.assumeAdmittedAfterMs) {
      // Assumed without a queue (no admission controller installed): there is no flavor, so it runs here.
      return { state: 'Admitted', gpus: {}, local: true, placement: { cluster: LOCAL_CLUSTER_NAME, source: 'default' } };
    }
    return { state: 'Pending', reason: workloadPendingReason(wl) ?? 'Pending', message: workloadPendingMessage(wl) || `waiting for queue ${spec.queueName} to admit workload ${wl.metadata.name}` };
  }

  private async placementFor(job: KubeObject, adm: Admission): Promise<Placement> {
    return placementOf(job, adm, (await this.client.list(ResourceFlavorKind)).items);
  }

  async placement(job: KubeObject): Promise<Placement | undefined> {
    const wl = await this.client.tryGet(WorkloadKind, job.metadata.namespace!, this.name(job));
    if (!wl || !(wl.metadata.ownerReferences ?? []).some((r) => r.uid === job.metadata.uid)) return undefined;
    if (!isAdmitted(wl) && !isEvictionRequested(wl)) return undefined;
    return this.placementFor(job, (wl.status as { admission: Admission }).admission);
  }

  async released(job: KubeObject): Promise<void> {
    await releaseEvictedWorkload(this.client, job.metadata.namespace!, this.name(job), () => this.now());
  }

  async finished(job: KubeObject, succeeded: boolean, message: string): Promise<void> {
    await markWorkloadFinished(this.client, job.metadata.namespace!, this.name(job), { succeeded, message }, () => this.now());
  }

  async withdraw(job: KubeObject): Promise<void> {
    try {
      await this.client.delete(WorkloadKind, job.metadata.namespace!, this.name(job));
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'NotFound') throw err;
    }
  }
}
