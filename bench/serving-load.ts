/**
 * The serving bench's load generator, run in a child process of its own (as a real client would):
 * HTTP/1.1 keep-alive on raw sockets with a prebuilt request (node's http client costs more CPU per
 * request than the servers under test), gRPC on node:http2 with prebuilt length-prefixed frames.
 * Closed loop (N lanes, one request in flight each) or open loop (a fixed arrival rate over a pool
 * of connections, for overload: 200s and 503s timed separately).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type Socket } from 'node:net';
import * as http2 from 'node:http2';
import { inferenceProtoRoot } from '../src/serving/model-server/grpc-proto.js';

/** Protocol of a load job. */
export type Mode = 'plain' | 'rest-json' | 'rest-binary' | 'grpc';
/** One load job. `openRatePerSec` switches to open loop (REST binary only). */
export interface LoadJob { mode: Mode; port: number; model: string; inputSize: number; concurrency: number; durationMs: number; openRatePerSec?: number; maxConnections?: number }
/** clientCpuUsPerReq: the load generator's own CPU (user+sys) per request; it shares the cores with the server. */
export interface LoadResult {
  requests: number; errors: number; seconds: number; p50: number; p99: number; clientCpuUsPerReq: number;
  /** Open loop only: answers by kind, their latencies, and arrivals not sent because every connection was busy. */
  open?: { ok: number; shed: number; other: number; okP50: number; okP99: number; shedP50: number; shedP99: number; notSent: number };
}

/** The p-th percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** One keep-alive HTTP/1.1 connection, one request in flight, parsing only status + Content-Length. */
class RawHttpConnection {
  private buf: Buffer | undefined;
  private pending: ((status: number) => void) | undefined;
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(c));
    const fail = (): void => { this.closed = true; this.finish(0); };
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
  get busy(): boolean { return this.pending !== undefined; }

  /** Resolves with the status code (0 = connection failed). */
  send(request: Buffer): Promise<number> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.socket.write(request);
    });
  }

  close(): void { this.socket.destroy(); }

  private finish(status: number): void {
    const p = this.pending;
    this.pending = undefined;
    p?.(status);
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
    this.finish(Number(head.slice(9, 12)));
  }
}

function rawRequest(path: string, body: Buffer, extraHeaders: string): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${extraHeaders}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function requests(job: LoadJob): { http: Buffer; grpcFrame: Buffer } {
  const row = Float32Array.from({ length: job.inputSize }, (_, i) => (i % 7) / 7);
  const jsonBody = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize], data: Array.from(row) }] }));
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize], parameters: { binary_data_size: row.byteLength } }],
    parameters: { binary_data_output: true },
  }));
  const binBody = Buffer.concat([header, Buffer.from(row.buffer)]);
  const msg = inferenceProtoRoot().lookupType('inference.ModelInferRequest').encode({
    model_name: job.model, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, job.inputSize] }], raw_input_contents: [Buffer.from(row.buffer)],
  }).finish();
  const grpcFrame = Buffer.alloc(5 + msg.length);
  grpcFrame.writeUInt32BE(msg.length, 1);
  grpcFrame.set(msg, 5);
  const path = job.mode === 'plain' ? '/infer' : `/v2/models/${job.model}/infer`;
  const http = job.mode === 'rest-binary' ? rawRequest(path, binBody, `Inference-Header-Content-Length: ${header.length}\r\n`) : rawRequest(path, jsonBody, '');
  return { http, grpcFrame };
}

async function runClosedLoad(job: LoadJob): Promise<LoadResult> {
  const { http: httpReq, grpcFrame } = requests(job);
  const h2 = job.mode === 'grpc' ? http2.connect(`http://127.0.0.1:${job.port}`) : undefined;
  const grpcHeaders = { ':method': 'POST', ':path': '/inference.GRPCInferenceService/ModelInfer', 'content-type': 'application/grpc', te: 'trailers' };
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
    return (await conns[i].send(httpReq)) === 200;
  };
  const lanes = Array.from({ length: job.concurrency }, (_, i) => lane(i));
  await Promise.all(lanes.map((once) => once())); // warm up connections and JIT
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

/** Open loop: arrivals at a fixed rate (1 ms ticks), each on an idle connection of the pool (opened as needed up to maxConnections). */
async function runOpenLoad(job: LoadJob): Promise<LoadResult> {
  const { http: req } = requests(job);
  const max = job.maxConnections ?? 512;
  const idle: RawHttpConnection[] = [];
  let open = 0;
  for (let i = 0; i < Math.min(64, max); i++) { idle.push(await RawHttpConnection.open(job.port)); open++; }
  const ok: number[] = []; const shed: number[] = []; let other = 0; let notSent = 0; let inFlight = 0;
  const fire = async (): Promise<void> => {
    let c = idle.pop();
    if (!c) {
      if (open >= max) { notSent++; return; }
      open++;
      c = await RawHttpConnection.open(job.port);
    }
    inFlight++;
    const t = performance.now();
    const status = await c.send(req);
    const ms = performance.now() - t;
    inFlight--;
    if (status === 200) ok.push(ms); else if (status === 503) shed.push(ms); else other++;
    if (c.alive) idle.push(c); else open--;
  };
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (now - start >= job.durationMs) { clearInterval(timer); resolve(); return; }
      const due = Math.floor(((now - start) / 1000) * job.openRatePerSec!);
      while (sent < due) { sent++; void fire(); }
    }, 1);
  });
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  for (const c of idle) c.close();
  ok.sort((a, b) => a - b); shed.sort((a, b) => a - b);
  const all = [...ok, ...shed].sort((a, b) => a - b);
  return {
    requests: all.length, errors: shed.length + other, seconds, p50: percentile(all, 50), p99: percentile(all, 99),
    clientCpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, all.length),
    open: { ok: ok.length, shed: shed.length, other, okP50: percentile(ok, 50), okP99: percentile(ok, 99), shedP50: percentile(shed, 50), shedP99: percentile(shed, 99), notSent },
  };
}

const LOAD_GENERATOR_FLAG = '--load-generator';

if (process.argv.includes(LOAD_GENERATOR_FLAG)) {
  process.once('message', (job: LoadJob) => {
    (job.openRatePerSec ? runOpenLoad(job) : runClosedLoad(job)).then((r) => process.send!(r, () => process.exit(0)));
  });
}

/** Runs a load job in a fresh child process. */
export function load(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [LOAD_GENERATOR_FLAG], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (r: LoadResult) => resolve(r));
    child.once('error', reject);
    child.once('exit', (code) => { if (code !== 0) reject(new Error(`load generator exited with ${code}`)); });
    child.send(job);
  });
}
