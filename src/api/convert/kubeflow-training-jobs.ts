/**
 * Kubeflow training-operator jobs (kubeflow.org/v1 TFJob and PyTorchJob) → Capstan TrainingJob.
 * The pod template's first container becomes the replica template; anything Capstan cannot honour
 * (volumes, sidecars, elastic policies, `Always` restarts) is an error naming the field.
 */
import type { StatusCause } from '../errors.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, type KindConversion } from '../kind.js';
import { asRecord, convertMetadata, rejectFields, unknownKeys, unsupported } from './kueue-common.js';

/** The Kubeflow API version accepted. */
export const KUBEFLOW_API_VERSION = 'kubeflow.org/v1';

const CONTAINER_FIELDS = ['name', 'image', 'imagePullPolicy', 'command', 'args', 'env', 'workingDir', 'resources', 'ports'];
const POD_SPEC_FIELDS = ['containers', 'restartPolicy'];
const RUN_POLICY_FIELDS = ['cleanPodPolicy', 'ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'backoffLimit', 'schedulingPolicy', 'suspend'];
const GPU_KEYS = ['nvidia.com/gpu', 'amd.com/gpu', 'gpu'];

interface Ctx {
  causes: StatusCause[];
}

function str(v: unknown): v is string {
  return typeof v === 'string';
}

function stringArray(ctx: Ctx, v: unknown, field: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => str(x) || typeof x === 'number')) {
    ctx.causes.push({ reason: 'FieldValueInvalid', field, message: 'must be a list of strings' });
    return undefined;
  }
  return v.map(String);
}

function convertEnv(ctx: Ctx, v: unknown, field: string): Array<{ name: string; value: string }> | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    ctx.causes.push({ reason: 'FieldValueInvalid', field, message: 'must be a list of {name, value}' });
    return undefined;
  }
  return v.map((e, i) => {
    const rec = asRecord(e);
    if (rec.valueFrom !== undefined) ctx.causes.push(unsupported(`${field}[${i}].valueFrom`, 'valueFrom (secrets, config maps, field refs) is not supported; give a value'));
    ctx.causes.push(...unknownKeys(rec, ['name', 'value', 'valueFrom'], `${field}[${i}]`));
    return { name: String(rec.name ?? ''), value: rec.value === undefined ? '' : String(rec.value) };
  });
}

// Requests are what the queue reserves; a limit alone stands in for the request, as in Kubernetes.
function convertResources(ctx: Ctx, v: unknown, field: string): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  const rec = asRecord(v);
  ctx.causes.push(...unknownKeys(rec, ['requests', 'limits'], field));
  const requests = asRecord(rec.requests);
  const limits = asRecord(rec.limits);
  const out: Record<string, unknown> = {};
  for (const [part, list] of [['requests', requests], ['limits', limits]] as const) {
    for (const key of Object.keys(list)) {
      if (!['cpu', 'memory', ...GPU_KEYS].includes(key)) ctx.causes.push(unsupported(`${field}.${part}.${key}`, 'only cpu, memory and nvidia.com/gpu are supported'));
    }
  }
  for (const key of ['cpu', 'memory']) {
    const val = requests[key] ?? limits[key];
    if (val !== undefined) out[key] = val;
  }
  for (const key of GPU_KEYS) {
    const val = limits[key] ?? requests[key];
    if (val === undefined) continue;
    const n = Number(val);
    if (!Number.isInteger(n) || n < 0) ctx.causes.push({ reason: 'FieldValueInvalid', field: `${field}.limits.${key}`, message: 'GPUs must be a whole number' });
    else out.gpu = n;
  }
  return out;
}

function restartPolicyOf(ctx: Ctx, v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (v === 'Always') {
    ctx.causes.push(unsupported(field, 'restartPolicy Always is not supported for training replicas: use OnFailure or ExitCode'));
    return undefined;
  }
  return String(v);
}

function convertReplicaSpec(ctx: Ctx, raw: unknown, field: string): Record<string, unknown> {
  const rs = asRecord(raw);
  ctx.causes.push(...unknownKeys(rs, ['replicas', 'template', 'restartPolicy'], field));
  const template = asRecord(rs.template);
  ctx.causes.push(...unknownKeys(template, ['metadata', 'spec'], `${field}.template`));
  // Labels and annotations on the pod template mean nothing to local processes; the Kubernetes runtime sets its own.
  ctx.causes.push(...unknownKeys(asRecord(template.metadata), ['labels', 'annotations', 'name'], `${field}.template.metadata`));
  const podSpec = asRecord(template.spec);
  ctx.causes.push(...unknownKeys(podSpec, POD_SPEC_FIELDS, `${field}.template.spec`));
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  if (containers.length === 0) ctx.causes.push({ reason: 'FieldValueRequired', field: `${field}.template.spec.containers`, message: 'one container is required' });
  if (containers.length > 1) ctx.causes.push(unsupported(`${field}.template.spec.containers[1]`, 'only one container per replica is supported (no sidecars)'));
  const c = asRecord(containers[0]);
  const cf = `${field}.template.spec.containers[0]`;
  ctx.causes.push(...unknownKeys(c, CONTAINER_FIELDS, cf));
  const tpl: Record<string, unknown> = {};
  const command = stringArray(ctx, c.command, `${cf}.command`);
  const args = stringArray(ctx, c.args, `${cf}.args`);
  const env = convertEnv(ctx, c.env, `${cf}.env`);
  const resources = convertResources(ctx, c.resources, `${cf}.resources`);
  if (command) tpl.command = command;
  if (args) tpl.args = args;
  if (env) tpl.env = env;
  if (str(c.workingDir)) tpl.workingDir = c.workingDir;
  if (str(c.image)) tpl.image = c.image;
  if (resources) tpl.resources = resources;
  const policy = restartPolicyOf(ctx, rs.restartPolicy, `${field}.restartPolicy`) ?? restartPolicyOf(ctx, podSpec.restartPolicy, `${field}.template.spec.restartPolicy`);
  return { ...(rs.replicas !== undefined ? { replicas: rs.replicas } : {}), template: tpl, ...(policy ? { restartPolicy: policy } : {}) };
}

function convertRunPolicy(ctx: Ctx, raw: Record<string, unknown>, field: string): { runPolicy: Record<string, unknown>; queueName?: string; priorityClassName?: string } {
  ctx.causes.push(...unknownKeys(raw, RUN_POLICY_FIELDS, field));
  const runPolicy: Record<string, unknown> = {};
  for (const k of ['ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'backoffLimit', 'suspend']) if (raw[k] !== undefined) runPolicy[k] = raw[k];
  // Capstan always stops the replicas still running when a job ends: that is Running/All, never None.
  if (raw.cleanPodPolicy !== undefined && raw.cleanPodPolicy !== 'Running' && raw.cleanPodPolicy !== 'All') ctx.causes.push(unsupported(`${field}.cleanPodPolicy`, 'only Running or All: replicas still running are always stopped when the job ends'));
  const sp = asRecord(raw.schedulingPolicy);
  ctx.causes.push(...unknownKeys(sp, ['queue', 'priorityClass'], `${field}.schedulingPolicy`));
  return { runPolicy, queueName: str(sp.queue) ? sp.queue : undefined, priorityClassName: str(sp.priorityClass) ? sp.priorityClass : undefined };
}

function canonicalRole(role: string, known: readonly string[]): string {
  return known.find((k) => k.toLowerCase() === role.toLowerCase()) ?? role;
}

function convertJob(obj: Record<string, unknown>, source: string, specsKey: string, framework: 'tensorflow' | 'pytorch', roles: readonly string[], extraSpec: Record<string, (v: unknown) => string | undefined>): Record<string, unknown> {
  const ctx: Ctx = { causes: [] };
  ctx.causes.push(...unknownKeys(obj, ['apiVersion', 'kind', 'metadata', 'spec', 'status'], '').map((c) => ({ ...c, field: (c.field ?? '').replace(/^\./, '') })));
  const spec = asRecord(obj.spec);
  // Early kubeflow.org/v1 put the run policy fields on the spec itself; both spellings are accepted.
  const legacy = ['cleanPodPolicy', 'ttlSecondsAfterFinished', 'activeDeadlineSeconds', 'backoffLimit'];
  ctx.causes.push(...unknownKeys(spec, [specsKey, 'runPolicy', ...legacy, ...Object.keys(extraSpec)], 'spec'));
  for (const [k, check] of Object.entries(extraSpec)) {
    const why = spec[k] === undefined ? undefined : check(spec[k]);
    if (why) ctx.causes.push(unsupported(`spec.${k}`, why));
  }
  const legacyPolicy = Object.fromEntries(legacy.filter((k) => spec[k] !== undefined).map((k) => [k, spec[k]]));
  const rp = convertRunPolicy(ctx, { ...legacyPolicy, ...asRecord(spec.runPolicy) }, spec.runPolicy !== undefined ? 'spec.runPolicy' : 'spec');
  const replicaSpecs: Record<string, unknown> = {};
  const raw = asRecord(spec[specsKey]);
  if (Object.keys(raw).length === 0) ctx.causes.push({ reason: 'FieldValueRequired', field: `spec.${specsKey}`, message: 'at least one replica type is required' });
  for (const [role, rs] of Object.entries(raw)) replicaSpecs[canonicalRole(role, roles)] = convertReplicaSpec(ctx, rs, `spec.${specsKey}.${role}`);
  rejectFields(source, ctx.causes);
  const metadata = convertMetadata(obj.metadata, false);
  const labels = asRecord(metadata.labels);
  // Kueue's queue label is how Kubeflow jobs name their queue; honour it like Kueue does.
  const queueName = rp.queueName ?? (str(labels['kueue.x-k8s.io/queue-name']) ? labels['kueue.x-k8s.io/queue-name'] : undefined);
  const priorityClassName = rp.priorityClassName ?? (str(labels['kueue.x-k8s.io/priority-class']) ? labels['kueue.x-k8s.io/priority-class'] : undefined);
  return {
    apiVersion: `${CAPSTAN_GROUP}/${CAPSTAN_VERSION}`,
    kind: 'TrainingJob',
    metadata,
    spec: {
      framework,
      replicaSpecs,
      runPolicy: rp.runPolicy,
      ...(queueName ? { queueName } : {}),
      ...(priorityClassName ? { priorityClassName } : {}),
    },
  };
}

/** kubeflow.org/v1 TFJob → TrainingJob (framework tensorflow). */
export const kubeflowTfJobConversion: KindConversion = {
  apiVersion: KUBEFLOW_API_VERSION,
  kind: 'TFJob',
  convert: (obj) =>
    convertJob(obj, 'Kubeflow TFJob', 'tfReplicaSpecs', 'tensorflow', ['Chief', 'Master', 'PS', 'Worker', 'Evaluator'], {
      successPolicy: (v) => (v === '' || v === 'AllWorkers' ? undefined : 'only the default success policy (chief or worker 0) and AllWorkers'),
      enableDynamicWorker: (v) => (v === false ? undefined : 'dynamic workers are not supported'),
    }),
};

/** kubeflow.org/v1 PyTorchJob → TrainingJob (framework pytorch). */
export const kubeflowPyTorchJobConversion: KindConversion = {
  apiVersion: KUBEFLOW_API_VERSION,
  kind: 'PyTorchJob',
  convert: (obj) =>
    convertJob(obj, 'Kubeflow PyTorchJob', 'pytorchReplicaSpecs', 'pytorch', ['Master', 'Worker'], {
      elasticPolicy: () => 'elastic training (torchrun rendezvous) is not supported',
      nprocPerNode: (v) => (v === '1' || v === 1 ? undefined : 'one process per replica only'),
    }),
};
