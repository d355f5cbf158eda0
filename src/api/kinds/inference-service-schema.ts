/** InferenceService spec and status schemas: one source for type, defaults and validation (with field paths). */
import { z } from 'zod';
import { condition } from '../meta.js';

/** Storage schemes the local runtime can fetch today; `s3://` is refused at admission naming the field. */
export const SUPPORTED_STORAGE_SCHEMES = ['file:', 'http:', 'https:'] as const;

/** Why a storageUri is refused, or undefined when accepted (pure). */
export function storageUriProblem(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `"${uri.slice(0, 120)}" is not a URI (expected file:///path/model.onnx, http(s)://… or a registry model in predictor.model)`;
  }
  if (u.protocol === 's3:' || u.protocol === 'gs:') return `${u.protocol}// is not supported yet: use file://, http(s):// or a registry model (predictor.model)`;
  if (!(SUPPORTED_STORAGE_SCHEMES as readonly string[]).includes(u.protocol)) return `unsupported scheme ${u.protocol}// (use file://, http:// or https://)`;
  if (u.protocol === 'file:' && (u.host !== '' && u.host !== 'localhost')) return 'file:// URIs must be absolute paths on this machine (file:///path)';
  return undefined;
}

const storageUri = z.string().max(2048).superRefine((v, ctx) => {
  const p = storageUriProblem(v);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

/** A registry reference: `model`, `model@1.2.0`, `model@^1.2`, `model@alias`. */
const modelRef = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(@[A-Za-z0-9^~<>=*.+_-]+)?$/, 'must be a registry reference like digits, digits@1.2.0 or digits@production');

const quantity = z.union([z.number().nonnegative(), z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/, 'must be a quantity like 500m, 2, 1Gi')]);

/** Requests of one replica (limits optional); same shape as the Kubernetes runtime's ReplicaResources. */
export const replicaResources = z
  .object({
    cpu: quantity.optional(),
    memory: quantity.optional(),
    gpu: z.number().int().min(0).optional(),
    cpuLimit: quantity.optional(),
    memoryLimit: quantity.optional(),
  })
  .strict();

const probeTiming = z
  .object({
    initialDelaySeconds: z.number().min(0).max(3600).optional(),
    periodSeconds: z.number().min(0.05).max(3600).optional(),
    failureThreshold: z.number().int().min(1).max(100).optional(),
    timeoutSeconds: z.number().min(0.05).max(600).optional(),
  })
  .strict();

const batching = z
  .object({
    maxBatchSize: z.number().int().min(0).max(4096).optional(),
    maxLatencyMs: z.number().min(0).max(10_000).optional(),
    preferredBatchSizes: z.array(z.number().int().min(1)).max(16).optional(),
  })
  .strict();

const percent = z.number().int('must be a whole percent').min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');

/** The predictor: which model, how it runs, how it scales. */
export const predictorSpec = z
  .object({
    model: modelRef.optional(),
    storageUri: storageUri.optional(),
    modelFormat: z.enum(['onnx']).default('onnx'),
    runtime: z.enum(['onnx', 'custom']).default('onnx'),
    command: z.array(z.string().min(1)).min(1).max(64).optional(),
    args: z.array(z.string()).max(256).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string()).optional(),
    resources: replicaResources.optional(),
    minReplicas: z.number().int().min(0).max(100).default(1),
    maxReplicas: z.number().int().min(1).max(100).optional(),
    scaleMetric: z.enum(['concurrency', 'rps', 'cpu', 'memory']).default('concurrency'),
    scaleTarget: z.number().positive().optional(),
    containerConcurrency: z.number().int().min(0).max(100_000).default(0),
    timeout: z.number().int().min(1).max(3600).optional(),
    batching: batching.optional(),
    /** KServe semantics: the latest predictor revision gets this share; the previous ready revision keeps the rest until promoted. */
    canaryTrafficPercent: percent.optional(),
    readinessProbe: probeTiming.optional(),
    livenessProbe: probeTiming.optional(),
  })
  .strict();
/** The predictor as stored (defaults applied). */
export type PredictorSpec = z.infer<typeof predictorSpec>;

/** A second model that takes a share of the traffic beside the predictor (Kubeflow v1alpha2 canary). */
export const canarySpec = z
  .object({
    model: modelRef.optional(),
    storageUri: storageUri.optional(),
    /** Overrides the predictor's resources for the canary's replicas. */
    resources: replicaResources.optional(),
    trafficPercent: percent,
  })
  .strict();
/** The canary as stored. */
export type CanarySpec = z.infer<typeof canarySpec>;

const surge = z.union([z.number().int().min(0), z.string().regex(/^[0-9]{1,3}%$/, 'must be an integer or a percent like 25%')]);

const rolloutSpec = z
  .object({
    /** Extra replicas of the new revision during a rollout (default 100%: the whole new set starts first). */
    maxSurge: surge.default('100%'),
    /** Replicas that may be unready during a rollout (default 0: zero downtime). */
    maxUnavailable: surge.default(0),
  })
  .strict();

/** On a Kubernetes cluster: an Ingress to the service (locally the gateway serves it already). */
const ingressSpec = z
  .object({
    host: z.string().max(253).regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS name').optional(),
    className: z.string().min(1).max(253).optional(),
    pathPrefix: z.string().max(200).regex(/^\/[A-Za-z0-9._~\/-]*$/, 'must be a path starting with /').optional(),
  })
  .strict();

/** InferenceService spec, with the cross-field rules (each issue names its field). */
export const inferenceServiceSpec = z
  .object({
    predictor: predictorSpec,
    canary: canarySpec.optional(),
    rollout: rolloutSpec.default({ maxSurge: '100%', maxUnavailable: 0 }),
    /** Answer inference without credentials; by default callers need a token with `infer` in the project. */
    public: z.boolean().optional(),
    ingress: ingressSpec.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const p = s.predictor;
    const issue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
    if (p.runtime === 'onnx') {
      if (p.model === undefined && p.storageUri === undefined) issue(['predictor', 'model'], 'required: give a registry model (digits@production) or predictor.storageUri');
      if (p.command !== undefined) issue(['predictor', 'command'], 'only allowed with runtime: custom');
    } else if (p.command === undefined) issue(['predictor', 'command'], 'required with runtime: custom (a server speaking OIP or V1 on $PORT)');
    if (p.model !== undefined && p.storageUri !== undefined) issue(['predictor', 'storageUri'], 'give either predictor.model or predictor.storageUri, not both');
    if (p.maxReplicas !== undefined && p.minReplicas > p.maxReplicas) issue(['predictor', 'minReplicas'], `must be <= maxReplicas (${p.maxReplicas}), got ${p.minReplicas}`);
    if ((p.scaleMetric === 'cpu' || p.scaleMetric === 'memory') && p.minReplicas === 0) issue(['predictor', 'minReplicas'], `scale to zero needs scaleMetric concurrency or rps, not ${p.scaleMetric}`);
    if ((p.scaleMetric === 'cpu' || p.scaleMetric === 'memory') && p.scaleTarget !== undefined && p.scaleTarget > 100) issue(['predictor', 'scaleTarget'], 'is a utilization percent for cpu/memory: must be <= 100');
    const c = s.canary;
    if (c) {
      if (c.model === undefined && c.storageUri === undefined) issue(['canary', 'model'], 'required: give canary.model or canary.storageUri');
      if (c.model !== undefined && c.storageUri !== undefined) issue(['canary', 'storageUri'], 'give either canary.model or canary.storageUri, not both');
      if (p.canaryTrafficPercent !== undefined) issue(['predictor', 'canaryTrafficPercent'], 'cannot be combined with spec.canary');
    }
  });
/** InferenceService spec as stored. */
export type InferenceServiceSpec = z.infer<typeof inferenceServiceSpec>;

const modelSource = z
  .object({
    /** The registry reference as written in the spec. */
    ref: z.string().optional(),
    /** The ModelVersion object it resolved to, and its version. */
    modelVersion: z.string().optional(),
    version: z.string().optional(),
    storageUri: z.string().optional(),
    sha256: z.string().optional(),
  })
  .strict();

const replicaStatus = z
  .object({
    index: z.number().int(),
    state: z.string(),
    ready: z.boolean(),
    restarts: z.number().int(),
    pid: z.number().int().optional(),
    port: z.number().int().optional(),
    reason: z.string().optional(),
  })
  .strict();

/** One revision: an immutable (model version, runtime config) with its replicas. */
export const revisionStatus = z
  .object({
    name: z.string(),
    role: z.enum(['stable', 'canary', 'rolling', 'retiring']),
    model: modelSource,
    /** Hash of the runtime configuration the revision was made from. */
    configHash: z.string(),
    /** The predictor settings this revision runs with (so it survives a spec change while it drains or serves as stable). */
    template: z.record(z.string(), z.unknown()).optional(),
    desiredReplicas: z.number().int(),
    readyReplicas: z.number().int(),
    replicas: z.array(replicaStatus).optional(),
    reason: z.string().optional(),
  })
  .strict();
/** A revision in status. */
export type RevisionStatus = z.infer<typeof revisionStatus>;

/** InferenceService status, written only by the controller. */
export const inferenceServiceStatus = z
  .object({
    url: z.string().optional(),
    /** The {service} in `{url}/v2/models/{service}/infer`: the name in project default, `name.project` elsewhere. */
    routeName: z.string().optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
    stableRevision: z.string().optional(),
    latestRevision: z.string().optional(),
    /** The stable revision before the current one: what `capstan rollout rollback` returns to. */
    previousRevision: z.object({ name: z.string(), model: modelSource }).strict().optional(),
    revisions: z.array(revisionStatus).optional(),
    traffic: z.array(z.object({ revision: z.string(), percent: z.number(), role: z.string() }).strict()).optional(),
    modelVersions: z.array(z.string()).optional(),
    autoscaler: z
      .object({ metric: z.string(), desiredReplicas: z.number().int(), reason: z.string(), at: z.string() })
      .strict()
      .optional(),
  })
  .strict();
/** InferenceService status. */
export type InferenceServiceStatus = z.infer<typeof inferenceServiceStatus>;
