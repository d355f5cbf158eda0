/**
 * One loaded model version: its onnxruntime session, metadata, request validation against the
 * model's signature, and batched execution (concatenate rows, run once, split outputs back).
 */
import type { Logger } from 'pino';
import { BatchScheduler, type BatchItem } from './batch-scheduler.js';
import { DEFAULT_MAX_BATCH_SIZE, type ModelConfig } from './model-config.js';
import { InferError, badRequest } from './infer-error.js';
import type { InferOutput, InferRequest, InferResult, TensorMetadata } from './infer-types.js';
import { tensorMetadataOf, type ModelSession, type RuntimeOptions, type WireTensor } from './ort-session.js';
import { maxBatchSizeOf, openTunedSession, type Exclusive, type TunedSession } from './session-tuning.js';
import { autoExpiryMs, defaultQueueBudgetMs } from './admission.js';
import type { ComputeProfile } from './compute-profile.js';
import { ModelStatsCounter, type ModelStatistics } from './model-stats.js';
import { DATATYPES, elementCount, type TensorData, type TypedTensorArray } from './tensor-datatypes.js';
import type { ModelMetrics } from './metrics.js';
import { bytesToOrtStrings, needsByteMapping, ortStringsToBytes } from './ort-strings.js';

/** A request checked against the model, ready to queue. */
interface PreparedRequest {
  request: InferRequest;
  /** Inputs in model input order. */
  feeds: TensorData[];
  /** Their shapes, same order. */
  shapes: number[][];
  rows: number;
  outputNames: string[];
  /** BYTES elements go through onnxruntime byte-mapped (see ort-strings.ts). */
  mapBytes: boolean;
}

/** A model version that is loaded and can serve. */
export class ModelVersion {
  readonly inputs: TensorMetadata[];
  readonly outputs: TensorMetadata[];
  readonly maxBatchSize: number;
  private readonly scheduler: BatchScheduler<PreparedRequest, InferResult>;
  private readonly inputIndex = new Map<string, number>();
  private readonly outputSet: Set<string>;
  private readonly outputNames: string[];
  private readonly outputMeta = new Map<string, TensorMetadata>();

  private readonly stats = new ModelStatsCounter();
  /** Requests accepted and not yet answered (eviction never frees a version in use). */
  inFlight = 0;
  /** Set once unloading starts: new requests get 503 (retryable) instead of a freed session. */
  private closed = false;
  /** Memory this version holds (set by the manager at load: RSS growth, at least the file size). */
  memoryBytes = 0;

  private constructor(
    readonly name: string,
    readonly version: string,
    private readonly session: ModelSession,
    readonly config: ModelConfig,
    private readonly metrics: ModelMetrics,
    /** How the session's threads and compute profile were chosen. */
    readonly tuning: Omit<TunedSession, 'session'>,
  ) {
    this.inputs = tensorMetadataOf(session.inputMetadata, 'input');
    this.outputs = tensorMetadataOf(session.outputMetadata, 'output');
    this.inputs.forEach((t, i) => this.inputIndex.set(t.name, i));
    this.outputSet = new Set(this.outputs.map((o) => o.name));
    this.outputNames = this.outputs.map((o) => o.name);
    for (const o of this.outputs) this.outputMeta.set(o.name, o);
    this.maxBatchSize = maxBatchSizeOf(this.inputs, this.outputs, config.batching.maxBatchSize, DEFAULT_MAX_BATCH_SIZE);
    const b = config.batching;
    this.scheduler = new BatchScheduler<PreparedRequest, InferResult>(
      {
        maxBatchSize: this.maxBatchSize,
        preferredBatchSizes: b.preferredBatchSizes,
        maxQueueDelayMs: b.maxQueueDelayMicros / 1000,
        maxQueueSize: b.maxQueueSize,
        priorityLevels: b.priorityLevels,
      },
      (items) => this.runBatch(items),
      tuning.calibration?.profile ?? { fixedMs: 0, perRowMs: 0 },
      {
        onDepth: (depth) => metrics.queueDepth.set(depth),
        onRejected: (reason) => { this.stats.rejected[reason]++; metrics.rejected[reason].inc(); },
      },
    );
  }

  /** Loads a version from an .onnx file: session with tuned threads, calibrated compute profile. */
  static async load(
    name: string, version: string, path: string, config: ModelConfig,
    runtime: RuntimeOptions, metrics: ModelMetrics, log: Logger, exclusive?: Exclusive,
  ): Promise<ModelVersion> {
    const { session, ...tuning } = await openTunedSession(path, runtime, config.batching.maxBatchSize, DEFAULT_MAX_BATCH_SIZE, log, exclusive);
    try {
      return new ModelVersion(name, version, session, config, metrics, tuning);
    } catch (err) {
      await session.release().catch(() => {});
      throw err;
    }
  }

  /** The compute-time model as currently learned. */
  get computeProfile(): ComputeProfile { return this.scheduler.profile; }

  /** The queue budget requests get when they name none (ms; 0 = none). */
  queueBudgetMs(): number {
    const b = this.config.batching;
    if (b.defaultTimeoutMicros !== undefined) return b.defaultTimeoutMicros / 1000;
    return defaultQueueBudgetMs(this.scheduler.profile, this.maxBatchSize, b.maxQueueDelayMicros / 1000);
  }

  /** Triton-style statistics of this version. */
  statistics(): ModelStatistics {
    return { ...this.stats.snapshot(this.name, this.version), memory_usage: [{ type: 'CPU', id: 0, byte_size: this.memoryBytes }] };
  }

  /** True while requests are in flight or queued. */
  get busy(): boolean { return this.inFlight > 0 || this.scheduler.depth > 0; }

  /** Tensor metadata as the protocol reports it (batch dim shown as -1 when batching). */
  metadata(): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
    return { inputs: this.inputs, outputs: this.outputs };
  }

  /** Validates a request, queues it for batched execution, and resolves with its outputs. */
  async infer(request: InferRequest): Promise<InferResult> {
    this.metrics.inFlight.inc();
    this.inFlight++;
    const start = performance.now();
    try {
      if (this.closed) throw new InferError('NotReady', `model '${this.name}' version ${this.version} is being unloaded; retry`);
      const prepared = this.prepare(request);
      const { budgetMs, expireMs } = this.queueLimits(request);
      const priority = this.priorityOf(request);
      const r = await this.scheduler.submit(this.batchKey(prepared), prepared.rows, budgetMs, expireMs, priority, prepared);
      this.metrics.success.inc();
      this.stats.request(true, performance.now() - start, Date.now());
      return r;
    } catch (err) {
      this.metrics.failure.inc();
      if (err instanceof InferError && err.code === 'Timeout') this.stats.rejected.timeout++;
      this.stats.request(false, performance.now() - start, Date.now());
      throw err;
    } finally {
      this.metrics.inFlight.dec();
      this.inFlight--;
    }
  }

  /** Resolves when every queued and running request has been answered. */
  drain(): Promise<void> {
    return this.scheduler.idle();
  }

  /** Frees the session after draining. */
  async unload(): Promise<void> {
    this.closed = true;
    await this.drain();
    await this.session.release();
    this.metrics.memoryBytes.set(0);
  }

  /** Admission budget and expiry: an explicit timeout is both (Triton); the automatic budget expires later (admission.ts). */
  private queueLimits(request: InferRequest): { budgetMs: number; expireMs: number } {
    const b = this.config.batching;
    const override = request.parameters?.timeout;
    if (b.allowTimeoutOverride && override !== undefined) {
      if (typeof override !== 'number' || !Number.isInteger(override) || override < 0) {
        throw badRequest("parameter 'timeout' must be a non-negative integer (microseconds)");
      }
      return { budgetMs: override / 1000, expireMs: override / 1000 };
    }
    const budgetMs = this.queueBudgetMs();
    if (b.defaultTimeoutMicros !== undefined) return { budgetMs, expireMs: budgetMs };
    return { budgetMs, expireMs: autoExpiryMs(budgetMs) };
  }

  private priorityOf(request: InferRequest): number {
    const levels = this.config.batching.priorityLevels;
    const p = request.parameters?.priority;
    if (p === undefined || p === 0) return this.config.batching.defaultPriorityLevel;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > levels) {
      throw badRequest(`parameter 'priority' must be an integer from 1 to ${levels} (priority_levels of model '${this.name}'), or 0 for the default`);
    }
    return p;
  }

  private prepare(request: InferRequest): PreparedRequest {
    const feeds = new Array<TensorData | undefined>(this.inputs.length);
    const shapes = new Array<number[]>(this.inputs.length);
    let rows = 1;
    let mapBytes = false;
    let given = 0;
    for (const input of request.inputs) {
      const idx = this.inputIndex.get(input.name);
      if (idx === undefined) throw badRequest(`unexpected input '${input.name}': model '${this.name}' has inputs ${this.inputs.map((i) => `'${i.name}'`).join(', ')}`);
      if (feeds[idx] !== undefined) throw badRequest(`input '${input.name}' is given more than once`);
      const meta = this.inputs[idx];
      if (input.datatype !== meta.datatype) throw badRequest(`input '${input.name}': datatype ${input.datatype} does not match the model's ${meta.datatype}`);
      this.checkShape(input.name, input.shape, meta.shape);
      if (this.maxBatchSize > 0) {
        const r = input.shape[0];
        if (given > 0 && r !== rows) throw badRequest(`input '${input.name}': batch size ${r} differs from the other inputs' ${rows}`);
        rows = r;
      }
      given++;
      feeds[idx] = input.data;
      shapes[idx] = input.shape;
      if (meta.datatype === 'BYTES' && !mapBytes) mapBytes = needsByteMapping([input.data as Uint8Array[]]);
    }
    this.inputs.forEach((m, i) => {
      if (feeds[i] === undefined) throw badRequest(`missing input '${m.name}'`);
    });
    let outputNames = this.outputNames;
    if (request.outputs) {
      outputNames = request.outputs.map((o) => o.name);
      const seen = new Set<string>();
      for (const o of outputNames) {
        if (!this.outputSet.has(o)) throw badRequest(`unknown output '${o}': model '${this.name}' has outputs ${[...this.outputSet].map((n) => `'${n}'`).join(', ')}`);
        if (seen.has(o)) throw badRequest(`output '${o}' is requested more than once`);
        seen.add(o);
      }
    }
    return { request, feeds: feeds as TensorData[], shapes, rows, outputNames, mapBytes };
  }

  private checkShape(name: string, shape: number[], modelShape: number[]): void {
    const want = `[${modelShape.join(',')}]`;
    if (shape.length !== modelShape.length) throw badRequest(`input '${name}': shape [${shape.join(',')}] has rank ${shape.length} but the model expects ${want}`);
    for (let d = 0; d < shape.length; d++) {
      const m = modelShape[d];
      if (m >= 0 && shape[d] !== m) throw badRequest(`input '${name}': shape [${shape.join(',')}] does not match the model's ${want} at dim ${d}`);
    }
    if (this.maxBatchSize > 0 && (shape[0] < 1 || shape[0] > this.maxBatchSize)) {
      throw badRequest(`input '${name}': batch size ${shape[0]} must be between 1 and max_batch_size ${this.maxBatchSize}`);
    }
  }

  private batchKey(p: PreparedRequest): string {
    if (this.maxBatchSize <= 0) return '';
    // Only non-batch dims decide whether two requests can share a batch.
    let key = '';
    for (const shape of p.shapes) {
      for (let d = 1; d < shape.length; d++) key += `${shape[d]}x`;
      key += ';';
    }
    return key;
  }

  private async runBatch(items: Array<BatchItem<PreparedRequest, InferResult>>): Promise<void> {
    const start = performance.now();
    for (const it of items) {
      this.metrics.queueSeconds.observe((start - it.enqueuedAt) / 1000);
      this.stats.queued(start - it.enqueuedAt);
    }
    const totalRows = items.reduce((a, it) => a + it.payload.rows, 0);
    const feeds: Record<string, WireTensor> = {};
    const transfer: ArrayBuffer[] = [];
    this.inputs.forEach((meta, idx) => {
      const firstShape = items[0].payload.shapes[idx];
      let data: TypedTensorArray | string[];
      if (meta.datatype === 'BYTES') {
        data = [];
        for (const it of items) for (const s of bytesToOrtStrings(it.payload.feeds[idx] as Uint8Array[], it.payload.mapBytes)) data.push(s);
      } else {
        data = items.length === 1 ? items[0].payload.feeds[idx] as TypedTensorArray : concatTyped(items.map((it) => it.payload.feeds[idx] as TypedTensorArray));
      }
      if (this.session.crossThread && !Array.isArray(data)) {
        // A single request's data is a view into the request body: copy just its bytes into an
        // own buffer (cloning would copy the whole backing buffer), then move it to the worker.
        if (items.length === 1) data = (data as Float32Array).slice();
        transfer.push((data as Float32Array).buffer as ArrayBuffer);
      }
      const shape = this.maxBatchSize > 0 ? [totalRows, ...firstShape.slice(1)] : firstShape;
      feeds[meta.name] = { type: DATATYPES[meta.datatype].ort, data: data as Float32Array, dims: shape };
    });
    let results: Record<string, WireTensor>;
    try {
      results = await this.session.run(feeds, transfer);
    } catch (err) {
      const e = new InferError('Internal', `model '${this.name}' failed to run: ${(err as Error).message}`, { cause: err });
      for (const it of items) it.reject(e);
      return;
    }
    const computeMs = performance.now() - start;
    this.metrics.computeSeconds.observe(computeMs / 1000);
    this.metrics.batchSize.observe(totalRows);
    this.stats.batch(totalRows, items.length, computeMs);
    const dimsOf = new Map<string, number[]>();
    for (const name of Object.keys(results)) dimsOf.set(name, results[name].dims.map(Number));
    let rowOffset = 0;
    for (const it of items) {
      const outputs: InferOutput[] = [];
      for (const name of it.payload.outputNames) {
        const t = results[name];
        const meta = this.outputMeta.get(name)!;
        const dims = dimsOf.get(name)!;
        if (items.length === 1 || this.maxBatchSize <= 0) {
          const data = meta.datatype === 'BYTES' ? ortStringsToBytes(t.data as string[], it.payload.mapBytes) : t.data as TypedTensorArray;
          outputs.push({ name, datatype: meta.datatype, shape: dims, data });
          continue;
        }
        if (dims[0] !== totalRows) {
          it.reject(new InferError('Internal', `output '${name}' has first dim ${dims[0]}, not the batch size ${totalRows}`));
          outputs.length = 0;
          break;
        }
        const perRow = dims[0] > 0 ? t.data.length / dims[0] : elementCount(dims.slice(1));
        const from = rowOffset * perRow;
        const to = (rowOffset + it.payload.rows) * perRow;
        const shape = dims.slice();
        shape[0] = it.payload.rows;
        outputs.push({
          name, datatype: meta.datatype, shape,
          data: meta.datatype === 'BYTES'
            ? ortStringsToBytes((t.data as string[]).slice(from, to), it.payload.mapBytes)
            : (t.data as TypedTensorArray).subarray(from, to),
        });
      }
      rowOffset += it.payload.rows;
      if (outputs.length === it.payload.outputNames.length) it.resolve({ modelName: this.name, modelVersion: this.version, outputs });
    }
  }
}

function concatTyped(arrays: TypedTensorArray[]): TypedTensorArray {
  const total = arrays.reduce((a, p) => a + p.length, 0);
  const ctor = arrays[0].constructor as new (n: number) => TypedTensorArray;
  const out = ctor === BigInt64Array || ctor === BigUint64Array ? new ctor(total) : new ctor(total);
  let off = 0;
  for (const a of arrays) {
    (out as Float32Array).set(a as Float32Array, off);
    off += a.length;
  }
  return out;
}
