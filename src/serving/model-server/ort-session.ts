/** Creates onnxruntime-node sessions with the configured execution provider and thread counts. */
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import { DATATYPES, datatypeOfOrtType, type Datatype } from './tensor-datatypes.js';
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
  intraOpThreads: number;
  interOpThreads: number;
  /**
   * Where session.run executes: 'event-loop' = inline (compute blocks request I/O); 'worker' = a
   * dedicated worker thread per model version, so requests keep being read and answered during
   * compute, at the cost of a thread hop per batch; 'auto' (default) = the worker for models whose
   * batch-8 run takes over AUTO_WORKER_THRESHOLD_MS at load, the event loop for the rest.
   */
  sessionThread?: SessionThread;
}

/** See RuntimeOptions.sessionThread. */
export type SessionThread = 'auto' | 'worker' | 'event-loop';

/**
 * 'auto' moves a model to a worker thread when a batch-8 run takes longer than this at load. Below
 * it the thread hop costs more than the I/O it would overlap (small MLP: ~20 µs per run, worker
 * +0.1 ms p50 at c=1); above it the event loop stalls every connection for the whole compute.
 */
export const AUTO_WORKER_THRESHOLD_MS = 1;

/** Best of three runs on zero inputs (dynamic dims: 8 for the first, 1 for others); undefined if that cannot run. */
async function calibrationMs(s: ort.InferenceSession): Promise<number | undefined> {
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const m of s.inputMetadata) {
      if (!m.isTensor) return undefined;
      const dt = datatypeOfOrtType(m.type);
      if (!dt) return undefined;
      const dims = m.shape.map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? 8 : 1));
      const n = dims.reduce((a, b) => a * b, 1);
      if (n > 1 << 24) return undefined;
      const data = dt === 'BYTES' ? new Array<string>(n).fill('') : new DATATYPES[dt].ctor!(n);
      feeds[m.name] = new ort.Tensor(m.type as 'float32', data as Float32Array, dims);
    }
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await s.run(feeds);
      best = Math.min(best, performance.now() - t);
    }
    return best;
  } catch {
    return undefined;
  }
}

/** Opens a session; falls back from CUDA to CPU with a log line when CUDA cannot be used. */
export async function createSession(path: string, opts: RuntimeOptions, log: Logger): Promise<ModelSession> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.intraOpThreads,
    interOpNumThreads: opts.interOpThreads,
    graphOptimizationLevel: 'all',
    executionMode: opts.interOpThreads > 1 ? 'parallel' : 'sequential',
  };
  const open = async (o: ort.InferenceSession.SessionOptions): Promise<ModelSession> => {
    const where = opts.sessionThread ?? 'auto';
    if (where === 'worker') return WorkerSession.create(path, o);
    const s = await ort.InferenceSession.create(path, o);
    if (where === 'event-loop') return new EventLoopSession(s);
    const ms = await calibrationMs(s);
    const toWorker = ms !== undefined && ms > AUTO_WORKER_THRESHOLD_MS;
    log.info({ event: 'session_thread', path, calibrationMs: ms, thread: toWorker ? 'worker' : 'event-loop' }, 'session thread chosen');
    if (!toWorker) return new EventLoopSession(s);
    await s.release();
    return WorkerSession.create(path, o);
  };
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
