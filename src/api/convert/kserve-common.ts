/**
 * Shared steps of converting KServe / KFServing InferenceService manifests into Capstan's kind:
 * resources, autoscaling fields and framework blocks. Anything Capstan does not support is an
 * error naming the field (never silently dropped).
 */
import type { StatusCause } from '../errors.js';
import { asRecord, unknownKeys, unsupported } from './kueue-common.js';

export { asRecord, convertMetadata, rejectFields, unknownKeys, unsupported } from './kueue-common.js';

/** Model formats the built-in runtime serves. */
const SERVABLE_FORMATS = ['onnx'];

/** Kubernetes resources {requests, limits} → Capstan's per-replica resources; unknown resource names are causes. */
export function convertResources(v: unknown, path: string, causes: StatusCause[]): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  const r = asRecord(v);
  causes.push(...unknownKeys(r, ['requests', 'limits'], path));
  const out: Record<string, unknown> = {};
  const take = (which: 'requests' | 'limits'): Record<string, unknown> => {
    const m = asRecord(r[which]);
    causes.push(...unknownKeys(m, ['cpu', 'memory', 'nvidia.com/gpu'], `${path}.${which}`));
    return m;
  };
  const req = take('requests');
  const lim = take('limits');
  const cpu = req.cpu ?? lim.cpu;
  const memory = req.memory ?? lim.memory;
  if (cpu !== undefined) out.cpu = cpu;
  if (memory !== undefined) out.memory = memory;
  if (lim.cpu !== undefined && req.cpu !== undefined) out.cpuLimit = lim.cpu;
  if (lim.memory !== undefined && req.memory !== undefined) out.memoryLimit = lim.memory;
  const gpu = lim['nvidia.com/gpu'] ?? req['nvidia.com/gpu'];
  if (gpu !== undefined) out.gpu = typeof gpu === 'string' ? Number(gpu) : gpu;
  return out;
}

/** A model format name Capstan can serve, or a cause naming the field. */
export function checkFormat(name: unknown, path: string, causes: StatusCause[]): void {
  if (typeof name !== 'string' || !SERVABLE_FORMATS.includes(name.toLowerCase())) {
    causes.push(unsupported(path, `model format ${JSON.stringify(name)} is not served by Capstan's runtime: only onnx (convert the model to ONNX, or use runtime custom)`));
  }
}

/** Seed-style `autoscaling: {targetCPUUtilization | targetMemoryUtilization}` → scaleMetric/scaleTarget. */
export function convertAutoscaling(v: unknown, path: string, out: Record<string, unknown>, causes: StatusCause[]): void {
  if (v === undefined) return;
  const a = asRecord(v);
  causes.push(...unknownKeys(a, ['targetCPUUtilization', 'targetMemoryUtilization'], path));
  if (a.targetCPUUtilization !== undefined && a.targetMemoryUtilization !== undefined) {
    causes.push(unsupported(`${path}.targetMemoryUtilization`, 'Capstan scales on one metric: keep targetCPUUtilization or targetMemoryUtilization'));
    return;
  }
  if (a.targetCPUUtilization !== undefined) {
    out.scaleMetric = 'cpu';
    out.scaleTarget = a.targetCPUUtilization;
  } else if (a.targetMemoryUtilization !== undefined) {
    out.scaleMetric = 'memory';
    out.scaleTarget = a.targetMemoryUtilization;
  }
}

/** KServe batcher {maxBatchSize, maxLatency (ms), timeout} → Capstan batching. */
export function convertBatcher(v: unknown, path: string, causes: StatusCause[]): Record<string, unknown> | undefined {
  if (v === undefined) return undefined;
  const b = asRecord(v);
  causes.push(...unknownKeys(b, ['maxBatchSize', 'maxLatency'], path));
  const out: Record<string, unknown> = {};
  if (b.maxBatchSize !== undefined) out.maxBatchSize = b.maxBatchSize;
  if (b.maxLatency !== undefined) out.maxLatencyMs = b.maxLatency;
  return out;
}

/** Copies the autoscaling/extension fields both dialects share onto the Capstan predictor. */
export function copyScalingFields(src: Record<string, unknown>, out: Record<string, unknown>): void {
  for (const k of ['minReplicas', 'maxReplicas', 'scaleTarget', 'scaleMetric', 'containerConcurrency', 'timeout', 'canaryTrafficPercent']) {
    if (src[k] !== undefined) out[k] = src[k];
  }
}
