/** Creates onnxruntime-node sessions with the configured execution provider and thread counts. */
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import { datatypeOfOrtType, type Datatype } from './tensor-datatypes.js';
import type { TensorMetadata } from './infer-types.js';
import { WorkerSession, type WireTensor } from './session-worker.js';

export type { WireTensor } from './session-worker.js';

/** What a model version needs of a session, whichever thread it runs on. */
export interface ModelSession {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  /** True when inputs cross a thread boundary (then owned buffers listed in `transfer` move instead of being copied). */
  readonly crossThread: boolean;
  run(feeds: Record<string, WireTensor>, transfer?: ArrayBuffer[]): Promise<Record<string, WireTensor>>;
  release(): Promise<void>;
}

/** Runs on the calling (event-loop) thread: compute blocks request parsing while it runs. */
class EventLoopSession implements ModelSession {
  readonly crossThread = false;
  constructor(private readonly s: ort.InferenceSession) {}
  get inputMetadata(): readonly ort.InferenceSession.ValueMetadata[] { return this.s.inputMetadata; }
  get outputMetadata(): readonly ort.InferenceSession.ValueMetadata[] { return this.s.outputMetadata; }
  async run(feeds: Record<string, WireTensor>): Promise<Record<string, WireTensor>> {
    const t: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) t[name] = new ort.Tensor(f.type as 'float32', f.data as Float32Array, f.dims);
    return this.s.run(t);
  }
  release(): Promise<void> { return this.s.release(); }
}

/** Session settings shared by every model of a server. */
export interface RuntimeOptions {
  executionProvider: 'cpu' | 'cuda';
  /** Undefined = chosen per model at load (session-tuning.ts). */
  intraOpThreads?: number;
  /** Cores this server may use (the machine's, or its share among replicas); bounds the chosen threads. */
  cpuBudget: number;
  interOpThreads: number;
  /**
   * Where session.run executes: 'event-loop' = inline; 'worker' = a dedicated worker thread per
   * model version, so parsing (and answering 503s) continues during compute; 'auto' = decided per
   * model from its calibrated full-batch time (session-tuning.ts). createSession treats 'auto' as
   * 'event-loop'.
   */
  sessionThread?: 'worker' | 'event-loop' | 'auto';
}

/** Opens a session; falls back from CUDA to CPU with a log line when CUDA cannot be used. */
export async function createSession(path: string, opts: RuntimeOptions, log: Logger): Promise<ModelSession> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.intraOpThreads ?? 1,
    interOpNumThreads: opts.interOpThreads,
    graphOptimizationLevel: 'all',
    executionMode: opts.interOpThreads > 1 ? 'parallel' : 'sequential',
  };
  const open = async (o: ort.InferenceSession.SessionOptions): Promise<ModelSession> => (
    opts.sessionThread === 'worker' ? WorkerSession.create(path, o) : new EventLoopSession(await ort.InferenceSession.create(path, o))
  );
  if (opts.executionProvider === 'cuda') {
    try {
      return await open({ ...base, executionProviders: ['cuda', 'cpu'] });
    } catch (err) {
      log.warn({ event: 'cuda_fallback', path, err: (err as Error).message }, 'CUDA execution provider unavailable; using CPU');
    }
  }
  return open({ ...base, executionProviders: ['cpu'] });
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
