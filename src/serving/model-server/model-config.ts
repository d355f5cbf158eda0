/**
 * The optional per-model config file (`<repo>/<model>/config.json` or `config.yaml`), a JSON form
 * of the Triton model configuration subset we honour: batching, queue policy, version policy.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const versionPolicySchema = z.union([
  z.object({ latest: z.object({ num_versions: z.number().int().min(1) }).strict() }).strict(),
  z.object({ specific: z.object({ versions: z.array(z.number().int().min(0)).min(1) }).strict() }).strict(),
  z.object({ all: z.object({}).strict() }).strict(),
]);

const queuePolicySchema = z.object({
  max_queue_size: z.number().int().min(0).optional(),
  default_timeout_microseconds: z.number().int().min(0).optional(),
  allow_timeout_override: z.boolean().optional(),
}).strict();

const modelConfigSchema = z.object({
  name: z.string().optional(),
  platform: z.string().optional(),
  backend: z.string().optional(),
  max_batch_size: z.number().int().min(0).optional(),
  version_policy: versionPolicySchema.optional(),
  dynamic_batching: z.object({
    preferred_batch_size: z.array(z.number().int().min(1)).optional(),
    max_queue_delay_microseconds: z.number().int().min(0).optional(),
    default_queue_policy: queuePolicySchema.optional(),
    priority_levels: z.number().int().min(0).max(16).optional(),
    default_priority_level: z.number().int().min(0).optional(),
  }).strict().optional(),
}).strict();

/** The config file as written (every field optional). */
export type ModelConfigFile = z.infer<typeof modelConfigSchema>;

/** Version policy: latest N, specific versions, or all. */
export type VersionPolicy = { kind: 'latest'; count: number } | { kind: 'specific'; versions: number[] } | { kind: 'all' };

/** Batching and queue settings after defaults; maxBatchSize 0 = no batching. */
export interface BatchingConfig {
  /** Undefined = decide from the model's shapes (batchable models get DEFAULT_MAX_BATCH_SIZE). */
  maxBatchSize?: number;
  preferredBatchSizes: number[];
  maxQueueDelayMicros: number;
  maxQueueSize: number;
  /**
   * Queue budget of a request (Triton's default_timeout_microseconds): past it a queued request is
   * answered 503, and a request whose expected wait exceeds it is refused at once. Undefined (not
   * in the file) = automatic: a multiple of the measured full-batch compute time (admission.ts);
   * 0 = none (Triton's meaning).
   */
  defaultTimeoutMicros: number | undefined;
  allowTimeoutOverride: boolean;
  /** Priority levels 1..N (1 = highest); 1 when not configured. */
  priorityLevels: number;
  /** Level of requests without a `priority` parameter. */
  defaultPriorityLevel: number;
}

/** The effective per-model configuration. */
export interface ModelConfig {
  versionPolicy: VersionPolicy;
  batching: BatchingConfig;
}

/** Max batch size given to models with a dynamic first dim and no config file. */
export const DEFAULT_MAX_BATCH_SIZE = 64;
/** Queue bound when none is configured, to keep memory bounded under overload. */
export const DEFAULT_MAX_QUEUE_SIZE = 2048;

/** Applies defaults to a parsed config file. */
export function resolveModelConfig(file: ModelConfigFile): ModelConfig {
  const vp = file.version_policy;
  const versionPolicy: VersionPolicy = !vp ? { kind: 'latest', count: 1 }
    : 'latest' in vp ? { kind: 'latest', count: vp.latest.num_versions }
      : 'specific' in vp ? { kind: 'specific', versions: vp.specific.versions }
        : { kind: 'all' };
  const db = file.dynamic_batching;
  const qp = db?.default_queue_policy;
  const priorityLevels = Math.max(1, db?.priority_levels ?? 1);
  // Unset: the lowest priority, so unmarked traffic never jumps traffic marked with a level.
  const defaultPriorityLevel = db?.default_priority_level || priorityLevels;
  if (defaultPriorityLevel > priorityLevels) {
    throw new Error(`dynamic_batching.default_priority_level ${defaultPriorityLevel} exceeds priority_levels ${priorityLevels}`);
  }
  return {
    versionPolicy,
    batching: {
      maxBatchSize: file.max_batch_size,
      preferredBatchSizes: [...(db?.preferred_batch_size ?? [])].sort((a, b) => a - b),
      maxQueueDelayMicros: db?.max_queue_delay_microseconds ?? 0,
      maxQueueSize: qp?.max_queue_size && qp.max_queue_size > 0 ? qp.max_queue_size : DEFAULT_MAX_QUEUE_SIZE,
      defaultTimeoutMicros: qp?.default_timeout_microseconds,
      allowTimeoutOverride: qp?.allow_timeout_override ?? true,
      priorityLevels,
      defaultPriorityLevel,
    },
  };
}

/** Validates a config object, returning the effective config or throwing an Error naming the field. */
export function parseModelConfig(raw: unknown, source: string): ModelConfig {
  const r = modelConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  try {
    return resolveModelConfig(r.data);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
}

/** Reads `<modelDir>/config.json` or `config.yaml`/`config.yml`; defaults when none exists. */
export async function readModelConfig(modelDir: string): Promise<ModelConfig> {
  for (const file of ['config.json', 'config.yaml', 'config.yml']) {
    const p = join(modelDir, file);
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch {
      continue;
    }
    let raw: unknown;
    try {
      raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new Error(`${p}: cannot parse: ${(err as Error).message}`);
    }
    return parseModelConfig(raw, p);
  }
  return resolveModelConfig({});
}
