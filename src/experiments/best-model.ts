/**
 * Registers the best trial's model: the file the template's `output.path` names in the best
 * trial's output directory becomes the next version of `output.model`, with the trial's
 * parameters and metrics and lineage to the experiment, the trial and its TrainingJob.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentSpec } from '../api/kinds/experiment-schema.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { jobFiles } from '../training/job-files.js';
import type { ModelRegistrar } from '../training/model-registrar.js';
import type { TrialView } from './experiment-state.js';
import { renderTemplate } from './trial-factory.js';

/** What registering needs. */
export interface BestModelDeps {
  client: LocalClient;
  events: EventRecorder;
  registrar?: ModelRegistrar;
  dataDir: string;
}

/** Registers the best trial's output when the template asks for it; `message` says what happened (undefined: nothing to do). */
export async function registerBestTrial(d: BestModelDeps, exp: KubeObject, spec: ExperimentSpec, best: TrialView): Promise<{ version?: string; message?: string }> {
  const ns = exp.metadata.namespace!;
  const rendered = renderTemplate(spec, ns, best.name, best.assignment).spec;
  const out = rendered?.output;
  if (!out || !out.register) return {};
  if (!d.registrar) return { message: 'Model not registered: no model registry is installed.' };
  const job = await d.client.tryGet(TrainingJobKind, ns, best.name);
  if (!job) return { message: `Model not registered: TrainingJob ${best.name} is gone.` };
  const source = join(jobFiles(d.dataDir, ns, job.metadata.name, job.metadata.uid).outputDir, out.path);
  if (!existsSync(source)) return { message: `Model not registered: trial ${best.name} wrote no ${out.path} in $CAPSTAN_OUTPUT_DIR.` };
  const metrics: Record<string, number> = {};
  for (const m of best.metrics) if (m.value !== undefined) metrics[m.name] = m.value;
  const params: Record<string, string> = { framework: rendered.framework, ...best.assignment };
  try {
    const v = await d.registrar.register({ namespace: ns, model: out.model, sourcePath: source, metrics, params, lineage: { trainingJob: job.metadata.name, experiment: exp.metadata.name, trial: best.name }, description: `Best trial ${best.name} of Experiment ${exp.metadata.name}` });
    await d.events.event(exp, 'Normal', 'ModelRegistered', `Registered ${out.model} version ${v.version} from trial ${best.name}`);
    return { version: `${out.model}@${v.version}`, message: `Registered ${out.model} version ${v.version} from trial ${best.name}.` };
  } catch (err) {
    await d.events.event(exp, 'Warning', 'RegistrationFailed', (err as Error).message);
    return { message: `Model not registered: ${(err as Error).message}` };
  }
}
