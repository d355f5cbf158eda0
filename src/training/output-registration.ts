/**
 * On success, a job's output file becomes a ModelVersion with the job's metrics, params and
 * lineage. Locally the file is in the job's output directory; a job that ran on a cluster keeps
 * its output in its pods (collecting it is not built yet: the message says so).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/meta.js';
import type { TrainingJobSpec } from '../api/kinds/training-job-schema.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import type { JobTarget } from '../runtime/compute-target.js';
import { jobFiles } from './job-files.js';
import type { ModelRegistrar } from './model-registrar.js';

/** What registering needs. */
export interface OutputRegistrationInput {
  job: KubeObject;
  spec: TrainingJobSpec;
  metrics: Record<string, number>;
  target: JobTarget;
  dataDir: string;
  registrar?: ModelRegistrar;
  events: EventRecorder;
  log: Logger;
}

/** Registers the output; returns the `model@version` and a sentence for the job's message. */
export async function registerJobOutput(i: OutputRegistrationInput): Promise<{ version?: string; message?: string }> {
  const out = i.spec.output!;
  if (i.target.type !== 'local') return { message: `Model not registered: the output stays in the pods of cluster ${i.target.name}; Capstan registers outputs of jobs it runs on this machine.` };
  const files = jobFiles(i.dataDir, i.job.metadata.namespace!, i.job.metadata.name, i.job.metadata.uid);
  const sourcePath = join(files.outputDir, out.path);
  if (!existsSync(sourcePath)) return { message: `Model not registered: the job wrote no ${out.path} in $CAPSTAN_OUTPUT_DIR.` };
  if (!i.registrar) return { message: 'Model not registered: no model registry is installed.' };
  const params: Record<string, string> = { framework: i.spec.framework };
  for (const [role, r] of Object.entries(i.spec.replicaSpecs)) {
    params[`replicas.${role}`] = String(r.replicas);
    if (r.template.args?.length) params[`args.${role}`] = r.template.args.join(' ').slice(0, 4096);
  }
  try {
    const v = await i.registrar.register({ namespace: i.job.metadata.namespace!, model: out.model, sourcePath, metrics: i.metrics, params, lineage: { trainingJob: i.job.metadata.name }, description: `Trained by TrainingJob ${i.job.metadata.name}` });
    await i.events.event(i.job, 'Normal', 'ModelRegistered', `Registered ${out.model} version ${v.version}`);
    return { version: `${out.model}@${v.version}`, message: `Registered ${out.model} version ${v.version}.` };
  } catch (err) {
    i.log.warn({ err, job: i.job.metadata.name }, 'registering the training output failed');
    await i.events.event(i.job, 'Warning', 'RegistrationFailed', (err as Error).message);
    return { message: `Model not registered: ${(err as Error).message}` };
  }
}
