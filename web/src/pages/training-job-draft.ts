/** The launch form's model: a draft of a TrainingJob, its manifest, and where the server's field errors go (pure). */
import type { StatusCause } from '../api/client.js';

/** One role of the draft. */
export interface RoleDraft {
  role: string;
  replicas: number;
  /** Command and arguments, one per line (no shell quoting to get wrong). */
  command: string;
  cpu: string;
  memory: string;
  gpu: number;
}

/** The whole draft. */
export interface JobDraft {
  name: string;
  framework: 'generic' | 'pytorch' | 'tensorflow';
  queueName: string;
  roles: RoleDraft[];
  outputModel: string;
}

/** Roles each framework takes, in the order they are offered. */
export const FRAMEWORK_ROLES: Record<JobDraft['framework'], string[]> = { generic: ['Worker'], pytorch: ['Master', 'Worker'], tensorflow: ['Chief', 'Worker', 'PS', 'Evaluator'] };

/** Resource choices (like seed 003's launch form). */
export const CPU_CHOICES = ['500m', '1', '2', '4', '8'];
/** Memory choices. */
export const MEMORY_CHOICES = ['512Mi', '1Gi', '2Gi', '4Gi', '8Gi', '16Gi'];
/** GPU choices. */
export const GPU_CHOICES = [0, 1, 2, 4, 8];

/** A new role with sensible defaults. */
export function newRole(role: string): RoleDraft {
  return { role, replicas: 1, command: '', cpu: '1', memory: '1Gi', gpu: 0 };
}

/** The TrainingJob the draft describes. */
export function draftManifest(d: JobDraft, project: string): Record<string, unknown> {
  const replicaSpecs: Record<string, unknown> = {};
  for (const r of d.roles) {
    const argv = r.command.split('\n').map((l) => l.trim()).filter(Boolean);
    replicaSpecs[r.role] = {
      replicas: r.replicas,
      template: {
        ...(argv.length ? { command: argv } : {}),
        resources: { cpu: r.cpu, memory: r.memory, ...(r.gpu ? { gpu: r.gpu } : {}) },
      },
    };
  }
  return {
    apiVersion: 'capstan.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name: d.name, namespace: project },
    spec: {
      framework: d.framework,
      queueName: d.queueName,
      replicaSpecs,
      ...(d.outputModel ? { output: { model: d.outputModel } } : {}),
    },
  };
}

/** Checks a person can be told before sending; keys are form field paths (same as the server's). */
export function draftProblems(d: JobDraft): Record<string, string> {
  const out: Record<string, string> = {};
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(d.name) || d.name.length > 63) out['metadata.name'] = 'lowercase letters, digits and "-", starting and ending with a letter or digit (at most 63)';
  if (d.roles.length === 0) out['spec.replicaSpecs'] = 'add at least one role';
  const seen = new Set<string>();
  for (const r of d.roles) {
    const base = `spec.replicaSpecs.${r.role}`;
    if (seen.has(r.role)) out[base] = `role ${r.role} is listed twice`;
    seen.add(r.role);
    if (!Number.isInteger(r.replicas) || r.replicas < 1) out[`${base}.replicas`] = 'must be a whole number of at least 1';
    if (!r.command.trim()) out[`${base}.template.command`] = 'say what each replica runs (the program, then one argument per line)';
  }
  if (d.outputModel && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(d.outputModel)) out['spec.output.model'] = 'must be a model name (lowercase DNS-1123)';
  return out;
}

/** The form field a server cause belongs to: the longest known path that the cause's field starts with (pure). */
export function fieldFor(cause: StatusCause, known: string[]): string | undefined {
  const f = cause.field ?? '';
  let best: string | undefined;
  for (const k of known) if ((f === k || f.startsWith(`${k}.`) || f.startsWith(`${k}[`)) && (!best || k.length > best.length)) best = k;
  return best;
}
