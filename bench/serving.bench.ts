/**
 * Model server benchmark: raw onnxruntime session.run (batch 1 and best batch), a plain node:http
 * server calling session.run per request (baseline), and Capstan REST JSON, REST binary and gRPC,
 * at concurrency 1 and 64, on a protocol-bound small MLP and a compute-bound large MLP.
 * The load generator runs in a worker thread with keep-alive connections. Table, then one JSON line.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createServer, request as httpRequest, Agent } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { pino } from 'pino';
import { buildMlpOnnx } from '../src/onnx/index.js';
import { runModelServer, grpcServiceProtoPath } from '../src/serving/model-server/index.js';

type Mode = 'plain' | 'rest-json' | 'rest-binary' | 'grpc';
interface LoadJob { mode: Mode; port: number; model: string; inputSize: number; concurrency: number; durationMs: number }
interface LoadResult { requests: number; errors: number; seconds: number; p50: number; p99: number }

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const THREADS = 1;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------- load generator (worker)
async function runLoad(job: LoadJob): Promise<LoadResult> {
  const row = Float32Array.from({ length: job.inputSize }, (_, i) => (i % 7) / 7);
  const jsonBody = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize], data: Array.from(row) }] }));
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize], parameters: { binary_data_size: row.byteLength } }],
    parameters: { binary_data_output: true },
  }));
  const binBody = Buffer.concat([header, Buffer.from(row.buffer)]);
  const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });
  let grpcClient: any;
  if (job.mode === 'grpc') {
    const def = protoLoader.loadSync(grpcServiceProtoPath(), { keepCase: true, longs: Number });
    const pkg = grpc.loadPackageDefinition(def) as any;
    grpcClient = new pkg.inference.GRPCInferenceService(`127.0.0.1:${job.port}`, grpc.credentials.createInsecure());
  }
  const grpcReq = { model_name: job.model, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize] }], raw_input_contents: [Buffer.from(row.buffer)] };

  const once = (): Promise<boolean> => new Promise((resolve) => {
    if (job.mode === 'grpc') {
      grpcClient.ModelInfer(grpcReq, (err: unknown) => resolve(!err));
      return;
    }
    const binary = job.mode === 'rest-binary';
    const body = binary ? binBody : jsonBody;
    const headers: Record<string, string | number> = { 'content-length': body.length, 'content-type': 'application/json' };
    if (binary) headers['inference-header-content-length'] = header.length;
    const path = job.mode === 'plain' ? '/infer' : `/v2/models/${job.model}/infer`;
    const req = httpRequest({ host: '127.0.0.1', port: job.port, method: 'POST', path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end(body);
  });

  // Warm up connections and JIT.
  await Promise.all(Array.from({ length: job.concurrency }, () => once()));
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + job.durationMs;
  await Promise.all(Array.from({ length: job.concurrency }, async () => {
    while (performance.now() < end) {
      const t = performance.now();
      const ok = await once();
      latencies.push(performance.now() - t);
      if (!ok) errors++;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  grpcClient?.close();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

if (!isMainThread) {
  runLoad(workerData as LoadJob).then((r) => parentPort!.postMessage(r));
}

function load(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', (r: LoadResult) => { void w.terminate(); resolve(r); });
    w.once('error', reject);
  });
}

// ---------------------------------------------------------------- main thread
function rand(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}

function mlp(inputSize: number, hidden: number[], out: number, seed: number): Uint8Array {
  const r = rand(seed);
  const layers = [];
  let width = inputSize;
  for (const h of [...hidden, out]) {
    const last: boolean = layers.length === hidden.length;
    layers.push({
      weights: Float32Array.from({ length: width * h }, () => r() * 0.1),
      bias: Float32Array.from({ length: h }, () => r() * 0.1),
      out: h, activation: (last ? 'softmax' : 'relu') as 'softmax' | 'relu',
    });
    width = h;
  }
  return buildMlpOnnx({ inputSize, layers });
}

async function rawRun(session: ort.InferenceSession, inputSize: number, batch: number, ms: number): Promise<{ rowsPerSec: number; p50: number; p99: number }> {
  const data = Float32Array.from({ length: inputSize * batch }, (_, i) => (i % 7) / 7);
  const t = new ort.Tensor('float32', data, [batch, inputSize]);
  for (let i = 0; i < 20; i++) await session.run({ input: t });
  const lat: number[] = [];
  const start = performance.now();
  while (performance.now() - start < ms) {
    const s = performance.now();
    await session.run({ input: t });
    lat.push(performance.now() - s);
  }
  const secs = (performance.now() - start) / 1000;
  lat.sort((a, b) => a - b);
  return { rowsPerSec: (lat.length * batch) / secs, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

async function plainServer(path: string): Promise<{ port: number; close: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const doc = JSON.parse(Buffer.concat(chunks).toString());
      const inp = doc.inputs[0];
      const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(inp.data), inp.shape) });
      const o = out.output;
      const body = JSON.stringify({ outputs: [{ name: 'output', datatype: 'FP32', shape: o.dims, data: Array.from(o.data as Float32Array) }] });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); await session.release(); },
  };
}

interface Row { model: string; scenario: string; concurrency: number; rowsPerSec: number; p50Ms: number; p99Ms: number; errors: number }

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-'));
  const models = {
    small: { inputSize: 16, bytes: mlp(16, [32], 4, 1) },
    // Large enough that batch-1 runs are memory-bound and batching pays (~6M MACs/row).
    heavy: { inputSize: 1024, bytes: mlp(1024, [2048, 2048], 10, 2) },
  };
  for (const [name, m] of Object.entries(models)) {
    mkdirSync(join(dir, name, '1'), { recursive: true });
    writeFileSync(join(dir, name, '1', 'model.onnx'), m.bytes);
    writeFileSync(join(dir, name, 'config.json'), JSON.stringify({ max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 0 } }));
  }
  const rows: Row[] = [];
  const raw: Record<string, { batch1: { rowsPerSec: number; p50: number; p99: number }; best: { batch: number; rowsPerSec: number } }> = {};
  const server = await runModelServer({
    modelRepository: dir, httpPort: 0, grpcPort: 0, threads: { intraOp: THREADS, interOp: 1 }, logger: pino({ level: 'warn' }),
  });
  try {
    for (const [name, m] of Object.entries(models)) {
      const path = join(dir, name, '1', 'model.onnx');
      const session = await ort.InferenceSession.create(path, { intraOpNumThreads: THREADS, interOpNumThreads: 1 });
      const batch1 = await rawRun(session, m.inputSize, 1, 1500);
      let best = { batch: 1, rowsPerSec: batch1.rowsPerSec };
      for (const b of [8, 32, 64]) {
        const r = await rawRun(session, m.inputSize, b, 1000);
        if (r.rowsPerSec > best.rowsPerSec) best = { batch: b, rowsPerSec: r.rowsPerSec };
      }
      await session.release();
      raw[name] = { batch1, best };
      rows.push({ model: name, scenario: 'raw session.run b=1', concurrency: 1, rowsPerSec: batch1.rowsPerSec, p50Ms: batch1.p50, p99Ms: batch1.p99, errors: 0 });
      rows.push({ model: name, scenario: `raw session.run b=${best.batch}`, concurrency: 1, rowsPerSec: best.rowsPerSec, p50Ms: NaN, p99Ms: NaN, errors: 0 });

      const plain = await plainServer(path);
      try {
        for (const c of [1, 64]) {
          const r = await load({ mode: 'plain', port: plain.port, model: name, inputSize: m.inputSize, concurrency: c, durationMs: DURATION_MS });
          rows.push({ model: name, scenario: 'plain node http', concurrency: c, rowsPerSec: r.requests / r.seconds, p50Ms: r.p50, p99Ms: r.p99, errors: r.errors });
        }
      } finally {
        await plain.close();
      }
      for (const mode of ['rest-json', 'rest-binary', 'grpc'] as const) {
        for (const c of [1, 64]) {
          const port = mode === 'grpc' ? server.grpcPort! : server.httpPort;
          const r = await load({ mode, port, model: name, inputSize: m.inputSize, concurrency: c, durationMs: DURATION_MS });
          rows.push({ model: name, scenario: `capstan ${mode}`, concurrency: c, rowsPerSec: r.requests / r.seconds, p50Ms: r.p50, p99Ms: r.p99, errors: r.errors });
        }
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`${'model'.padEnd(6)} ${'scenario'.padEnd(24)} ${'c'.padStart(3)} ${'rows/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'err'.padStart(4)}`);
  for (const r of rows) {
    console.log(`${r.model.padEnd(6)} ${r.scenario.padEnd(24)} ${String(r.concurrency).padStart(3)} ${f(r.rowsPerSec).padStart(10)} ${f(r.p50Ms, 3).padStart(8)} ${f(r.p99Ms, 3).padStart(8)} ${String(r.errors).padStart(4)}`);
  }
  const find = (model: string, scenario: string, c: number): Row => rows.find((r) => r.model === model && r.scenario === scenario && r.concurrency === c)!;
  const aims = {
    heavyC64BinaryVsRawBestBatch: find('heavy', 'capstan rest-binary', 64).rowsPerSec / raw.heavy.best.rowsPerSec,
    heavyC64BinaryVsPlain: find('heavy', 'capstan rest-binary', 64).rowsPerSec / find('heavy', 'plain node http', 64).rowsPerSec,
    smallC64BinaryVsPlain: find('small', 'capstan rest-binary', 64).rowsPerSec / find('small', 'plain node http', 64).rowsPerSec,
    smallC1BinaryAddedP50Ms: find('small', 'capstan rest-binary', 1).p50Ms - raw.small.batch1.p50,
  };
  console.log('');
  console.log(`aims: heavy c=64 binary / raw best batch = ${aims.heavyC64BinaryVsRawBestBatch.toFixed(2)} (>= 0.70); heavy c=64 binary / plain = ${aims.heavyC64BinaryVsPlain.toFixed(2)} (>= 3); small c=64 binary / plain = ${aims.smallC64BinaryVsPlain.toFixed(2)} (>= 2); small c=1 added p50 = ${aims.smallC1BinaryAddedP50Ms.toFixed(3)} ms (<= 0.3)`);
  console.log(JSON.stringify({ bench: 'serving', threads: THREADS, durationMs: DURATION_MS, raw, rows, aims }));
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
