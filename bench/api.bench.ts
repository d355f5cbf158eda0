/**
 * `npm run bench:api`: durable creates/s, gets/s, a list of 10k objects and watch delivery
 * latency (write acknowledged → event received), over HTTP against a real server, for SQLite
 * and (when a PostgreSQL server can be started here) PostgreSQL. The baseline measured in the
 * same run is the disk itself: fsyncs/s of a small file.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { EventKind } from '../src/api/kinds/event.js';
import { HttpClient } from '../src/client/http-client.js';
import type { WatchEvent } from '../src/client/resource-client.js';
import { startServerProcess } from '../test/support/spawn-capstan.js';

/** A keep-alive HTTP client with little overhead, so the load generator measures the server, not itself. */
function rawClient(url: string, token: string) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return (method: string, path: string, body?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ host: u.hostname, port: u.port, path, method, agent, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve(res.statusCode) : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
}


function fsyncsPerSecond(ms = 1000): number {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-fsync-'));
  const fd = openSync(join(dir, 'f'), 'w');
  let n = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    writeSync(fd, 'x');
    fsyncSync(fd);
    n++;
  }
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return n / (ms / 1000);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function runConcurrent(total: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) await fn(next++);
  }));
  return total / ((performance.now() - t0) / 1000);
}

const ev = (name: string) => ({ apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name, namespace: 'default', labels: { bench: 'x' } }, involvedObject: { kind: 'Project', name: 'default' }, reason: 'Bench', message: name });

async function benchBackend(label: string, databaseUrl?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-bench-'));
  // The server runs in its own process, as users run it; the load comes from this one.
  const server = await startServerProcess(dataDir, databaseUrl ? { CAPSTAN_DATABASE_URL: databaseUrl } : {});
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const client = new HttpClient({ server: server.url, token });
  const raw = rawClient(server.url, token);
  const evPath = '/apis/capstan.dev/v1alpha1/namespaces/default/events';
  try {
    await runConcurrent(500, 32, (i) => raw('POST', evPath, JSON.stringify(ev(`warm-${i}`))));
    const creates = await runConcurrent(10_000, 64, (i) => raw('POST', evPath, JSON.stringify(ev(`e-${i}`))));
    const gets = await runConcurrent(10_000, 64, (i) => raw('GET', `${evPath}/e-${i % 10_000}`));
    const lt0 = performance.now();
    const list = await client.list(EventKind, { namespace: 'default' });
    const listMs = performance.now() - lt0;
    // Watch latency: one writer, sequential, each write timed from its acknowledgement to its event.
    const acked = new Map<string, number>();
    const sent = new Map<string, number>();
    const lat: number[] = [];
    const fromSend: number[] = [];
    const stop = await client.watch(EventKind, { namespace: 'default', resourceVersion: list.resourceVersion }, (w: WatchEvent) => {
      const s0 = sent.get(w.object.metadata.name);
      if (s0 !== undefined) fromSend.push(performance.now() - s0);
      const t = acked.get(w.object.metadata.name);
      if (t !== undefined) lat.push(performance.now() - t);
      else acked.set(w.object.metadata.name, -performance.now());
    }, () => {});
    for (let i = 0; i < 1000; i++) {
      const name = `w-${i}`;
      sent.set(name, performance.now());
      await client.create(EventKind, ev(name));
      const now = performance.now();
      const early = acked.get(name);
      // The event can arrive before the HTTP answer; then the latency is ~0 (counted as 0).
      if (early !== undefined && early < 0) lat.push(0);
      else acked.set(name, now);
    }
    for (let i = 0; i < 200 && lat.length < 1000; i++) await new Promise((r) => setTimeout(r, 10));
    stop();
    return { backend: label, createsPerSec: Math.round(creates), getsPerSec: Math.round(gets), list10kMs: Math.round(listMs), listed: list.items.length, watchP50Ms: +pct(lat, 50).toFixed(2), watchP99Ms: +pct(lat, 99).toFixed(2), watchSamples: lat.length, writeToEventP50Ms: +pct(fromSend, 50).toFixed(2), writeToEventP99Ms: +pct(fromSend, 99).toFixed(2) };
  } finally {
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main() {
  const fsyncs = Math.round(fsyncsPerSecond());
  const rows = [await benchBackend('sqlite')];
  let pgNote = 'skipped: no PostgreSQL server binaries found';
  try {
    const { startPostgres } = (await import('../test/support/postgres-server.js')) as { startPostgres: () => Promise<{ connectionString: string; stop: () => Promise<void> } | undefined> };
    const pg = await startPostgres();
    if (pg) {
      try {
        rows.push(await benchBackend('postgres', pg.connectionString));
        pgNote = 'ok';
      } finally {
        await pg.stop();
      }
    }
  } catch (err) {
    pgNote = `skipped: ${(err as Error).message}`;
  }
  console.log(`disk baseline: ${fsyncs} fsyncs/s (one writer, 1-byte writes)`);
  console.log('backend    creates/s   gets/s   list 10k (ms)   ack→event p50/p99 (ms)   send→event p50/p99 (ms)');
  for (const r of rows) console.log(`${r.backend.padEnd(10)} ${String(r.createsPerSec).padStart(9)}  ${String(r.getsPerSec).padStart(7)}  ${String(r.list10kMs).padStart(14)}  ${`${r.watchP50Ms} / ${r.watchP99Ms}`.padStart(23)}  ${`${r.writeToEventP50Ms} / ${r.writeToEventP99Ms}`.padStart(24)}`);
  console.log('(ack→event is 0 when the watcher gets the event before the writer gets its answer)');
  if (pgNote !== 'ok') console.log(`postgres: ${pgNote}`);
  console.log(JSON.stringify({ bench: 'api', fsyncsPerSec: fsyncs, results: rows, postgres: pgNote }));
}

void main();
