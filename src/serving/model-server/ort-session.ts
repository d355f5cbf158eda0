/** Creates onnxruntime-node sessions with the configured execution provider and thread counts. */
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import { datatypeOfOrtType, type Datatype } from './tensor-datatypes.js';
import type { TensorMetadata } from './infer-types.js';

/** Session settings shared by every model of a server. */
export interface RuntimeOptions {
  executionProvider: 'cpu' | 'cuda';
  intraOpThreads: number;
  interOpThreads: number;
}

/** Opens a session; falls back from CUDA to CPU with a log line when CUDA cannot be used. */
export async function createSession(path: string, opts: RuntimeOptions, log: Logger): Promise<ort.InferenceSession> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.intraOpThreads,
    interOpNumThreads: opts.interOpThreads,
    graphOptimizationLevel: 'all',
    executionMode: opts.interOpThreads > 1 ? 'parallel' : 'sequential',
  };
  if (opts.executionProvider === 'cuda') {
    try {
      return await ort.InferenceSession.create(path, { ...base, executionProviders: ['cuda', 'cpu'] });
    } catch (err) {
      log.warn({ event: 'cuda_fallback', path, err: (err as Error).message }, 'CUDA execution provider unavailable; using CPU');
    }
  }
  return ort.InferenceSession.create(path, { ...base, executionProviders: ['cpu'] });
}

type OrtValueMetadata = ort.InferenceSession.ValueMetadata;

/** Converts onnxruntime's value metadata into protocol tensor metadata (-1 for symbolic/unknown dims). */
export function tensorMetadataOf(values: readonly OrtValueMetadata[], role: string): TensorMetadata[] {
  return values.map((v) => {
    if (!v.isTensor) throw new Error(`${role} '${v.name}' is not a tensor; only tensor inputs/outputs are served`);
    const datatype: Datatype | undefined = datatypeOfOrtType(v.type);
    if (!datatype) throw new Error(`${role} '${v.name}' has unsupported type '${v.type}'`);
    const shape = v.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
    return { name: v.name, datatype, shape };
  });
}
