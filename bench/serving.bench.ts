/**
 * Model server benchmark, every aim as a ratio against a baseline measured in the same run:
 * - raw onnxruntime session.run (batch 1, best batch over 8/32/64 and 1/all threads) and a plain
 *   node:http server calling session.run per request;
 * - Capstan with its defaults (threads chosen at load, automatic queue budget): REST JSON, REST
 *   binary, gRPC at c=1 and c=64;
 * - the gap from the defaults to the best of a few explicit configurations (threads 1 / all cores,
 *   session on a worker thread), REST binary c=64;
 * - overload: batching off, open-loop arrivals at 10x the measured capacity: 503 latency, served
 *   latency against the unloaded (c=1) latency, server RSS.
 * Models: small (protocol-bound), heavy (compute-bound, 24 MB of weights) and a 512-wide MLP.
 * Load generators run in child processes (serving-load.ts). Table, then one JSON line.
 */
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as ort from 'onnxruntime-node';
import { pino } from 'pino';
import { buildMlpOnnx } from '../src/onnx/index.js';
import { runModelServer, type ModelServerOptions } from '../src/serving/model-server/index.js';
import { load, percentile, type LoadJob, type LoadResult, type Mode } from './serving-load.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const CORES = availableParallelism();
/** Comma-separated substrings of "<model> <scenario>" to run (for profiling one case); unset = everything. */
const ONLY = process.env.BENCH_ONLY?.split(',').filter((t) => t !== '');
const wanted = (model: string, scenario: string): boolean => !ONLY || ONLY.some((t) => `${model} ${scenario}`.includes(t));
const quiet = pino({ level: 'warn' });

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
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
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

function rowOf(model: string, scenario: string, c: number, r: LoadResult & { cpuUsPerReq: number }): Row {
  return { model, scenario, concurrency: c, rowsPerSec: r.requests / r.seconds, p50Ms: r.p50, p99Ms: r.p99, errors: r.errors, serverCpuUsPerReq: r.cpuUsPerReq, clientCpuUsPerReq: r.clientCpuUsPerReq };
}

const MODELS = {
  small: { inputSize: 16, hidden: [32], seed: 1 },
  // Large enough that batch-1 runs are memory-bound and batching pays (~6M MACs/row).
  heavy: { inputSize: 1024, hidden: [2048, 2048], seed: 2 },
  mlp512: { inputSize: 512, hidden: [512, 512], seed: 3 },
} as const;
type ModelName = keyof typeof MODELS;

/** Explicit configurations the defaults are compared with (REST binary, c=64). */
const CONFIGS: Array<{ label: string; opts: Partial<ModelServerOptions> }> = [
  { label: 'threads=1 event-loop', opts: { threads: { intraOp: 1, interOp: 1 }, sessionThread: 'event-loop' } },
  { label: 'threads=1 worker', opts: { threads: { intraOp: 1, interOp: 1 }, sessionThread: 'worker' } },
  { label: `threads=${CORES} event-loop`, opts: { threads: { intraOp: CORES, interOp: 1 }, sessionThread: 'event-loop' } },
];

interface Overload {
  model: string; unloadedP99: number; capacityRps: number; offeredRps: number; ok: number; shed: number; notSent: number;
  servedP50: number; servedP99: number; shedP50: number; shedP99: number; rssBeforeMb: number; rssPeakMb: number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-bench-'));
  const paths: Record<string, string> = {};
  for (const [name, m] of Object.entries(MODELS)) {
    const bytes = mlp(m.inputSize, [...m.hidden], 10, m.seed);
    for (const [suffix, config] of [['', { max_batch_size: 64, dynamic_batching: batchingOf(name) }], ['_nb', { max_batch_size: 0 }]] as const) {
      mkdirSync(join(dir, name + suffix, '1'), { recursive: true });
      writeFileSync(join(dir, name + suffix, '1', 'model.onnx'), bytes);
      writeFileSync(join(dir, name + suffix, 'config.json'), JSON.stringify(config));
    }
    paths[name] = join(dir, name, '1', 'model.onnx');
  }
  const rows: Row[] = [];
  const raw: Record<string, { batch1: { rowsPerSec: number; p50: number; p99: number }; best: { batch: number; threads: number; rowsPerSec: number } }> = {};
  const gaps: Record<string, { defaultRowsPerSec: number; best: string; bestRowsPerSec: number; ratio: number }> = {};
  const overloads: Overload[] = [];
  const server = await runModelServer({ modelRepository: dir, httpPort: 0, grpcPort: 0, logger: quiet });
  const chosenThreads: Record<string, string> = {};
  try {
    for (const name of Object.keys(MODELS) as ModelName[]) {
      const m = MODELS[name];
      const tuning = server.models.resolve(name).tuning;
      chosenThreads[name] = `${tuning.threads} ${tuning.sessionThread}`;
      let batch1: { rowsPerSec: number; p50: number; p99: number } | undefined;
      let best = { batch: 1, threads: 1, rowsPerSec: 0 };
      for (const threads of [...new Set([1, CORES])]) {
        const session = await ort.InferenceSession.create(paths[name], { intraOpNumThreads: threads, interOpNumThreads: 1 });
        const b1 = await rawRun(session, m.inputSize, 1, 1000);
        if (threads === 1) batch1 = b1;
        if (b1.rowsPerSec > best.rowsPerSec) best = { batch: 1, threads, rowsPerSec: b1.rowsPerSec };
        for (const b of [8, 32, 64]) {
          const r = await rawRun(session, m.inputSize, b, 700);
          if (r.rowsPerSec > best.rowsPerSec) best = { batch: b, threads, rowsPerSec: r.rowsPerSec };
        }
        await session.release();
      }
      raw[name] = { batch1: batch1!, best };
      rows.push({ model: name, scenario: 'raw session.run b=1', concurrency: 1, rowsPerSec: batch1!.rowsPerSec, p50Ms: batch1!.p50, p99Ms: batch1!.p99, errors: 0 });
      rows.push({ model: name, scenario: `raw best b=${best.batch} t=${best.threads}`, concurrency: 1, rowsPerSec: best.rowsPerSec, p50Ms: NaN, p99Ms: NaN, errors: 0 });

      if (wanted(name, 'plain node http')) {
        const plain = await plainServer(paths[name]);
        try {
          for (const c of [1, 64]) rows.push(rowOf(name, 'plain node http', c, await measured({ mode: 'plain', port: plain.port, model: name, inputSize: m.inputSize, concurrency: c, durationMs: DURATION_MS })));
        } finally {
          await plain.close();
        }
      }
      for (const mode of ['rest-json', 'rest-binary', 'grpc'] as Mode[]) {
        for (const c of wanted(name, `capstan ${mode}`) ? [1, 64] : []) {
          const port = mode === 'grpc' ? server.grpcPort! : server.httpPort;
          rows.push(rowOf(name, `capstan ${mode}`, c, await measured({ mode, port, model: name, inputSize: m.inputSize, concurrency: c, durationMs: DURATION_MS })));
        }
      }
    }
  } finally {
    await server.close();
  }

  // Defaults against explicit configurations, REST binary c=64, back to back.
  for (const name of Object.keys(MODELS) as ModelName[]) {
    if (!wanted(name, 'config')) continue;
    const m = MODELS[name];
    // Defaults run first and last (the machine's load drifts): their mean is compared with the best explicit one.
    const runs = [{ label: 'defaults', opts: {} }, ...CONFIGS, { label: 'defaults', opts: {} }];
    const defaults: number[] = [];
    let best = { label: '', rowsPerSec: 0 };
    for (const cfg of runs) {
      const srv = await runModelServer({ models: [{ name, dir: join(dir, name) }], httpPort: 0, logger: quiet, ...cfg.opts });
      try {
        const row = rowOf(name, `config ${cfg.label}`, 64, await measured({ mode: 'rest-binary', port: srv.httpPort, model: name, inputSize: m.inputSize, concurrency: 64, durationMs: DURATION_MS }));
        rows.push(row);
        if (cfg.label === 'defaults') defaults.push(row.rowsPerSec);
        else if (row.rowsPerSec > best.rowsPerSec) best = { label: cfg.label, rowsPerSec: row.rowsPerSec };
      } finally {
        await srv.close();
      }
    }
    const def = (defaults[0] + defaults[1]) / 2;
    if (def > best.rowsPerSec) best = { label: 'defaults', rowsPerSec: def };
    gaps[name] = { defaultRowsPerSec: def, best: best.label, bestRowsPerSec: best.rowsPerSec, ratio: def / best.rowsPerSec };
  }

  // Overload: batching off, defaults (automatic queue budget), arrivals at 10x capacity.
  for (const name of ['heavy', 'mlp512'] as ModelName[]) {
    if (!wanted(name, 'overload')) continue;
    const m = MODELS[name];
    const model = `${name}_nb`;
    const srv = await runModelServer({ models: [{ name: model, dir: join(dir, model) }], httpPort: 0, logger: quiet });
    try {
      const job = { mode: 'rest-binary' as Mode, port: srv.httpPort, model, inputSize: m.inputSize, durationMs: DURATION_MS };
      const unloaded = await measured({ ...job, concurrency: 1 });
      rows.push(rowOf(model, 'unloaded', 1, unloaded));
      const capacity = await measured({ ...job, concurrency: 4 });
      const capacityRps = (capacity.requests - capacity.errors) / capacity.seconds;
      rows.push(rowOf(model, 'capacity (c=4)', 4, capacity));
      global.gc?.();
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 20);
      const offered = 10 * capacityRps;
      const over = await measured({ ...job, concurrency: 0, openRatePerSec: offered, maxConnections: 512 });
      clearInterval(sampler);
      const o = over.open!;
      rows.push({ model, scenario: 'overload 10x served', concurrency: 0, rowsPerSec: o.ok / over.seconds, p50Ms: o.okP50, p99Ms: o.okP99, errors: o.other, serverCpuUsPerReq: over.cpuUsPerReq, clientCpuUsPerReq: over.clientCpuUsPerReq });
      rows.push({ model, scenario: 'overload 10x 503s', concurrency: 0, rowsPerSec: o.shed / over.seconds, p50Ms: o.shedP50, p99Ms: o.shedP99, errors: 0 });
      overloads.push({
        model, unloadedP99: unloaded.p99, capacityRps, offeredRps: offered, ok: o.ok, shed: o.shed, notSent: o.notSent,
        servedP50: o.okP50, servedP99: o.okP99, shedP50: o.shedP50, shedP99: o.shedP99, rssBeforeMb: rssBefore / 2 ** 20, rssPeakMb: rssPeak / 2 ** 20,
      });
    } finally {
      await srv.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });

  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
  console.log(`${'model'.padEnd(10)} ${'scenario'.padEnd(26)} ${'c'.padStart(3)} ${'rows/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'err'.padStart(6)} ${'srv cpu us/req'.padStart(14)} ${'cli cpu us/req'.padStart(14)}`);
  for (const r of rows) {
    console.log(`${r.model.padEnd(10)} ${r.scenario.padEnd(26)} ${String(r.concurrency).padStart(3)} ${f(r.rowsPerSec).padStart(10)} ${f(r.p50Ms, 3).padStart(8)} ${f(r.p99Ms, 3).padStart(8)} ${String(r.errors).padStart(6)} ${f(r.serverCpuUsPerReq ?? NaN, 1).padStart(14)} ${f(r.clientCpuUsPerReq ?? NaN, 1).padStart(14)}`);
  }
  const find = (model: string, scenario: string, c: number): Row | undefined => rows.find((r) => r.model === model && r.scenario === scenario && r.concurrency === c);
  const ratio = (a: Row | undefined, b: Row | number | undefined): number => (a && b !== undefined ? a.rowsPerSec / (typeof b === 'number' ? b : b.rowsPerSec) : NaN);
  const aims: Record<string, number> = {};
  for (const name of Object.keys(MODELS)) {
    aims[`${name}DefaultsVsBestConfig`] = gaps[name]?.ratio ?? NaN;
    aims[`${name}C64BinaryVsRawBest`] = ratio(find(name, 'capstan rest-binary', 64), raw[name]?.best.rowsPerSec);
    aims[`${name}C64BinaryVsPlain`] = ratio(find(name, 'capstan rest-binary', 64), find(name, 'plain node http', 64));
    aims[`${name}C64GrpcVsRestBinary`] = ratio(find(name, 'capstan grpc', 64), find(name, 'capstan rest-binary', 64));
  }
  aims.smallC1BinaryAddedP50Ms = (find('small', 'capstan rest-binary', 1)?.p50Ms ?? NaN) - (raw.small?.batch1.p50 ?? NaN);
  for (const o of overloads) {
    aims[`${o.model}Overload503P99Ms`] = o.shedP99;
    aims[`${o.model}OverloadServedP99VsUnloadedP99`] = o.servedP99 / o.unloadedP99;
    aims[`${o.model}OverloadRssGrowthMb`] = o.rssPeakMb - o.rssBeforeMb;
  }
  console.log('');
  console.log(`threads and session thread chosen by default: ${JSON.stringify(chosenThreads)} (cores ${CORES})`);
  for (const [name, g] of Object.entries(gaps)) console.log(`defaults / best config (${name}): ${g.ratio.toFixed(2)} (best: ${g.best}; aim >= 0.90)`);
  for (const o of overloads) {
    console.log(`overload ${o.model}: offered ${f(o.offeredRps)} req/s (10x ${f(o.capacityRps)}), served ${o.ok}, 503 ${o.shed}, not sent ${o.notSent}; 503 p99 ${f(o.shedP99, 2)} ms (aim < 5); served p99 ${f(o.servedP99, 2)} ms = ${f(o.servedP99 / o.unloadedP99, 2)}x unloaded p99 ${f(o.unloadedP99, 2)} ms (aim < 2); RSS ${f(o.rssBeforeMb)} -> peak ${f(o.rssPeakMb)} MB`);
  }
  console.log(`aims: heavy c=64 binary / raw best = ${f(aims.heavyC64BinaryVsRawBest, 2)} (>= 0.70); gRPC / REST binary c=64: small ${f(aims.smallC64GrpcVsRestBinary, 2)}, heavy ${f(aims.heavyC64GrpcVsRestBinary, 2)}, mlp512 ${f(aims.mlp512C64GrpcVsRestBinary, 2)} (>= 1); small c=64 binary / plain = ${f(aims.smallC64BinaryVsPlain, 2)}; small c=1 added p50 = ${f(aims.smallC1BinaryAddedP50Ms, 3)} ms`);
  console.log(JSON.stringify({ bench: 'serving', cores: CORES, chosenThreads, durationMs: DURATION_MS, raw, gaps, overloads, rows, aims }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
