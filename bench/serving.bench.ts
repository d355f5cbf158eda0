/**
 * Model server benchmark: raw onnxruntime session.run (batch 1 and best batch), a plain node:http
 * server calling session.run per request (baseline), and Capstan REST JSON, REST binary and gRPC,
 * at concurrency 1 and 64, on a protocol-bound small MLP and a compute-bound large MLP.
 * The load generator runs in its own child process (as a real client would) with keep-alive
 * connections, so its CPU never shares the server's event loop or heap. Table, then one JSON line.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';
import * as http2 from 'node:http2';
import { pino } from 'pino';
import { buildMlpOnnx } from '../src/onnx/index.js';
import { runModelServer } from '../src/serving/model-server/index.js';
import { inferenceProtoRoot } from '../src/serving/model-server/grpc-proto.js';

type Mode = 'plain' | 'rest-json' | 'rest-binary' | 'grpc';
interface LoadJob { mode: Mode; port: number; model: string; inputSize: number; concurrency: number; durationMs: number }
/** clientCpuUsPerReq: the load generator's own CPU (user+sys) per request; it shares the cores with the server. */
interface LoadResult { requests: number; errors: number; seconds: number; p50: number; p99: number; clientCpuUsPerReq: number }

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const THREADS = 1;
/** Where the Capstan server runs session.run (the plain baseline always runs it on its event loop). */
const SESSION_THREAD = (process.env.BENCH_SESSION_THREAD ?? 'event-loop') as 'worker' | 'event-loop';
/** Comma-separated substrings of "<model> <scenario>" to run (for profiling one case); unset = everything. */
const ONLY = process.env.BENCH_ONLY?.split(',').filter((t) => t !== '');
const wanted = (model: string, scenario: string): boolean => !ONLY || ONLY.some((t) => `${model} ${scenario}`.includes(t));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------- load generator (child process)
/**
 * One keep-alive HTTP/1.1 connection on a raw socket, one request in flight, sending a prebuilt
 * request buffer and parsing only status + Content-Length. node:http's client costs more CPU per
 * request than the servers under test, so with it the load generator, not the server, was the limit.
 */
class RawHttpConnection {
  private buf: Buffer | undefined;
  private pending: ((ok: boolean) => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(c));
    const fail = (): void => { this.closed = true; this.finish(false); };
    socket.on('error', fail);
    socket.on('close', fail);
  }

  static open(port: number): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawHttpConnection(s)));
      s.once('error', reject);
    });
  }

  get alive(): boolean { return !this.closed; }

  send(request: Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket.write(request);
    });
  }

  close(): void { this.socket.destroy(); }

  private finish(ok: boolean): void {
    const p = this.pending;
    this.pending = undefined;
    p?.(ok);
  }

  private onData(c: Buffer): void {
    const buf = this.buf ? Buffer.concat([this.buf, c]) : c;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) { this.buf = buf; return; }
    const head = buf.toString('latin1', 0, end);
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const total = end + 4 + (m ? Number(m[1]) : 0);
    if (buf.length < total) { this.buf = buf; return; }
    this.buf = buf.length > total ? buf.subarray(total) : undefined;
    this.finish(head.startsWith('HTTP/1.1 200'));
  }
}

function rawRequest(path: string, body: Buffer, extraHeaders: string): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${extraHeaders}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const row = Float32Array.from({ length: job.inputSize }, (_, i) => (i % 7) / 7);
  const jsonBody = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize], data: Array.from(row) }] }));
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize], parameters: { binary_data_size: row.byteLength } }],
    parameters: { binary_data_output: true },
  }));
  const binBody = Buffer.concat([header, Buffer.from(row.buffer)]);
  // gRPC client on node:http2 directly (one HTTP/2 connection, gRPC length-prefixed framing, request
  // encoded once, response checked by grpc-status only): grpc-js' client cost more CPU per call than
  // the server under test, so it, not the server, set the gRPC figures.
  const reqType = inferenceProtoRoot().lookupType('inference.ModelInferRequest');
  const msg = reqType.encode({
    model_name: job.model, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize] }], raw_input_contents: [Buffer.from(row.buffer)],
  }).finish();
  const grpcFrame = Buffer.alloc(5 + msg.length);
  grpcFrame.writeUInt32BE(msg.length, 1);
  grpcFrame.set(msg, 5);
  const h2 = job.mode === 'grpc' ? http2.connect(`http://127.0.0.1:${job.port}`) : undefined;
  const grpcHeaders = {
    ':method': 'POST', ':path': '/inference.GRPCInferenceService/ModelInfer', 'content-type': 'application/grpc', te: 'trailers',
  };

  const path = job.mode === 'plain' ? '/infer' : `/v2/models/${job.model}/infer`;
  const httpReq = job.mode === 'rest-binary'
    ? rawRequest(path, binBody, `Inference-Header-Content-Length: ${header.length}\r\n`)
    : rawRequest(path, jsonBody, '');
  const conns: RawHttpConnection[] = [];
  const grpcOnce = (): Promise<boolean> => new Promise((resolve) => {
    const stream = h2!.request(grpcHeaders);
    let status: string | undefined;
    stream.on('response', (headers) => { status = headers['grpc-status'] as string | undefined; });
    stream.on('trailers', (trailers) => { status = trailers['grpc-status'] as string | undefined ?? status; });
    stream.on('data', () => {});
    stream.on('end', () => resolve(status === '0'));
    stream.on('error', () => resolve(false));
    stream.end(grpcFrame);
  });
  // Each lane owns one connection and reopens it if the server closed it.
  const lane = (i: number) => async (): Promise<boolean> => {
    if (job.mode === 'grpc') return grpcOnce();
    if (!conns[i]?.alive) conns[i] = await RawHttpConnection.open(job.port);
    return conns[i].send(httpReq);
  };
  const lanes = Array.from({ length: job.concurrency }, (_, i) => lane(i));

  // Warm up connections and JIT.
  await Promise.all(lanes.map((once) => once()));
  const latencies: number[] = [];
  let errors = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + job.durationMs;
  await Promise.all(lanes.map(async (once) => {
    while (performance.now() < end) {
      const t = performance.now();
      const ok = await once();
      latencies.push(performance.now() - t);
      if (!ok) errors++;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  for (const c of conns) c?.close();
  h2?.close();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, errors, seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), clientCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, latencies.length) };
}

const LOAD_GENERATOR_FLAG = '--load-generator';
const isLoadGenerator = process.argv.includes(LOAD_GENERATOR_FLAG);

if (isLoadGenerator) {
  process.once('message', (job: LoadJob) => {
    runLoad(job).then((r) => process.send!(r, () => process.exit(0)));
  });
}

function load(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [LOAD_GENERATOR_FLAG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (r: LoadResult) => resolve(r));
    child.once('error', reject);
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`load generator exited with ${code}`)); });
    child.send(job);
  });
}

// ---------------------------------------------------------------- main process
/** Dynamic batching config per model; BENCH_BATCHING_<MODEL>='{"max_queue_delay_microseconds":500}' overrides. */
function batchingOf(model: string): object {
  const env = process.env[`BENCH_BATCHING_${model.toUpperCase()}`];
  return env ? JSON.parse(env) as object : { max_queue_delay_microseconds: 0 };
}

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

/** serverCpuUsPerReq: CPU the serving process spent per request (user+sys), steadier than rows/s on a shared machine. */
interface Row { model: string; scenario: string; concurrency: number; rowsPerSec: number; p50Ms: number; p99Ms: number; errors: number; serverCpuUsPerReq?: number; clientCpuUsPerReq?: number }

/** Runs one load job and measures this (serving) process's CPU time per request while it ran. */
async function measured(job: LoadJob): Promise<LoadResult & { cpuUsPerReq: number }> {
  const before = process.cpuUsage();
  const r = await load(job);
  const d = process.cpuUsage(before);
  return { ...r, cpuUsPerReq: (d.user + d.system) / Math.max(1, r.requests) };
}

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
    writeFileSync(join(dir, name, 'config.json'), JSON.stringify({ max_batch_size: 64, dynamic_batching: batchingOf(name) }));
  }
  const rows: Row[] = [];
  const raw: Record<string, { batch1: { rowsPerSec: number; p50: number; p99: number }; best: { batch: number; rowsPerSec: number } }> = {};
  const server = await runModelServer({
    modelRepository: dir, httpPort: 0, grpcPort: 0, threads: { intraOp: THREADS, interOp: 1 }, sessionThread: SESSION_THREAD, logger: pino({ level: 'warn' }),
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
        for (const c of wanted(name, 'plain node http') ? [1, 64] : []) {
          const r = await measured({ mode: 'plain', port: plain.port, model: name, inputSize: m.inputSize, concurrency: c, durationMs: DURATION_MS });
          rows.push({ model: name, scenario: 'plain node http', concurrency: c, rowsPerSec: r.requests / r.seconds, p50Ms: r.p50, p99Ms: r.p99, errors: r.errors, serverCpuUsPerReq: r.cpuUsPerReq, clientCpuUsPerReq: r.clientCpuUsPerReq });
        }
      } finally {
        await plain.close();
      }
      for (const mode of ['rest-json', 'rest-binary', 'grpc'] as const) {
        for (const c of wanted(name, `capstan ${mode}`) ? [1, 64] : []) {
          const port = mode === 'grpc' ? server.grpcPort! : server.httpPort;
          const r = await measured({ mode, port, model: name, inputSize: m.inputSize, concurrency: c, durationMs: DURATION_MS });
          rows.push({ model: name, scenario: `capstan ${mode}`, concurrency: c, rowsPerSec: r.requests / r.seconds, p50Ms: r.p50, p99Ms: r.p99, errors: r.errors, serverCpuUsPerReq: r.cpuUsPerReq, clientCpuUsPerReq: r.clientCpuUsPerReq });
        }
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`${'model'.padEnd(6)} ${'scenario'.padEnd(24)} ${'c'.padStart(3)} ${'rows/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'err'.padStart(4)} ${'srv cpu us/req'.padStart(14)} ${'cli cpu us/req'.padStart(14)}`);
  for (const r of rows) {
    console.log(`${r.model.padEnd(6)} ${r.scenario.padEnd(24)} ${String(r.concurrency).padStart(3)} ${f(r.rowsPerSec).padStart(10)} ${f(r.p50Ms, 3).padStart(8)} ${f(r.p99Ms, 3).padStart(8)} ${String(r.errors).padStart(4)} ${f(r.serverCpuUsPerReq ?? NaN, 1).padStart(14)} ${f(r.clientCpuUsPerReq ?? NaN, 1).padStart(14)}`);
  }
  const missing: Row = { model: '', scenario: '', concurrency: 0, rowsPerSec: NaN, p50Ms: NaN, p99Ms: NaN, errors: 0 };
  const find = (model: string, scenario: string, c: number): Row => rows.find((r) => r.model === model && r.scenario === scenario && r.concurrency === c) ?? missing;
  const aims = {
    heavyC64BinaryVsRawBestBatch: find('heavy', 'capstan rest-binary', 64).rowsPerSec / raw.heavy.best.rowsPerSec,
    heavyC64BinaryVsPlain: find('heavy', 'capstan rest-binary', 64).rowsPerSec / find('heavy', 'plain node http', 64).rowsPerSec,
    smallC64BinaryVsPlain: find('small', 'capstan rest-binary', 64).rowsPerSec / find('small', 'plain node http', 64).rowsPerSec,
    smallC1BinaryAddedP50Ms: find('small', 'capstan rest-binary', 1).p50Ms - raw.small.batch1.p50,
  };
  console.log('');
  console.log(`aims: heavy c=64 binary / raw best batch = ${aims.heavyC64BinaryVsRawBestBatch.toFixed(2)} (>= 0.70); heavy c=64 binary / plain = ${aims.heavyC64BinaryVsPlain.toFixed(2)} (>= 3); small c=64 binary / plain = ${aims.smallC64BinaryVsPlain.toFixed(2)} (>= 2); small c=1 added p50 = ${aims.smallC1BinaryAddedP50Ms.toFixed(3)} ms (<= 0.3)`);
  console.log(JSON.stringify({ bench: 'serving', threads: THREADS, sessionThread: SESSION_THREAD, durationMs: DURATION_MS, raw, rows, aims }));
}

if (!isLoadGenerator) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
