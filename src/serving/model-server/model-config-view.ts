/**
 * The effective configuration of a model version in Triton's ModelConfig shape (JSON for REST
 * `GET /v2/models/{m}/config`, the same object for gRPC ModelConfig): what the server actually uses,
 * automatic choices included (threads, queue budget, compute profile as parameters).
 */
import type { Datatype } from './tensor-datatypes.js';
import type { ModelVersion } from './model-version.js';

const TRITON_TYPE: Record<Datatype, string> = {
  BOOL: 'TYPE_BOOL', UINT8: 'TYPE_UINT8', UINT16: 'TYPE_UINT16', UINT32: 'TYPE_UINT32', UINT64: 'TYPE_UINT64',
  INT8: 'TYPE_INT8', INT16: 'TYPE_INT16', INT32: 'TYPE_INT32', INT64: 'TYPE_INT64',
  FP16: 'TYPE_FP16', FP32: 'TYPE_FP32', FP64: 'TYPE_FP64', BYTES: 'TYPE_STRING',
};

/** Triton's ModelConfig (the fields served), JSON form. */
export interface ModelConfigView {
  name: string;
  platform: string;
  backend: string;
  max_batch_size: number;
  input: Array<{ name: string; data_type: string; dims: number[] }>;
  output: Array<{ name: string; data_type: string; dims: number[] }>;
  instance_group: Array<{ name: string; count: number; kind: string }>;
  dynamic_batching?: {
    preferred_batch_size: number[];
    max_queue_delay_microseconds: number;
    preserve_ordering: boolean;
    priority_levels: number;
    default_priority_level: number;
    default_queue_policy: { default_timeout_microseconds: number; allow_timeout_override: boolean; max_queue_size: number };
  };
  parameters: Record<string, { string_value: string }>;
}

/** The effective configuration of `mv`. */
export function modelConfigView(mv: ModelVersion): ModelConfigView {
  const b = mv.config.batching;
  // Triton lists dims without the batch dim when the model batches.
  const dimsOf = (shape: number[]): number[] => (mv.maxBatchSize > 0 ? shape.slice(1) : shape);
  const profile = mv.computeProfile;
  const budgetMs = mv.queueBudgetMs();
  const parameters: Record<string, { string_value: string }> = {
    intra_op_thread_count: { string_value: String(mv.tuning.threads) },
    'capstan.thread_choice': { string_value: mv.tuning.threadSource },
    'capstan.session_thread': { string_value: mv.tuning.sessionThread },
    'capstan.thread_trials': { string_value: JSON.stringify(mv.tuning.trials) },
    'capstan.queue_budget': { string_value: b.defaultTimeoutMicros === undefined ? 'auto' : 'configured' },
    'capstan.compute_fixed_ms': { string_value: profile.fixedMs.toFixed(4) },
    'capstan.compute_per_row_ms': { string_value: profile.perRowMs.toFixed(5) },
  };
  if (mv.tuning.calibrationError) parameters['capstan.calibration_error'] = { string_value: mv.tuning.calibrationError };
  return {
    name: mv.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: mv.maxBatchSize,
    input: mv.inputs.map((t) => ({ name: t.name, data_type: TRITON_TYPE[t.datatype], dims: dimsOf(t.shape) })),
    output: mv.outputs.map((t) => ({ name: t.name, data_type: TRITON_TYPE[t.datatype], dims: dimsOf(t.shape) })),
    instance_group: [{ name: `${mv.name}_0`, count: 1, kind: 'KIND_CPU' }],
    dynamic_batching: {
      preferred_batch_size: b.preferredBatchSizes,
      max_queue_delay_microseconds: b.maxQueueDelayMicros,
      preserve_ordering: true,
      priority_levels: b.priorityLevels,
      default_priority_level: b.defaultPriorityLevel,
      default_queue_policy: { default_timeout_microseconds: Math.round(budgetMs * 1000), allow_timeout_override: b.allowTimeoutOverride, max_queue_size: b.maxQueueSize },
    },
    parameters,
  };
}
