/**
 * The TrainingJob controller: job → Workload → (admitted) every replica started at once by the
 * local runtime → watched until it succeeds, fails, hits its deadline, is suspended or evicted →
 * on success the output registered as a ModelVersion. Level-triggered: each reconcile reads the
 * job, its workload and the runtime, acts, and writes status only when it changed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.js';
import { withPlacementConflict } from '../queueing/index.js';
import { LOCAL_CLUSTER_NAME } from '../api/kinds/cluster.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { TrainingJobSpec, TrainingJobStatus } from '../api/kinds/training-job-schema.js';
import type { LocalClient } from '../client/local-client.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { splitKey } from '../controllers/runtime/informer.js';
import { freePorts } from './free-ports.js';
import type { TrainingAdmission } from './job-admission.js';
import { jobFiles } from './job-files.js';
import { deadlineExceeded, jobOutcome, msUntilDeadline, roleCounts, type ReplicaObservation } from './job-policy.js';
import { isTerminal, statusForPhase, type TrainingPhase } from './job-status.js';
import { buildLaunchPlan, rolesOf } from './launch-plan.js';
import type { LocalJobRuntime } from './local-job-runtime.js';
import type { ModelRegistrar } from './model-registrar.js';
import { portsNeeded, replicaKey } from '../runtime/rendezvous-env.js';

/** What the controller is built from. */
export interface TrainingJobControllerDeps {
  client: LocalClient;
  runtime: LocalJobRuntime;
  admission: TrainingAdmission;
  registrar?: ModelRegistrar;
  events: EventRecorder;
  log: Logger;
  dataDir: string;
  /** Env every replica inherits (PATH, HOME, ...). */
  baseEnv: Record<string, string>;
  /** Working directory of replicas whose template names none. */
  defaultCwd: string;
  /** SIGTERM → SIGKILL grace period when stopping replicas. */
  gracePeriodMs: number;
  now?: () => Date;
}

const POLL_MS = 2000;

/** Reconciles TrainingJobs. */
export class TrainingJobController implements Reconciler {
  readonly name = 'trainingjob';

  constructor(private readonly d: TrainingJobControllerDeps) {}

  private now(): Date {
    return this.d.now ? this.d.now() : new Date();
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const job = await this.d.client.tryGet(TrainingJobKind, namespace, name);
    if (!job || job.metadata.deletionTimestamp) {
      // Deleted: the Workload goes with it (owner reference); the processes go here.
      await this.d.runtime.stop(key, this.d.gracePeriodMs);
      return;
    }
    // Every job goes through queue admission wherever it runs. Once its workload holds an
    // admission on another cluster (its flavor's, docs/kubernetes.md), that cluster's runtime
    // runs it and owns its status until the admission ends; this controller owns the rest.
    const uid = job.metadata.uid;
    if (this.d.runtime.keys().includes(key) && !this.d.runtime.has(key, uid)) await this.d.runtime.stop(key, this.d.gracePeriodMs);
    const spec = job.spec as TrainingJobSpec;
    const st = (job.status ?? {}) as TrainingJobStatus;
    if (isTerminal(st.phase)) return this.afterFinish(key, job, spec, st);
    if (!st.phase) await this.d.events.event(job, 'Normal', 'Created', `TrainingJob ${name} created (${spec.framework}, ${rolesOf(spec).map((r) => `${r.replicas} ${r.role}`).join(', ')})`);

    if (spec.runPolicy.suspend) {
      // Pods on a cluster are deleted by its runtime, which withdraws the workload after them.
      const where = await this.d.admission.placement?.(job);
      if (where && where.cluster !== LOCAL_CLUSTER_NAME) return this.leaveToCluster(key, uid);
      if (this.d.runtime.has(key, uid)) await this.d.runtime.stop(key, this.d.gracePeriodMs);
      await this.d.admission.withdraw(job);
      await this.write(job, st, 'Suspended', 'JobSuspended', 'The job is suspended; its quota is released. Set spec.runPolicy.suspend=false to requeue it.', { replicaStatuses: zeroActive(st) });
      return;
    }

    const adm = await this.d.admission.ensure(job, spec);
    if (adm.state !== 'Pending' && adm.placement && adm.placement.cluster !== LOCAL_CLUSTER_NAME) return this.leaveToCluster(key, uid);
    if (adm.state !== 'Admitted') {
      if (this.d.runtime.has(key, uid)) {
        await this.d.runtime.stop(key, this.d.gracePeriodMs);
        await this.d.events.event(job, 'Warning', adm.reason, `Stopped every replica: ${adm.message}`);
      }
      if (adm.state === 'Evicting') await this.d.admission.released(job);
      const reason = adm.state === 'Evicting' ? adm.reason : adm.reason;
      await this.write(job, st, 'Queued', reason, adm.message, { replicaStatuses: zeroActive(st) });
      return { requeueAfterMs: POLL_MS };
    }

    let status = st;
    const conditions = withPlacementConflict(status.conditions, adm.placement?.conflict, this.now().toISOString());
    if (conditions !== status.conditions) status = { ...status, conditions };
    if (!this.d.runtime.has(key, uid)) {
      status = await this.launch(key, job, spec, status, adm.local ? 'no admission controller answered; admitted locally' : `admitted by ClusterQueue ${adm.clusterQueue ?? ''}`.trim(), adm.gpus);
    }
    const obs = this.d.runtime.observe(key) ?? [];
    const nowMs = this.now().getTime();
    const metrics = { ...(status.metrics ?? {}), ...this.d.runtime.latestMetrics(key) };
    const base: Partial<TrainingJobStatus> = { replicaStatuses: roleCounts(obs), restarts: this.d.runtime.restarts(key), ...(Object.keys(metrics).length ? { metrics } : {}) };

    if (deadlineExceeded(status.startTime, spec.runPolicy.activeDeadlineSeconds, nowMs)) {
      return this.finish(key, job, spec, status, obs, false, 'DeadlineExceeded', `The job ran longer than activeDeadlineSeconds (${spec.runPolicy.activeDeadlineSeconds} s) and was stopped.`);
    }
    const outcome = jobOutcome(spec.framework, obs);
    if (outcome.kind === 'failed') return this.finish(key, job, spec, status, obs, false, outcome.reason, outcome.message);
    if (outcome.kind === 'succeeded') return this.finish(key, job, spec, status, obs, true, 'JobSucceeded', 'Every replica the job waits for has succeeded.');

    const starting = obs.some((o) => o.state === 'starting');
    const phase: TrainingPhase = outcome.restarting ? 'Restarting' : starting ? 'Admitted' : 'Running';
    const msg = outcome.restarting ? `Restarting: ${obs.filter((o) => o.state === 'restarting').map((o) => `${o.role} ${o.index}`).join(', ')}` : `${obs.filter((o) => o.state === 'running').length} replica(s) running`;
    if (phase === 'Restarting' && st.phase !== 'Restarting') await this.d.events.event(job, 'Warning', 'Restarting', msg);
    await this.write(job, status, phase, phase === 'Restarting' ? 'ReplicaRestarting' : phase === 'Running' ? 'JobRunning' : 'Admitted', msg, base);
    const untilDeadline = msUntilDeadline(status.startTime, spec.runPolicy.activeDeadlineSeconds, nowMs);
    return { requeueAfterMs: Math.max(10, Math.min(POLL_MS, untilDeadline ?? POLL_MS)) };
  }

  // Another cluster runs the job: nothing runs here (a placement that moved stops what did).
  private async leaveToCluster(key: string, uid: string): Promise<void> {
    if (this.d.runtime.has(key, uid)) await this.d.runtime.stop(key, this.d.gracePeriodMs);
  }

  private async launch(key: string, job: KubeObject, spec: TrainingJobSpec, st: TrainingJobStatus, admittedMessage: string, gpus: Record<string, number[]>): Promise<TrainingJobStatus> {
    const { namespace, name, uid } = job.metadata;
    const files = jobFiles(this.d.dataDir, namespace!, name, uid);
    mkdirSync(files.outputDir, { recursive: true });
    // Replicas append to $CAPSTAN_METRICS_FILE without having to create its directory.
    mkdirSync(dirname(files.metricsFile({ role: 'x', index: 0 })), { recursive: true });
    const needs = portsNeeded(spec.framework, rolesOf(spec));
    const ports = await freePorts(needs.length);
    const portMap = Object.fromEntries(needs.map((r, i) => [replicaKey(r), ports[i]!]));
    const plan = buildLaunchPlan({ namespace: namespace!, name, uid, spec, files, ports: portMap, gpus, baseEnv: this.d.baseEnv, defaultCwd: this.d.defaultCwd });
    this.d.runtime.start(plan);
    const relaunch = st.startTime !== undefined;
    await this.d.events.event(job, 'Normal', relaunch ? 'Relaunched' : 'Started', `${relaunch ? 'Started again' : 'Started'} ${plan.replicas.length} replica(s) together (${admittedMessage})`);
    const next = { ...st, startTime: st.startTime ?? this.now().toISOString(), workload: `trainingjob-${name}` };
    return statusForPhase(next, 'Admitted', 'Admitted', admittedMessage, this.now().toISOString(), job.metadata.generation);
  }

  private async finish(key: string, job: KubeObject, spec: TrainingJobSpec, st: TrainingJobStatus, obs: ReplicaObservation[], succeeded: boolean, reason: string, message: string): Promise<void> {
    const counts = roleCounts(obs);
    const restarts = this.d.runtime.restarts(key);
    const final = (await this.d.runtime.stop(key, this.d.gracePeriodMs)) ?? {};
    const metrics = { ...(st.metrics ?? {}), ...final };
    let registered: string | undefined;
    let outcomeMessage = message;
    if (succeeded && spec.output?.register) {
      const r = await this.registerOutput(job, spec, metrics);
      registered = r.version;
      outcomeMessage = r.message ? `${message} ${r.message}` : message;
    }
    await this.d.admission.finished(job, succeeded, outcomeMessage);
    await this.d.events.event(job, succeeded ? 'Normal' : 'Warning', succeeded ? 'Succeeded' : reason, outcomeMessage);
    await this.write(job, st, succeeded ? 'Succeeded' : 'Failed', reason, outcomeMessage, {
      replicaStatuses: Object.fromEntries(Object.entries(counts).map(([role, c]) => [role, { ...c, active: 0 }])),
      restarts,
      completionTime: this.now().toISOString(),
      ...(Object.keys(metrics).length ? { metrics } : {}),
      ...(registered ? { registeredModelVersion: registered } : {}),
    });
  }

  private async registerOutput(job: KubeObject, spec: TrainingJobSpec, metrics: Record<string, number>): Promise<{ version?: string; message?: string }> {
    const out = spec.output!;
    const files = jobFiles(this.d.dataDir, job.metadata.namespace!, job.metadata.name, job.metadata.uid);
    const sourcePath = join(files.outputDir, out.path);
    if (!existsSync(sourcePath)) return { message: `Model not registered: the job wrote no ${out.path} in $CAPSTAN_OUTPUT_DIR.` };
    if (!this.d.registrar) return { message: 'Model not registered: no model registry is installed.' };
    const params: Record<string, string> = { framework: spec.framework };
    for (const [role, r] of Object.entries(spec.replicaSpecs)) {
      params[`replicas.${role}`] = String(r.replicas);
      if (r.template.args?.length) params[`args.${role}`] = r.template.args.join(' ').slice(0, 4096);
    }
    try {
      const v = await this.d.registrar.register({ namespace: job.metadata.namespace!, model: out.model, sourcePath, metrics, params, lineage: { trainingJob: job.metadata.name }, description: `Trained by TrainingJob ${job.metadata.name}` });
      await this.d.events.event(job, 'Normal', 'ModelRegistered', `Registered ${out.model} version ${v.version}`);
      return { version: `${out.model}@${v.version}`, message: `Registered ${out.model} version ${v.version}.` };
    } catch (err) {
      this.d.log.warn({ err, job: job.metadata.name }, 'registering the training output failed');
      await this.d.events.event(job, 'Warning', 'RegistrationFailed', (err as Error).message);
      return { message: `Model not registered: ${(err as Error).message}` };
    }
  }

  private async afterFinish(key: string, job: KubeObject, spec: TrainingJobSpec, st: TrainingJobStatus): Promise<ReconcileResult | void> {
    if (this.d.runtime.has(key, job.metadata.uid)) await this.d.runtime.stop(key, this.d.gracePeriodMs);
    const ttl = spec.runPolicy.ttlSecondsAfterFinished;
    if (ttl === undefined || !st.completionTime) return;
    const left = Date.parse(st.completionTime) + ttl * 1000 - this.now().getTime();
    if (left > 0) return { requeueAfterMs: left };
    await this.d.client.delete(TrainingJobKind, job.metadata.namespace, job.metadata.name).catch(() => undefined);
  }

  private async write(job: KubeObject, prev: TrainingJobStatus, phase: TrainingPhase, reason: string, message: string, extra: Partial<TrainingJobStatus> = {}): Promise<void> {
    const now = this.now().toISOString();
    const next = statusForPhase({ ...prev, ...extra }, phase, reason, message, now, job.metadata.generation);
    if (JSON.stringify(next) === JSON.stringify(job.status ?? {})) return;
    if (phase !== prev.phase && (phase === 'Queued' || phase === 'Suspended')) await this.d.events.event(job, 'Normal', phase, message);
    // A conflict because the spec or metadata changed is retried on the fresh version: a lost
    // terminal status would relaunch a finished job. A conflict because the status changed means
    // the kubernetes runtime took the job over meanwhile (its admission moved to a cluster): a
    // non-terminal write then yields, and the status event brings a reconcile that sees why.
    let cur = job;
    for (let i = 0; i < 5; i++) {
      try {
        await this.d.client.updateStatus(TrainingJobKind, { ...cur, status: next });
        return;
      } catch (err) {
        const reason = (err as { reason?: string }).reason;
        if (reason === 'NotFound') return;
        if (reason !== 'Conflict') throw err;
        const fresh = await this.d.client.tryGet(TrainingJobKind, job.metadata.namespace, job.metadata.name);
        if (!fresh || fresh.metadata.uid !== job.metadata.uid) return;
        if (!isTerminal(phase) && JSON.stringify(fresh.status ?? {}) !== JSON.stringify(job.status ?? {})) return;
        cur = fresh;
      }
    }
  }
}

function zeroActive(st: TrainingJobStatus): TrainingJobStatus['replicaStatuses'] {
  if (!st.replicaStatuses) return undefined;
  return Object.fromEntries(Object.entries(st.replicaStatuses).map(([r, c]) => [r, { ...c, active: 0 }]));
}
