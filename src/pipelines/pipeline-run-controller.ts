/**
 * The PipelineRun controller: compiles the run's PipelineVersion, asks the pure planner what to
 * do, and does it: each container task attempt is a TrainingJob owned by the run (through the
 * queues, locally a process, on Kubernetes a Job); finished jobs' outputs are read back into the
 * artifact store; cache hits reuse earlier outputs; cancel deletes running jobs. All state is the
 * run's status and its jobs, so a platform killed mid-run resumes without re-running finished tasks.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { PipelineRunKind, PipelineVersionKind, PipelineKind, PIPELINE_LABEL, PIPELINE_RUN_FINALIZER } from '../api/kinds/pipeline-kinds.js';
import type { PipelineRunSpec, PipelineRunStatus, TaskStatus } from '../api/kinds/pipeline-schemas.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { TrainingJobStatus } from '../api/kinds/training-job-schema.js';
import type { KubeObject } from '../api/meta.js';
import type { BlobStore } from '../artifacts/index.js';
import type { LocalClient } from '../client/local-client.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { splitKey } from '../controllers/runtime/informer.js';
import { isTerminalTask, planRun, resetForRetry, type StartTask } from './dag-planner.js';
import { taskCacheKey } from './cache-key.js';
import { compileKfpIr } from './kfp-ir-compiler.js';
import type { PipelineModelSteps } from './model-steps.js';
import type { CompiledPipeline } from './pipeline-model.js';
import { resolveRunParameters, taskAtPath } from './run-parameters.js';
import { applyRunRetention } from './pipeline-status-controller.js';
import type { TaskCache } from './task-cache.js';
import { artifactsExist, collectOutputs, materializeInputs, prepareDirs, runDir, taskDirs } from './task-files.js';
import { taskCommand, taskJobManifest } from './task-job.js';

/** What the controller is built from. */
export interface PipelineRunControllerDeps {
  client: LocalClient;
  artifacts: BlobStore;
  cache: TaskCache;
  models: PipelineModelSteps;
  events: EventRecorder;
  log: Logger;
  dataDir: string;
  /** Reads a TrainingJob from the informer's cache (default: from the store). */
  cachedJob?: (namespace: string, name: string) => KubeObject | undefined;
  /** PATH of task processes (to tell a command that cannot run here). */
  path?: string;
  now?: () => Date;
}

const TERMINAL_RUN = new Set(['Succeeded', 'Failed', 'Cancelled']);
const POLL_MS = 5000;
/** URI prefix of pipeline artifacts (content-addressed in the pipeline artifact store). */
export const ARTIFACT_URI_PREFIX = 'capstan-artifact://sha256/';

/** Reconciles PipelineRuns. */
export class PipelineRunController implements Reconciler {
  readonly name = 'pipelinerun';
  private readonly compiled = new Map<string, CompiledPipeline>();

  constructor(private readonly d: PipelineRunControllerDeps) {}

  private now(): Date {
    return this.d.now ? this.d.now() : new Date();
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace: ns, name } = splitKey(key);
    const namespace = ns ?? 'default';
    const run = await this.d.client.tryGet(PipelineRunKind, namespace, name);
    if (!run) return;
    if (run.metadata.deletionTimestamp) return this.cleanUp(run);
    const spec = run.spec as PipelineRunSpec;
    const st = (run.status ?? {}) as PipelineRunStatus;
    if (TERMINAL_RUN.has(st.phase ?? '') && spec.retry <= (st.observedRetry ?? 0)) return this.afterFinish(run, spec, st);
    const nowIso = this.now().toISOString();
    const base: PipelineRunStatus = { ...st, observedGeneration: run.metadata.generation, startTime: st.startTime ?? nowIso };
    const v = await this.version(namespace, spec, st);
    if ('error' in v) return this.write(run, { ...base, phase: 'Failed', reason: v.reason, message: v.error, completionTime: nowIso });
    const pipeline = this.compile(v.obj);
    if ('error' in pipeline) return this.write(run, { ...base, phase: 'Failed', reason: 'InvalidPipeline', message: pipeline.error, pipelineVersion: v.obj.metadata.name, completionTime: nowIso });
    let params = st.parameters;
    if (!params) {
      const r = resolveRunParameters(pipeline, spec.parameters);
      if (!r.ok) return this.write(run, { ...base, phase: 'Failed', reason: 'InvalidParameters', message: r.problems.map((p) => `${p.field}: ${p.message}`).join('; '), pipelineVersion: v.obj.metadata.name, completionTime: nowIso });
      params = r.params;
      await this.d.events.event(run, 'Normal', 'Started', `Running ${v.obj.metadata.name}`);
    }
    let tasks: Record<string, TaskStatus> = { ...(st.tasks ?? {}) };
    let observedRetry = st.observedRetry ?? 0;
    if (spec.retry > observedRetry) {
      tasks = resetForRetry(tasks, (id) => taskAtPath(pipeline, id)?.triggerAll === true);
      observedRetry = spec.retry;
      delete base.completionTime;
      await this.d.events.event(run, 'Normal', 'Retrying', 'Retrying from the failed tasks; finished tasks are kept.');
    }
    tasks = await this.observe(run, pipeline, tasks);
    let plan = planRun({ pipeline, runName: name, params, tasks, cancel: spec.cancel, now: this.now().getTime() });
    for (let round = 0; round < 50; round++) {
      tasks = plan.tasks;
      await Promise.all(plan.stop.map((id) => this.stopTask(namespace, tasks[id])));
      let settled = false;
      // Started together: their TrainingJob writes share the store's group commit.
      const started = await Promise.all(plan.start.map((s) => this.startTask(run, spec, s, tasks[s.id]!)));
      plan.start.forEach((s, i) => {
        tasks[s.id] = started[i]!;
        if (started[i]!.phase !== 'Running') settled = true;
      });
      if (!settled) break;
      plan = planRun({ pipeline, runName: name, params, tasks, cancel: spec.cancel, now: this.now().getTime() });
    }
    tasks = plan.tasks;
    const phase = plan.phase;
    const done = TERMINAL_RUN.has(phase);
    if (done && st.phase !== phase) await this.d.events.event(run, phase === 'Succeeded' ? 'Normal' : 'Warning', phase, plan.message);
    const finishedNow = done && st.phase !== phase;
    await this.write(run, { ...base, phase, reason: phase, message: plan.message, pipelineVersion: v.obj.metadata.name, parameters: params, observedRetry, tasks, ...(done ? { completionTime: base.completionTime ?? this.now().toISOString() } : {}) });
    if (finishedNow) await applyRunRetention(this.d.client, namespace);
    if (done) return this.afterFinish(run, spec, { ...base, phase, completionTime: base.completionTime ?? this.now().toISOString() });
    const wait = plan.wakeAt !== undefined ? Math.max(10, plan.wakeAt - this.now().getTime()) : POLL_MS;
    return { requeueAfterMs: Math.min(wait, POLL_MS) };
  }

  private async version(namespace: string, spec: PipelineRunSpec, st: PipelineRunStatus): Promise<{ obj: KubeObject } | { error: string; reason: string }> {
    const pinned = st.pipelineVersion ?? spec.pipelineVersion;
    if (pinned) {
      const obj = await this.d.client.tryGet(PipelineVersionKind, namespace, pinned);
      return obj ? { obj } : { error: `PipelineVersion ${pinned} does not exist`, reason: 'PipelineNotFound' };
    }
    const p = await this.d.client.tryGet(PipelineKind, namespace, spec.pipeline!);
    if (!p) return { error: `Pipeline ${spec.pipeline} does not exist`, reason: 'PipelineNotFound' };
    const def = (p.spec as { defaultVersion?: string }).defaultVersion;
    if (def) return this.version(namespace, { ...spec, pipelineVersion: def }, {});
    const versions = (await this.d.client.list(PipelineVersionKind, { namespace, labelSelector: `${PIPELINE_LABEL}=${spec.pipeline}` })).items;
    versions.sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)) || Number(b.metadata.resourceVersion) - Number(a.metadata.resourceVersion));
    return versions[0] ? { obj: versions[0] } : { error: `Pipeline ${spec.pipeline} has no versions`, reason: 'PipelineNotFound' };
  }

  private compile(v: KubeObject): CompiledPipeline | { error: string } {
    const hit = this.compiled.get(v.metadata.uid);
    if (hit) return hit;
    const spec = v.spec as { pipelineSpec: unknown; platformSpec?: unknown };
    const r = compileKfpIr(spec.pipelineSpec, spec.platformSpec);
    if (!r.ok) return { error: r.problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
    this.compiled.set(v.metadata.uid, r.pipeline);
    return r.pipeline;
  }

  /** Reads the jobs of running tasks: finished ones give their outputs (or failure) to the task. */
  private async observe(run: KubeObject, pipeline: CompiledPipeline, tasks: Record<string, TaskStatus>): Promise<Record<string, TaskStatus>> {
    const out = { ...tasks };
    const running = Object.entries(tasks).filter(([, t]) => t.phase === 'Running' && t.job);
    const read = (job: string) => this.d.cachedJob?.(run.metadata.namespace!, job) ?? this.d.client.tryGet(TrainingJobKind, run.metadata.namespace, job);
    const jobs = await Promise.all(running.map(([, t]) => read(t.job!)));
    for (const [i, [id, t]] of running.entries()) {
      const job = jobs[i];
      const nowIso = this.now().toISOString();
      if (!job) {
        out[id] = { ...t, phase: 'Failed', reason: 'JobLost', message: `TrainingJob ${t.job} is gone`, endTime: nowIso };
        continue;
      }
      const js = (job.status ?? {}) as TrainingJobStatus;
      const last = js.conditions?.find((c) => c.type === js.phase);
      if (js.phase === 'Failed') {
        out[id] = { ...t, phase: 'Failed', reason: last?.reason ?? 'Failed', message: last?.message ?? 'the task failed', endTime: js.completionTime ?? nowIso };
      } else if (js.phase === 'Succeeded') {
        out[id] = await this.complete(run, pipeline, id, t);
      } else if (js.phase === 'Queued' && last && t.message !== last.message) {
        out[id] = { ...t, reason: last.reason, message: last.message };
      } else if (js.phase === 'Running' && t.reason) {
        const { reason: _r, message: _m, ...rest } = t;
        out[id] = rest;
      }
    }
    return out;
  }

  private async complete(run: KubeObject, pipeline: CompiledPipeline, id: string, t: TaskStatus): Promise<TaskStatus> {
    const task = taskAtPath(pipeline, id);
    const nowIso = this.now().toISOString();
    if (!task || task.body.kind !== 'container') return { ...t, phase: 'Failed', reason: 'InvalidInput', message: 'the task is not in the pipeline', endTime: nowIso };
    const exec = task.body.exec;
    const d = taskDirs(this.d.dataDir, run.metadata.namespace!, run.metadata.uid, id, t.attempts ?? 1);
    try {
      const outputs = await collectOutputs(this.d.artifacts, d, task.outputs, ARTIFACT_URI_PREFIX);
      let message = '';
      if (exec.registerModel) {
        const ref = await this.d.models.register({ namespace: run.metadata.namespace!, model: exec.registerModel.model, sourcePath: d.outputArtifact(exec.registerModel.artifact), run: run.metadata.name, task: id, job: t.job ?? '', inputs: [] });
        if ('model_version' in task.outputs.parameters) outputs.parameters.model_version = ref;
        message = `registered ${ref}`;
      }
      if (exec.deploy) {
        const ref = (outputs.parameters[exec.deploy.modelInput] ?? (t.inputs as { parameters?: Record<string, unknown> } | undefined)?.parameters?.[exec.deploy.modelInput]) as string | undefined;
        if (typeof ref !== 'string') throw new Error(`deploy: input ${exec.deploy.modelInput} holds no model reference`);
        message = await this.d.models.deploy(run, exec.deploy.service, ref);
      }
      const done: TaskStatus = { ...t, phase: 'Succeeded', endTime: nowIso, outputs: { parameters: outputs.parameters, artifacts: outputs.artifacts }, ...(message ? { message } : {}) };
      delete done.reason;
      if (!message) delete done.message;
      delete done.inputs;
      if (t.cacheKey) this.d.cache.put(run.metadata.namespace!, t.cacheKey, { outputs: done.outputs!, run: run.metadata.name, runUid: run.metadata.uid, task: id, createdAt: nowIso });
      return done;
    } catch (err) {
      return { ...t, phase: 'Failed', reason: 'OutputError', message: (err as Error).message, endTime: nowIso };
    }
  }

  private async startTask(run: KubeObject, spec: PipelineRunSpec, s: StartTask, st: TaskStatus): Promise<TaskStatus> {
    const ns = run.metadata.namespace!;
    const nowIso = this.now().toISOString();
    const cacheable = spec.cache && s.task.cache && !s.exec.registerModel && !s.exec.deploy;
    const key = taskCacheKey(s.exec, s.parameters, s.artifacts, s.task.outputs);
    if (cacheable) {
      const hit = this.d.cache.get(ns, key);
      if (hit) {
        const missing = await artifactsExist(this.d.artifacts, hit.outputs.artifacts ?? {});
        if (!missing) return { ...st, phase: 'Succeeded', cacheKey: key, cacheHit: true, endTime: nowIso, outputs: hit.outputs, message: `cache hit: outputs of ${hit.run}/${hit.task}` };
        this.d.cache.delete(ns, key);
        this.d.log.info({ run: run.metadata.name, task: s.id, artifact: missing }, 'cache entry dropped: its output artifact no longer exists');
      }
    }
    const d = taskDirs(this.d.dataDir, ns, run.metadata.uid, s.id, s.attempt);
    const input = { run, start: s, dirs: d, queueName: spec.queueName, priorityClassName: spec.priorityClassName, path: this.d.path };
    const cmd = taskCommand(input, s.artifacts);
    if ('error' in cmd) return { ...st, phase: 'Failed', reason: cmd.error.includes('cannot run locally') ? 'NotRunnable' : 'InvalidInput', message: cmd.error, endTime: nowIso };
    try {
      prepareDirs(d, s.task.outputs);
      await materializeInputs(this.d.artifacts, d, s.artifacts);
    } catch (err) {
      return { ...st, phase: 'Failed', reason: 'ArtifactMissing', message: `input artifacts: ${(err as Error).message}`, endTime: nowIso };
    }
    const manifest = taskJobManifest(input, cmd.command);
    const jobName = (manifest.metadata as { name: string }).name;
    try {
      await this.d.client.create(TrainingJobKind, manifest);
    } catch (err) {
      // A start re-planned after a crash finds the job it made before.
      if ((err as { reason?: string }).reason !== 'AlreadyExists') return { ...st, phase: 'Failed', reason: 'InvalidInput', message: `creating TrainingJob ${jobName}: ${(err as Error).message}`, endTime: nowIso };
    }
    return { ...st, job: jobName, ...(cacheable ? { cacheKey: key, cacheHit: false } : {}), inputs: { parameters: s.parameters } };
  }

  private async stopTask(namespace: string, t: TaskStatus | undefined): Promise<void> {
    if (!t?.job) return;
    await this.d.client.delete(TrainingJobKind, namespace, t.job).catch(() => undefined);
  }

  private async afterFinish(run: KubeObject, spec: PipelineRunSpec, st: PipelineRunStatus): Promise<ReconcileResult | void> {
    const ttl = spec.ttlSecondsAfterFinished;
    if (ttl === undefined || !st.completionTime) return;
    const left = Date.parse(st.completionTime) + ttl * 1000 - this.now().getTime();
    if (left > 0) return { requeueAfterMs: left };
    await this.d.client.delete(PipelineRunKind, run.metadata.namespace, run.metadata.name).catch(() => undefined);
  }

  private async write(run: KubeObject, next: PipelineRunStatus): Promise<void> {
    if (JSON.stringify(next) === JSON.stringify(run.status ?? {})) return;
    try {
      await this.d.client.updateStatus(PipelineRunKind, { ...run, status: next });
    } catch (err) {
      const reason = (err as { reason?: string }).reason;
      if (reason === 'NotFound') return;
      throw err; // Conflict: the work queue retries on the fresh object.
    }
  }

  /**
   * A deleted run: its cache entries, its files and the artifacts no other run references go,
   * then its finalizer. Models it registered stay (the registry holds its own copy).
   */
  private async cleanUp(run: KubeObject): Promise<void> {
    if (!run.metadata.finalizers?.includes(PIPELINE_RUN_FINALIZER)) return;
    const ns = run.metadata.namespace!;
    this.d.cache.deleteRun(ns, run.metadata.uid);
    rmSync(runDir(this.d.dataDir, ns, run.metadata.uid), { recursive: true, force: true });
    const mine = digestsOf(run);
    if (mine.size) {
      const others = new Set<string>();
      for (const r of (await this.d.client.list(PipelineRunKind, {})).items) if (r.metadata.uid !== run.metadata.uid) for (const x of digestsOf(r)) others.add(x);
      for (const x of this.d.cache.digests()) others.add(x);
      for (const x of mine) if (!others.has(x)) await this.d.artifacts.delete(x).catch(() => false);
    }
    const fresh = await this.d.client.tryGet(PipelineRunKind, ns, run.metadata.name);
    if (!fresh || fresh.metadata.uid !== run.metadata.uid) return;
    await this.d.client.update(PipelineRunKind, { ...fresh, metadata: { ...fresh.metadata, finalizers: (fresh.metadata.finalizers ?? []).filter((f) => f !== PIPELINE_RUN_FINALIZER) } });
  }
}

/** Digests of every artifact a run's tasks produced. */
export function digestsOf(run: KubeObject): Set<string> {
  const out = new Set<string>();
  for (const t of Object.values((run.status as PipelineRunStatus | undefined)?.tasks ?? {})) {
    for (const v of Object.values(t.outputs?.artifacts ?? {})) for (const a of Array.isArray(v) ? v : [v]) out.add(a.digest);
  }
  return out;
}

/** A stable short id (used in names). */
export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

export { isTerminalTask };
