/**
 * Pure: the objects an experiment creates. Trial `i` of experiment `e` is named `e-i` (so a
 * controller that restarts finds, never duplicates, what it created), owned by the experiment,
 * and runs the template rendered with its values as a TrainingJob of the same name that it owns.
 * Trials' jobs never register their model: the experiment registers the best one at the end.
 */
import { substitutePlaceholders, trialJobSpec } from '../api/convert/katib-trial-template.js';
import { ExperimentKind } from '../api/kinds/experiment.js';
import type { ExperimentSpec } from '../api/kinds/experiment-schema.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { TrainingJobSpec } from '../api/kinds/training-job-schema.js';
import { EXPERIMENT_LABEL, TRIAL_INDEX_LABEL, TrialKind, type TrialSpec } from '../api/kinds/trial.js';
import type { KubeObject } from '../api/meta.js';
import type { Assignment } from '../tuning/search-space.js';

/** An object to create. */
export type Manifest = Record<string, unknown> & { metadata: { name: string; namespace?: string; [k: string]: unknown } };

/** The annotation recording who created an object; objects made on its behalf carry it on. */
export const CREATED_BY_ANNOTATION = 'capstan.dev/created-by';

/** The name of trial `index`. */
export function trialName(experiment: string, index: number): string {
  return `${experiment}-${index}`;
}

function createdBy(parent: KubeObject): Record<string, string> | undefined {
  const v = parent.metadata.annotations?.[CREATED_BY_ANNOTATION];
  return v ? { [CREATED_BY_ANNOTATION]: v } : undefined;
}

/** The job spec the template gives for an assignment (register flag as the template says), or the reason it cannot. */
export function renderTemplate(spec: ExperimentSpec, namespace: string, name: string, assignment: Assignment): { spec?: TrainingJobSpec; error?: string } {
  const values: Record<string, string> = {};
  for (const tp of spec.trialTemplate.trialParameters) {
    values[tp.name] = tp.reference === '${trialSpec.Name}' ? name : tp.reference === '${trialSpec.Namespace}' ? namespace : (assignment[tp.reference] ?? '');
  }
  const r = trialJobSpec(substitutePlaceholders(spec.trialTemplate.trialSpec, values), 'spec.trialTemplate.trialSpec');
  if (!r.spec) return { error: r.causes.map((c) => `${c.field}: ${c.message}`).join('; ') };
  return { spec: r.spec as unknown as TrainingJobSpec };
}

/** The Trial object for an assignment, or the reason the template cannot run it. */
export function buildTrial(exp: KubeObject, spec: ExperimentSpec, index: number, assignment: Assignment): { trial?: Manifest; error?: string } {
  const ns = exp.metadata.namespace!;
  const name = trialName(exp.metadata.name, index);
  const rendered = renderTemplate(spec, ns, name, assignment);
  if (!rendered.spec) return { error: rendered.error };
  const runSpec: TrainingJobSpec = rendered.spec.output ? { ...rendered.spec, output: { ...rendered.spec.output, register: false } } : rendered.spec;
  const trialSpec: TrialSpec = {
    parameterAssignments: spec.parameters.map((p) => ({ name: p.name, value: assignment[p.name] ?? '' })),
    objective: spec.objective,
    metricsCollector: spec.metricsCollectorSpec,
    runSpec,
  };
  const annotations = createdBy(exp);
  return {
    trial: {
      apiVersion: TrialKind.apiVersion,
      kind: TrialKind.kind,
      metadata: {
        name,
        namespace: ns,
        labels: { [EXPERIMENT_LABEL]: exp.metadata.name, [TRIAL_INDEX_LABEL]: String(index) },
        ...(annotations ? { annotations } : {}),
        ownerReferences: [{ apiVersion: ExperimentKind.apiVersion, kind: ExperimentKind.kind, name: exp.metadata.name, uid: exp.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: trialSpec as unknown as Record<string, unknown>,
    },
  };
}

/** The TrainingJob a trial runs. */
export function buildTrialJob(trial: KubeObject): Manifest {
  const spec = trial.spec as TrialSpec;
  const annotations = createdBy(trial);
  return {
    apiVersion: TrainingJobKind.apiVersion,
    kind: TrainingJobKind.kind,
    metadata: {
      name: trial.metadata.name,
      namespace: trial.metadata.namespace,
      labels: { [EXPERIMENT_LABEL]: trial.metadata.labels?.[EXPERIMENT_LABEL] ?? '', 'capstan.dev/trial': trial.metadata.name },
      ...(annotations ? { annotations } : {}),
      ownerReferences: [{ apiVersion: TrialKind.apiVersion, kind: TrialKind.kind, name: trial.metadata.name, uid: trial.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: spec.runSpec as unknown as Record<string, unknown>,
  };
}
