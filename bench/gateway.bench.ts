/**
 * Gateway hop cost: p50/p99 latency and throughput of /v2/models/{svc}/infer through the gateway versus calling
 * the replica directly, in the same run, at concurrency 1 and 32. The replica and the gateway each run in a child
 * process (as in production), the load generator in this one.
 * Run: npx tsc -p . && node dist/bench/gateway.bench.js   (prints a table, then one JSON line)
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Gateway } from '../src/serving/gateway/index.js';
import { runFixedReplica } from './fixed-replica.js';

const BODY = JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] });
const ANSWER = JSON.stringify({ model_name: 'mnist', model_version: '1', outputs: [{ name: 'out', shape: [1, 1], datatype: 'FP32', data: [0.5] }] });

/** Child role: a gateway routing service "digits" (model "mnist", so the rewrite runs) to the replica. */
async function runGateway(replicaUrl: string): Promise<void> {
  const gw = new Gateway({ logger: pino({ level: 'warn' }), registry: new Registry() });
  gw.setRoute('digits', { modelName: 'mnist', revisions: [{ name: 'r1', percent: 100, endpoints: [{ id: 'r0', url: replicaUrl }] }] });
  process.send?.({ port: await gw.listen(0, '127.0.0.1') });
}

function startChild(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve({ child, port: (m as { port: number }).port }));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`child ${args.join(' ')} exited with ${code}`)));
  });
}

function post(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

interface Result {
  target: string;
  concurrency: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  rps: number;
  errors: number;
}

async function measure(target: string, port: number, path: string, concurrency: number, total: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  for (let i = 0; i < 300; i++) await post(agent, port, path); // warm-up: connections, JIT
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) {
        issued++;
        const s = performance.now();
        const status = await post(agent, port, path);
        latencies.push(performance.now() - s);
        if (status !== 200) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 1000) / 1000;
  return { target, concurrency, requests: latencies.length, p50Ms: q(0.5), p99Ms: q(0.99), rps: Math.round(latencies.length / elapsed), errors };
}

async function main(): Promise<void> {
  const role = process.argv[2];
  if (role === '--replica') return runFixedReplica(ANSWER);
  if (role === '--gateway') return runGateway(process.argv[3]);
  const replica = await startChild(['--replica']);
  const gateway = await startChild(['--gateway', `http://127.0.0.1:${replica.port}`]);
  const results: Result[] = [];
  try {
    for (const [c, n] of [[1, 4000], [32, 20000]] as const) {
      // Interleave direct and gateway runs so drift (thermal, GC) hits both alike.
      results.push(await measure('direct', replica.port, '/v2/models/mnist/infer', c, n));
      results.push(await measure('gateway', gateway.port, '/v2/models/digits/infer', c, n));
    }
  } finally {
    gateway.child.kill();
    replica.child.kill();
  }
  console.log('target   conc  requests   p50 ms   p99 ms     req/s  errors');
  for (const r of results) {
    console.log(`${r.target.padEnd(8)} ${String(r.concurrency).padStart(4)} ${String(r.requests).padStart(9)} ${r.p50Ms.toFixed(3).padStart(8)} ${r.p99Ms.toFixed(3).padStart(8)} ${String(r.rps).padStart(9)} ${String(r.errors).padStart(7)}`);
  }
  const hop: Record<string, { p50AddedMs: number; p99AddedMs: number; throughputRatio: number }> = {};
  for (const c of [1, 32]) {
    const d = results.find((r) => r.target === 'direct' && r.concurrency === c)!;
    const g = results.find((r) => r.target === 'gateway' && r.concurrency === c)!;
    hop[`c${c}`] = { p50AddedMs: Math.round((g.p50Ms - d.p50Ms) * 1000) / 1000, p99AddedMs: Math.round((g.p99Ms - d.p99Ms) * 1000) / 1000, throughputRatio: Math.round((g.rps / d.rps) * 100) / 100 };
  }
  console.log(`gateway hop: c=1 +${hop.c1.p50AddedMs} ms p50, +${hop.c1.p99AddedMs} ms p99; c=32 +${hop.c32.p50AddedMs} ms p50, throughput ×${hop.c32.throughputRatio} of direct`);
  console.log(JSON.stringify({ bench: 'gateway', cpus: 2, results, hop }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
