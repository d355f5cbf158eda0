/**
 * Schemas of the pipeline kinds: a Pipeline groups immutable PipelineVersions (each holds a KFP v2
 * pipeline spec as compiled by the SDK, checked by src/pipelines on the way in), a PipelineRun
 * runs one version with parameters and records every task's status, a RecurringRun starts runs on
 * a cron schedule or an interval.
 */
import { z } from 'zod';
import { condition } from '../meta.js';

const name = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase DNS-1123 name');
const jsonValue = z.unknown();

/** Pipeline spec: a name people see and which version runs when none is named. */
export const pipelineSpec = z
  .object({
    displayName: z.string().max(256).optional(),
    description: z.string().max(4096).optional(),
    /** The version a run or recurring run without `pipelineVersion` uses (default: the newest). */
    defaultVersion: name.optional(),
  })
  .strict();

/** Pipeline status: its newest version and how many there are. */
export const pipelineStatus = z
  .object({
    latestVersion: z.string().optional(),
    versions: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();

/** PipelineVersion spec: immutable once created (the module refuses changes). */
export const pipelineVersionSpec = z
  .object({
    pipeline: name,
    description: z.string().max(4096).optional(),
    /** The KFP v2 pipeline spec (IR) as the SDK compiles it: pipelineInfo, root, components, deploymentSpec. */
    pipelineSpec: z.record(z.string(), jsonValue),
    /** The KFP platform spec document (platforms.kubernetes…), when the YAML had one. */
    platformSpec: z.record(z.string(), jsonValue).optional(),
  })
  .strict();

/** Phases of a task in a run. */
export const TASK_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped', 'Cancelled'] as const;

/** An artifact a task produced: where its bytes are (content-addressed) and what it is. */
export const artifactRef = z
  .object({
    uri: z.string(),
    digest: z.string(),
    size: z.number().int().optional(),
    directory: z.boolean().optional(),
    schemaTitle: z.string().optional(),
    metadata: z.record(z.string(), jsonValue).optional(),
  })
  .strict();

/** One task (or DAG, loop) instance of a run. */
export const taskStatus = z
  .object({
    phase: z.enum(TASK_PHASES),
    /** The task's name in its DAG (the key of the status map is its path: `loop#2/step`). */
    task: z.string().optional(),
    component: z.string().optional(),
    startTime: z.string().optional(),
    endTime: z.string().optional(),
    attempts: z.number().int().optional(),
    nextAttemptAt: z.string().optional(),
    /** The TrainingJob running the current attempt. */
    job: z.string().optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
    cacheKey: z.string().optional(),
    cacheHit: z.boolean().optional(),
    /** A DAG or loop's resolved inputs (its children read them). */
    inputs: z.record(z.string(), jsonValue).optional(),
    /** A loop's resolved items. */
    items: z.array(jsonValue).optional(),
    outputs: z
      .object({
        parameters: z.record(z.string(), jsonValue).optional(),
        artifacts: z.record(z.string(), z.union([artifactRef, z.array(artifactRef)])).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** PipelineRun spec. */
export const pipelineRunSpec = z
  .object({
    /** The Pipeline; its default (else newest) version runs unless pipelineVersion names one. */
    pipeline: name.optional(),
    pipelineVersion: name.optional(),
    /** Values of the pipeline's root input parameters (typed as the pipeline declares; strings are converted). */
    parameters: z.record(z.string(), jsonValue).default({}),
    /** false: no task of this run reads or writes the cache. */
    cache: z.boolean().default(true),
    queueName: z.string().min(1).max(63).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a LocalQueue name').default('default'),
    priorityClassName: z.string().min(1).max(253).optional(),
    /** true: stop running tasks and start no new ones (the exit handler still runs). */
    cancel: z.boolean().default(false),
    /** Bump to retry from the failed tasks: finished tasks are kept, failed/cancelled ones run again. */
    retry: z.number().int().min(0).default(0),
    ttlSecondsAfterFinished: z.number().int().min(0).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.pipeline && !s.pipelineVersion) ctx.addIssue({ code: 'custom', path: ['pipeline'], message: 'name a pipeline or a pipelineVersion' });
  });

/** Phases of a run. */
export const RUN_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelling', 'Cancelled'] as const;

/** PipelineRun status. */
export const pipelineRunStatus = z
  .object({
    observedGeneration: z.number().int().optional(),
    phase: z.enum(RUN_PHASES).optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
    pipelineVersion: z.string().optional(),
    /** The run's parameters after defaults and type conversion. */
    parameters: z.record(z.string(), jsonValue).optional(),
    startTime: z.string().optional(),
    completionTime: z.string().optional(),
    observedRetry: z.number().int().optional(),
    conditions: z.array(condition).optional(),
    tasks: z.record(z.string(), taskStatus).optional(),
  })
  .strict();

/** RecurringRun spec: what to run and when. */
export const recurringRunSpec = z
  .object({
    pipeline: name,
    pipelineVersion: name.optional(),
    parameters: z.record(z.string(), jsonValue).default({}),
    schedule: z
      .object({
        cron: z.string().min(1).max(256).optional(),
        intervalSeconds: z.number().int().min(1).optional(),
        startTime: z.string().datetime({ offset: true }).optional(),
        endTime: z.string().datetime({ offset: true }).optional(),
        timezone: z.string().max(64).optional(),
      })
      .strict()
      .superRefine((s, ctx) => {
        if (!s.cron === !s.intervalSeconds) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give exactly one of cron or intervalSeconds' });
      }),
    maxConcurrency: z.number().int().min(1).max(100).default(1),
    /** true: runs missed while disabled or down are started (up to maxConcurrency at once); false: only the latest. */
    catchup: z.boolean().default(false),
    enabled: z.boolean().default(true),
    cache: z.boolean().default(true),
    queueName: z.string().min(1).max(63).default('default'),
    /** Finished runs kept (older ones are deleted). */
    keepRuns: z.number().int().min(1).max(10000).default(20),
  })
  .strict();

/** RecurringRun status. */
export const recurringRunStatus = z
  .object({
    observedGeneration: z.number().int().optional(),
    lastScheduleTime: z.string().optional(),
    nextScheduleTime: z.string().optional(),
    active: z.array(z.string()).optional(),
    runs: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();

/** Parsed types. */
export type PipelineVersionSpec = z.infer<typeof pipelineVersionSpec>;
export type PipelineRunSpec = z.infer<typeof pipelineRunSpec>;
export type PipelineRunStatus = z.infer<typeof pipelineRunStatus>;
export type TaskStatus = z.infer<typeof taskStatus>;
export type TaskPhase = (typeof TASK_PHASES)[number];
export type ArtifactRef = z.infer<typeof artifactRef>;
export type RecurringRunSpec = z.infer<typeof recurringRunSpec>;
export type RecurringRunStatus = z.infer<typeof recurringRunStatus>;
