/**
 * An onnxruntime session that lives on its own worker thread. onnxruntime-node's `run` is synchronous
 * on the calling thread, so on the event loop it stalls request parsing for the whole compute; here the
 * event loop keeps reading and queueing the next batch while this one computes.
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as ort from 'onnxruntime-node';

/** A tensor as it crosses the thread boundary (and as runBatch reads outputs). */
export interface WireTensor {
  type: string;
  data: ort.Tensor['data'];
  dims: readonly number[];
}

type Reply =
  | { id: number; ok: true; inputMetadata?: ort.InferenceSession.ValueMetadata[]; outputMetadata?: ort.InferenceSession.ValueMetadata[]; outputs?: Record<string, WireTensor> }
  | { id: number; ok: false; error: string };

// Evaluated source using only dynamic import(), so it works whether the worker treats it as
// CommonJS or as a module (loaders such as tsx change that), from src/ and dist/ alike.
const WORKER_SOURCE = `
(async () => {
const { parentPort, workerData } = await import('node:worker_threads');
const mod = await import(workerData.ortUrl);
const ort = mod.default ?? mod;
let session;
parentPort.on('message', async (m) => {
  try {
    if (m.op === 'create') {
      session = await ort.InferenceSession.create(m.path, m.options);
      parentPort.postMessage({ id: m.id, ok: true, inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata });
    } else if (m.op === 'run') {
      const feeds = {};
      for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const results = await session.run(feeds);
      const outputs = {};
      const transfer = [];
      for (const [name, t] of Object.entries(results)) {
        outputs[name] = { type: t.type, data: t.data, dims: t.dims };
        if (ArrayBuffer.isView(t.data) && !transfer.includes(t.data.buffer)) transfer.push(t.data.buffer);
      }
      try {
        parentPort.postMessage({ id: m.id, ok: true, outputs }, transfer);
      } catch {
        // Some native-backed buffers cannot be detached; a copy is still correct.
        parentPort.postMessage({ id: m.id, ok: true, outputs });
      }
    } else if (m.op === 'release') {
      if (session) await session.release();
      session = undefined;
      parentPort.postMessage({ id: m.id, ok: true });
    }
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, error: err && err.message ? err.message : String(err) });
  }
});
})();
`;

/** One session on one dedicated worker thread; calls are answered in order. */
export class WorkerSession {
  readonly crossThread = true;
  inputMetadata: readonly ort.InferenceSession.ValueMetadata[] = [];
  outputMetadata: readonly ort.InferenceSession.ValueMetadata[] = [];
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private dead: Error | undefined;

  private constructor() {
    const ortUrl = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortUrl } });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    const fail = (err: Error): void => {
      this.dead = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`session worker exited (code ${code})`)));
  }

  /** Starts a worker and opens the session in it; the worker is stopped again if that fails. */
  static async create(path: string, options: ort.InferenceSession.SessionOptions): Promise<WorkerSession> {
    const s = new WorkerSession();
    try {
      await s.open(path, options);
      return s;
    } catch (err) {
      await s.worker.terminate();
      throw err;
    }
  }

  /** (Re)opens the session in this worker, e.g. with other providers after a failure. */
  async open(path: string, options: ort.InferenceSession.SessionOptions): Promise<void> {
    const r = await this.call({ op: 'create', path, options });
    this.inputMetadata = r.inputMetadata ?? [];
    this.outputMetadata = r.outputMetadata ?? [];
  }

  /**
   * Runs the model. Input arrays are copied to the worker (structured clone) unless they own their
   * whole buffer and `transfer` is set; outputs are transferred back without copying.
   */
  async run(feeds: Record<string, WireTensor>, transfer: ArrayBuffer[] = []): Promise<Record<string, WireTensor>> {
    const r = await this.call({ op: 'run', feeds }, transfer);
    return r.outputs ?? {};
  }

  /** Frees the session and stops the thread. */
  async release(): Promise<void> {
    try {
      if (!this.dead) await this.call({ op: 'release' });
    } finally {
      await this.worker.terminate();
    }
  }

  private call(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Extract<Reply, { ok: true }>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) => (r.ok ? resolve(r) : reject(new Error(r.error))),
        reject,
      });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }
}
