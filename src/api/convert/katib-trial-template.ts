/**
 * A Katib trial template: the manifest of the job each trial runs, with `${trialParameters.x}`
 * placeholders in its strings. It may be a Capstan TrainingJob, a Kubeflow PyTorchJob or TFJob
 * (kubeflow.org/v1), or a Kubernetes batch/v1 Job (Katib's most common template); each becomes a
 * TrainingJob spec. Unsupported fields are causes naming their path under the template.
 */
import type { StatusCause } from '../errors.js';
import { ApiError } from '../errors.js';
import { trainingJobSpec } from '../kinds/training-job-schema.js';
import { issuesToCauses } from '../validation.js';
import { kubeflowPyTorchJobConversion, kubeflowTfJobConversion } from './kubeflow-training-jobs.js';
import { asRecord, unknownKeys, unsupported } from './kueue-common.js';

const PLACEHOLDER = /\$\{trialParameters\.([^}]*)\}/g;

/** Every `${trialParameters.x}` name used in the strings of a value. */
export function placeholdersIn(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') for (const m of value.matchAll(PLACEHOLDER)) out.add(m[1]!);
  else if (Array.isArray(value)) for (const v of value) placeholdersIn(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) placeholdersIn(v, out);
  return out;
}

/** The value with every `${trialParameters.x}` replaced by `values[x]` (strings only; unknown names stay). */
export function substitutePlaceholders(value: unknown, values: Readonly<Record<string, string>>): unknown {
  if (typeof value === 'string') return value.replace(PLACEHOLDER, (all, name: string) => values[name] ?? all);
  if (Array.isArray(value)) return value.map((v) => substitutePlaceholders(v, values));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitutePlaceholders(v, values)]));
  return value;
}

const JOB_SPEC_FIELDS = ['template', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished', 'completions', 'parallelism', 'suspend'];

// batch/v1 Job → one generic role: its pod's container, restarts by the Job's backoffLimit.
function batchJobSpec(job: Record<string, unknown>, field: string, causes: StatusCause[]): Record<string, unknown> {
  const spec = asRecord(job.spec);
  causes.push(...unknownKeys(spec, JOB_SPEC_FIELDS, `${field}.spec`));
  for (const k of ['completions', 'parallelism'] as const) if (spec[k] !== undefined && spec[k] !== 1) causes.push(unsupported(`${field}.spec.${k}`, 'a trial runs one pod: only 1'));
  // The pod template is converted as a Kubeflow replica so both dialects share one set of rules.
  const converted = convertForeign({ apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', metadata: {}, spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: spec.template } } } }, `${field}.spec`, causes, (f) => f.replace(/^spec\.pytorchReplicaSpecs\.Master\./, ''));
  const out: Record<string, unknown> = { framework: 'generic', replicaSpecs: { Worker: { ...asRecord(asRecord(converted.replicaSpecs).Master) } }, runPolicy: { backoffLimit: spec.backoffLimit ?? 0 } };
  const policy = asRecord(out.runPolicy);
  for (const k of ['activeDeadlineSeconds', 'ttlSecondsAfterFinished', 'suspend']) if (spec[k] !== undefined) policy[k] = spec[k];
  // A Job's pod restartPolicy Never is the usual; OnFailure restarts within backoffLimit.
  const worker = asRecord(asRecord(out.replicaSpecs).Worker);
  if (worker.restartPolicy === undefined) worker.restartPolicy = 'Never';
  return out;
}

function convertForeign(manifest: Record<string, unknown>, field: string, causes: StatusCause[], rename: (f: string) => string = (f) => f): Record<string, unknown> {
  const conv = manifest.kind === 'TFJob' ? kubeflowTfJobConversion : kubeflowPyTorchJobConversion;
  try {
    return asRecord(conv.convert(manifest).spec);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const inner = err.details?.causes ?? [{ message: err.message }];
    causes.push(...inner.map((c) => ({ ...c, field: `${field}${c.field ? `.${rename(c.field)}` : ''}` })));
    return {};
  }
}

/**
 * The TrainingJob spec a (substituted) template gives, or causes naming what is wrong, each under
 * `field` (e.g. `spec.trialTemplate.trialSpec`).
 */
export function trialJobSpec(manifest: unknown, field: string): { spec?: Record<string, unknown>; causes: StatusCause[] } {
  const m = asRecord(manifest);
  const causes: StatusCause[] = [];
  const api = String(m.apiVersion ?? '');
  const kind = String(m.kind ?? '');
  let raw: Record<string, unknown> | undefined;
  if (kind === 'TrainingJob' && api.startsWith('capstan.dev/')) {
    causes.push(...unknownKeys(m, ['apiVersion', 'kind', 'metadata', 'spec'], field));
    raw = asRecord(m.spec);
  } else if ((kind === 'PyTorchJob' || kind === 'TFJob') && api === 'kubeflow.org/v1') {
    raw = convertForeign({ ...m, metadata: { ...asRecord(m.metadata), name: 'trial' } }, field, causes);
  } else if (kind === 'Job' && api === 'batch/v1') {
    causes.push(...unknownKeys(m, ['apiVersion', 'kind', 'metadata', 'spec'], field));
    raw = batchJobSpec(m, field, causes);
  } else {
    causes.push({ reason: 'FieldValueNotSupported', field: `${field}.kind`, message: `a trial runs a TrainingJob (capstan.dev/v1alpha1), a PyTorchJob or TFJob (kubeflow.org/v1) or a Job (batch/v1), not ${api || '?'} ${kind || '?'}` });
  }
  if (causes.length > 0 || !raw) return { causes };
  const parsed = trainingJobSpec.safeParse(raw);
  if (!parsed.success) return { causes: issuesToCauses(parsed.error.issues, `${field}.spec`) };
  return { spec: parsed.data as unknown as Record<string, unknown>, causes };
}
