/**
 * Routes under a TrainingJob's URL: `…/trainingjobs/{name}/log` streams one replica's log
 * (`role`, `index`, `follow`, `tailBytes`), `…/trainingjobs/{name}/metrics` serves the job's metric
 * series for charts. Both read the files the local runtime writes under the data dir.
 */
import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../api/errors.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import type { TrainingJobSpec, TrainingJobStatus } from '../api/kinds/training-job-schema.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import { jobFiles } from './job-files.js';
import { isTerminal } from './job-status.js';
import type { MetricPoint } from './metric-lines.js';

/** What the routes read. */
export interface TrainingRouteDeps {
  client: LocalClient;
  dataDir: string;
  subjectOf(req: unknown): unknown;
  /** True while the replica's process may still write to its log. */
  replicaLive(key: string, uid: string, role: string, index: number): boolean;
  followPollMs?: number;
}

const BASE = `/apis/${TrainingJobKind.group}/${TrainingJobKind.version}/namespaces/:namespace/${TrainingJobKind.plural}/:name`;

async function loadJob(req: FastifyRequest, deps: TrainingRouteDeps): Promise<KubeObject> {
  if (!deps.subjectOf(req)) throw new ApiError('Unauthorized', 'a bearer token is required');
  const { namespace, name } = req.params as { namespace: string; name: string };
  return deps.client.get(TrainingJobKind, namespace, name);
}

/** Resolves `role` (case-insensitive, default the first role) and `index` (default 0) against the job. */
export function pickReplica(spec: TrainingJobSpec, roleArg: string | undefined, indexArg: string | undefined): { role: string; index: number } {
  const roles = Object.keys(spec.replicaSpecs);
  const role = roleArg === undefined || roleArg === '' ? roles[0]! : roles.find((r) => r.toLowerCase() === roleArg.toLowerCase());
  if (!role) throw badRequest(`role "${String(roleArg).slice(0, 40)}" is not in this job: use one of ${roles.join(', ')}`, 'role');
  const index = indexArg === undefined || indexArg === '' ? 0 : Number(indexArg);
  const replicas = spec.replicaSpecs[role]!.replicas;
  if (!Number.isInteger(index) || index < 0 || index >= replicas) throw badRequest(`index must be an integer from 0 to ${replicas - 1} for role ${role}`, 'index');
  return { role, index };
}

async function* follow(file: string, start: number, live: () => Promise<boolean>, closed: () => boolean, pollMs: number): AsyncGenerator<Buffer> {
  let offset = start;
  for (;;) {
    if (closed()) return;
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size > offset) {
      for await (const chunk of createReadStream(file, { start: offset, end: size - 1 })) yield chunk as Buffer;
      offset = size;
      continue;
    }
    if (!(await live())) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The offset where the last `lines` lines of the file begin (looking back at most 4 MiB). */
export function tailStart(file: string, size: number, lines: number): number {
  if (size === 0) return 0;
  if (lines === 0) return size;
  const from = Math.max(0, size - 4 * 1024 * 1024);
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    // A final newline ends the last line; it does not start another.
    let end = buf.length - (buf[buf.length - 1] === 0x0a ? 1 : 0);
    for (let seen = 0; end > 0; end--) {
      if (buf[end - 1] === 0x0a && ++seen === lines) return from + end;
    }
    return from;
  } finally {
    closeSync(fd);
  }
}

/** Reads a job's metric series file. */
export function readSeries(file: string): MetricPoint[] {
  if (!existsSync(file)) return [];
  const out: MetricPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as MetricPoint);
    } catch {
      // A line cut by a crash is skipped; the rest of the series stands.
    }
  }
  return out;
}

/** Registers the log and metrics routes. */
export function registerTrainingRoutes(app: FastifyInstance, deps: TrainingRouteDeps): void {
  app.get(`${BASE}/log`, async (req, reply) => {
    const job = await loadJob(req, deps);
    const q = req.query as Record<string, string | undefined>;
    const spec = job.spec as TrainingJobSpec;
    const { role, index } = pickReplica(spec, q.role ?? q.replica, q.index);
    const files = jobFiles(deps.dataDir, job.metadata.namespace!, job.metadata.name, job.metadata.uid);
    const file = files.logFile({ role, index });
    const size = existsSync(file) ? statSync(file).size : 0;
    let start = 0;
    if (q.tail !== undefined) {
      const n = Number(q.tail);
      if (!Number.isInteger(n) || n < 0) throw badRequest('tail must be a non-negative integer (lines)', 'tail');
      start = tailStart(file, size, n);
    } else if (q.tailBytes !== undefined) {
      const n = Number(q.tailBytes);
      if (!Number.isInteger(n) || n < 0) throw badRequest('tailBytes must be a non-negative integer', 'tailBytes');
      start = Math.max(0, size - n);
    }
    const wantFollow = q.follow === 'true' || q.follow === '1';
    const key = `${job.metadata.namespace}/${job.metadata.name}`;
    let closed = false;
    req.raw.on('close', () => (closed = true));
    const live = async () => {
      if (!wantFollow) return false;
      if (deps.replicaLive(key, job.metadata.uid, role, index)) return true;
      // Not running here: keep following only while the job may still start (queued, suspended).
      const cur = await deps.client.tryGet(TrainingJobKind, job.metadata.namespace, job.metadata.name);
      if (!cur || cur.metadata.uid !== job.metadata.uid) return false;
      return !isTerminal((cur.status as TrainingJobStatus | undefined)?.phase);
    };
    reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-cache');
    return reply.send(Readable.from(follow(file, start, live, () => closed, deps.followPollMs ?? 250)));
  });

  app.get(`${BASE}/metrics`, async (req) => {
    const job = await loadJob(req, deps);
    const q = req.query as Record<string, string | undefined>;
    const files = jobFiles(deps.dataDir, job.metadata.namespace!, job.metadata.name, job.metadata.uid);
    let series = readSeries(files.seriesFile);
    if (q.name) series = series.filter((p) => q.name! in p.values);
    return {
      job: job.metadata.name,
      latest: (job.status as TrainingJobStatus | undefined)?.metrics ?? {},
      points: series,
    };
  });
}
