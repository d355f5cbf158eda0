/** The tuning capability's platform module: the Experiment controller, watching its trials and their TrainingJobs. */
import { ExperimentKind } from '../api/kinds/experiment.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import { EXPERIMENT_LABEL, TrialKind } from '../api/kinds/trial.js';
import { ownerKeyOf } from '../controllers/runtime/controller.js';
import type { PlatformContext, PlatformModule } from '../server/platform-module.js';
import type { ModelRegistrar } from '../training/model-registrar.js';
import { registryRegistrar } from '../training/registry-registrar.js';
import { ExperimentController } from './experiment-controller.js';
import { TrialMetricReader } from './trial-metrics.js';

/** Knobs of the module (tests shorten the poll). */
export interface ExperimentModuleOptions {
  pollMs?: number;
  registrar?: (ctx: PlatformContext) => ModelRegistrar | undefined;
}

/** Builds the module; the platform installs `experimentModule` (defaults). */
export function createExperimentModule(opts: ExperimentModuleOptions = {}): PlatformModule {
  return {
    name: 'experiments',
    install(ctx) {
      const controller = new ExperimentController({
        client: ctx.client,
        events: ctx.recorder('experiment-controller'),
        log: ctx.log.child({ module: 'experiments' }),
        reader: new TrialMetricReader(ctx.cfg.dataDir),
        best: { dataDir: ctx.cfg.dataDir, registrar: opts.registrar ? opts.registrar(ctx) : registryRegistrar(ctx) },
        pollMs: opts.pollMs,
      });
      ctx.manager.add(controller, {
        primary: ctx.manager.informer(ExperimentKind),
        watches: [
          { informer: ctx.manager.informer(TrialKind), map: ownerKeyOf('Experiment') },
          // A trial's job carries the experiment's name: its changes wake the experiment directly.
          { informer: ctx.manager.informer(TrainingJobKind), map: (o) => (o.metadata.labels?.[EXPERIMENT_LABEL] && o.metadata.namespace ? [`${o.metadata.namespace}/${o.metadata.labels[EXPERIMENT_LABEL]}`] : []) },
        ],
        concurrency: 4,
      });
    },
  };
}

/** Installs the Experiment controller. */
export const experimentModule: PlatformModule = createExperimentModule();
