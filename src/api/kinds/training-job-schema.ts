/**
 * The TrainingJob schema: roles of replicas with a process template each, the framework that
 * decides the rendezvous environment, a run policy and an output to register. Rules that span
 * fields (which roles a framework allows, how many chiefs) are checked here so every bad spec
 * is a 422 naming its field.
 */
import { z } from 'zod';
import { condition } from '../meta.js';

/** Frameworks: which rendezvous environment replicas get. */
export const TRAINING_FRAMEWORKS = ['pytorch', 'tensorflow', 'generic'] as const;
/** A framework name. */
export type TrainingFramework = (typeof TRAINING_FRAMEWORKS)[number];

/** Roles each framework accepts (generic accepts any name). */
export const FRAMEWORK_ROLES: Record<Exclude<TrainingFramework, 'generic'>, readonly string[]> = {
  pytorch: ['Master', 'Worker'],
  tensorflow: ['Chief', 'Master', 'PS', 'Worker', 'Evaluator'],
};

const quantity = z.union([z.string().regex(/^[+]?(\d+\.?\d*|\.\d+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, 'must be a quantity like "2", "500m" or "4Gi"'), z.number().nonnegative()]);

/** Per-replica resources the queue accounts for. */
export const trainingResources = z
  .object({
    cpu: quantity.optional(),
    memory: quantity.optional(),
    gpu: z.number().int().nonnegative().optional(),
  })
  .strict();

const envVar = z.object({ name: z.string().min(1).max(256).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), value: z.string().max(65536).default('') }).strict();

/** What each replica of a role runs. */
export const replicaTemplate = z
  .object({
    command: z.array(z.string().max(65536)).max(256).optional(),
    args: z.array(z.string().max(65536)).max(4096).optional(),
    env: z.array(envVar).max(512).optional(),
    workingDir: z.string().max(4096).optional(),
    /** The container image, used by the Kubernetes runtime; the local runtime runs `command`. */
    image: z.string().max(1024).optional(),
    resources: trainingResources.optional(),
  })
  .strict();

/** Restart policies: OnFailure restarts a failed replica (up to backoffLimit); ExitCode restarts only on retryable codes (>128, signals). */
export const RESTART_POLICIES = ['OnFailure', 'Never', 'ExitCode'] as const;

/** One role's replicas. */
export const replicaSpec = z
  .object({
    replicas: z.number().int().min(1, 'must be at least 1').max(512).default(1),
    template: replicaTemplate,
    restartPolicy: z.enum(RESTART_POLICIES).default('Never'),
  })
  .strict();

/** Run policy, as Kubeflow's. */
export const runPolicy = z
  .object({
    backoffLimit: z.number().int().min(0).max(1000).default(3),
    activeDeadlineSeconds: z.number().int().min(1).optional(),
    ttlSecondsAfterFinished: z.number().int().min(0).optional(),
    suspend: z.boolean().default(false),
  })
  .strict();

/** Where the trained model goes and whether to register it. */
export const trainingOutput = z
  .object({
    model: z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a model name (lowercase DNS-1123)'),
    /** The file or directory, relative to $CAPSTAN_OUTPUT_DIR, holding the model (default model.onnx). */
    path: z.string().min(1).max(1024).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be relative to $CAPSTAN_OUTPUT_DIR without ".."').default('model.onnx'),
    register: z.boolean().default(true),
  })
  .strict();

const ROLE_NAME = /^[A-Za-z][A-Za-z0-9-]{0,31}$/;

/** The TrainingJob spec with its cross-field rules. */
export const trainingJobSpec = z
  .object({
    framework: z.enum(TRAINING_FRAMEWORKS).default('generic'),
    replicaSpecs: z.record(z.string(), replicaSpec),
    runPolicy: runPolicy.default({ backoffLimit: 3, suspend: false }),
    queueName: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a LocalQueue name').default('default'),
    priorityClassName: z.string().min(1).max(253).optional(),
    output: trainingOutput.optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const roles = Object.keys(spec.replicaSpecs);
    if (roles.length === 0) ctx.addIssue({ code: 'custom', path: ['replicaSpecs'], message: 'at least one role is required' });
    const allowed = spec.framework === 'generic' ? undefined : FRAMEWORK_ROLES[spec.framework];
    for (const role of roles) {
      if (!ROLE_NAME.test(role)) ctx.addIssue({ code: 'custom', path: ['replicaSpecs', role], message: 'a role name must start with a letter and hold letters, digits and "-" (at most 32)' });
      else if (allowed && !allowed.includes(role)) ctx.addIssue({ code: 'custom', path: ['replicaSpecs', role], message: `unknown role for framework ${spec.framework}: use one of ${allowed.join(', ')}` });
    }
    const count = (r: string) => spec.replicaSpecs[r]?.replicas ?? 0;
    if (spec.framework === 'pytorch' && count('Master') > 1) ctx.addIssue({ code: 'custom', path: ['replicaSpecs', 'Master', 'replicas'], message: 'PyTorch has exactly one Master' });
    if (spec.framework === 'tensorflow') {
      for (const r of ['Chief', 'Master', 'Evaluator']) if (count(r) > 1) ctx.addIssue({ code: 'custom', path: ['replicaSpecs', r, 'replicas'], message: `TensorFlow has at most one ${r}` });
      if (count('Chief') > 0 && count('Master') > 0) ctx.addIssue({ code: 'custom', path: ['replicaSpecs', 'Master'], message: 'TensorFlow takes a Chief or a Master (its old name), not both' });
      if (count('PS') > 0 && count('Worker') === 0 && count('Chief') === 0 && count('Master') === 0) ctx.addIssue({ code: 'custom', path: ['replicaSpecs', 'Worker'], message: 'parameter servers need a Worker or Chief to serve' });
    }
    const total = roles.reduce((s, r) => s + count(r), 0);
    if (total > 512) ctx.addIssue({ code: 'custom', path: ['replicaSpecs'], message: `at most 512 replicas in all, got ${total}` });
  });

/** Per-role replica counts. */
export const roleStatus = z.object({ active: z.number().int().default(0), succeeded: z.number().int().default(0), failed: z.number().int().default(0), restarts: z.number().int().optional() }).strict();

/** TrainingJob status: per-role counts, conditions, times, latest metrics and what was registered. */
export const trainingJobStatus = z
  .object({
    observedGeneration: z.number().int().optional(),
    phase: z.enum(['Created', 'Queued', 'Admitted', 'Running', 'Restarting', 'Succeeded', 'Failed', 'Suspended']).optional(),
    conditions: z.array(condition).optional(),
    replicaStatuses: z.record(z.string(), roleStatus).optional(),
    startTime: z.string().optional(),
    completionTime: z.string().optional(),
    restarts: z.number().int().optional(),
    workload: z.string().optional(),
    metrics: z.record(z.string(), z.number()).optional(),
    registeredModelVersion: z.string().optional(),
  })
  .strict();

/** The parsed spec. */
export type TrainingJobSpec = z.infer<typeof trainingJobSpec>;
/** A role's spec. */
export type ReplicaSpec = z.infer<typeof replicaSpec>;
/** The status. */
export type TrainingJobStatus = z.infer<typeof trainingJobStatus>;
/** One role's counts. */
export type RoleStatus = z.infer<typeof roleStatus>;
