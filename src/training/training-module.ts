/** The training capability's platform module: the TrainingJob controller, its local runtime and routes. */
import { TrainingJobKind } from '../api/kinds/training-job.js';
import { ownerKeyOf } from '../controllers/runtime/controller.js';
import { WorkloadKind } from '../queueing/index.js';
import { join } from 'node:path';
import { ProcessLedger } from '../runtime/local/index.js';
import type { PlatformContext, PlatformModule } from '../server/platform-module.js';
import { WorkloadAdmission, type TrainingAdmission } from './job-admission.js';
import { LocalJobRuntime } from './local-job-runtime.js';
import type { ModelRegistrar } from './model-registrar.js';
import { registryRegistrar } from './registry-registrar.js';
import { LocalJobTarget } from './local-job-target.js';
import { TrainingJobController } from './training-job-controller.js';
import { registerTrainingRoutes } from './training-routes.js';

/** Knobs of the training module (tests and benchmarks shorten them). */
export interface TrainingModuleOptions {
  /** SIGTERM → SIGKILL grace period when replicas are stopped (delete, suspend, preemption, end). */
  gracePeriodMs?: number;
  /** First restart delay under OnFailure (doubles per restart). */
  restartBaseDelayMs?: number;
  /** Take a Workload no admission controller answered within this long as admitted (undefined: never). */
  assumeAdmittedAfterMs?: number;
  /** Replace the Workload-backed admission. */
  admission?: (ctx: PlatformContext) => TrainingAdmission;
  /** Replace the registry-backed registrar. */
  registrar?: (ctx: PlatformContext) => ModelRegistrar | undefined;
  concurrency?: number;
}

// Replicas inherit only what a process needs to find programs and libraries, not the server's secrets.
const INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'PYTHONPATH', 'NODE_PATH', 'LD_LIBRARY_PATH'];

/** Builds the training module; the platform installs `trainingModule` (defaults). */
export function createTrainingModule(opts: TrainingModuleOptions = {}): PlatformModule & { runtime?: LocalJobRuntime } {
  const mod: PlatformModule & { runtime?: LocalJobRuntime } = {
    name: 'training',
    async install(ctx) {
      const log = ctx.log.child({ module: 'training' });
      let controllerQueue: { add(key: string): void } | undefined;
      // Replica process trees a crashed previous run left behind go before any job is relaunched.
      const ledger = new ProcessLedger(join(ctx.cfg.dataDir, 'run', 'training'));
      const reaped = (await ledger.reap()).filter((r) => r.action === 'killed');
      if (reaped.length > 0) log.warn({ replicas: reaped.map((r) => r.id), pids: reaped.flatMap((r) => r.pids) }, 'killed training replica processes left by a previous run');
      const runtime = new LocalJobRuntime({ log, onChange: (key) => controllerQueue?.add(key), restartBaseDelayMs: opts.restartBaseDelayMs, ledger });
      mod.runtime = runtime;
      const baseEnv: Record<string, string> = {};
      // The server's environment, captured once in its config: replicas get only the listed part.
      for (const k of INHERITED_ENV) if (ctx.cfg.environment[k] !== undefined) baseEnv[k] = ctx.cfg.environment[k]!;
      const local = new LocalJobTarget(runtime, { dataDir: ctx.cfg.dataDir, baseEnv, defaultCwd: process.cwd() });
      ctx.targets.setLocal(local);
      const controller = new TrainingJobController({
        client: ctx.client,
        local,
        targets: ctx.targets,
        admission: opts.admission ? opts.admission(ctx) : new WorkloadAdmission(ctx.client, { assumeAdmittedAfterMs: opts.assumeAdmittedAfterMs }),
        registrar: opts.registrar ? opts.registrar(ctx) : registryRegistrar(ctx),
        events: ctx.recorder('trainingjob-controller'),
        log,
        dataDir: ctx.cfg.dataDir,
        gracePeriodMs: opts.gracePeriodMs ?? 10_000,
      });
      const c = ctx.manager.add(controller, {
        primary: ctx.manager.informer(TrainingJobKind),
        watches: [{ informer: ctx.manager.informer(WorkloadKind), map: ownerKeyOf('TrainingJob') }],
        concurrency: opts.concurrency ?? 8,
      });
      controllerQueue = c.queue;
      // A cluster saw a job's pods change (the kubernetes module's watches): look again at once.
      ctx.targets.onChange((kind, key) => {
        if (kind === 'TrainingJob') c.queue.add(key);
      });
      registerTrainingRoutes(ctx.app, {
        client: ctx.client,
        dataDir: ctx.cfg.dataDir,
        subjectOf: (req) => ctx.subjectOf(req),
        replicaLive: (key, uid, role, index) => runtime.replicaLive(key, uid, role, index),
      });
      ctx.onStop(() => runtime.stopAll(Math.min(opts.gracePeriodMs ?? 10_000, 5000)));
    },
  };
  return mod;
}

/** Installs the training controllers and routes. */
export const trainingModule: PlatformModule = createTrainingModule();
