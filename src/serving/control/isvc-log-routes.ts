/**
 * `GET …/inferenceservices/{name}/log?replica=N&revision=R&follow=true&tail=L`: a replica's log file, streamed
 * while it is followed. The revision defaults to the stable one (else the latest).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../../api/errors.js';
import { InferenceServiceKind, type InferenceServiceStatus } from '../../api/kinds/inference-service.js';
import type { LocalClient } from '../../client/local-client.js';
import { tailLines } from '../../runtime/local/index.js';
import type { ServiceState } from './service-state.js';

/** What the log route reads. */
export interface IsvcLogRouteDeps {
  client: LocalClient;
  services: Map<string, ServiceState>;
  subjectOf(req: unknown): unknown;
  /** Where replica logs live (same layout as RevisionReplicas.logFile). */
  logFile(namespace: string, service: string, revision: string, replica: number): string;
  followPollMs?: number;
}

const BASE = `/apis/${InferenceServiceKind.group}/${InferenceServiceKind.version}/namespaces/:namespace/${InferenceServiceKind.plural}/:name`;

async function* stream(file: string, start: number, follow: boolean, closed: () => boolean, pollMs: number): AsyncGenerator<Buffer> {
  let offset = start;
  for (;;) {
    if (closed()) return;
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size < offset) offset = 0;
    if (size > offset) {
      for await (const chunk of createReadStream(file, { start: offset, end: size - 1 })) yield chunk as Buffer;
      offset = size;
      continue;
    }
    if (!follow) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Registers the log route of InferenceServices. */
export function registerIsvcLogRoutes(app: FastifyInstance, deps: IsvcLogRouteDeps): void {
  app.get(`${BASE}/log`, async (req, reply) => {
    if (!deps.subjectOf(req)) throw new ApiError('Unauthorized', 'a bearer token is required');
    const { namespace, name } = req.params as { namespace: string; name: string };
    const obj = await deps.client.get(InferenceServiceKind, namespace, name);
    const status = (obj.status ?? {}) as InferenceServiceStatus;
    const q = req.query as Record<string, string | undefined>;
    const revisions = (status.revisions ?? []).map((r) => r.name);
    const revision = q.revision || status.stableRevision || status.latestRevision;
    if (!revision) throw new ApiError('NotFound', `inference service "${name}" has no revision yet`);
    if (q.revision && !revisions.includes(q.revision)) throw badRequest(`revision "${q.revision.slice(0, 80)}" is not one of ${revisions.join(', ') || '(none)'}`, 'revision');
    const replica = q.replica === undefined || q.replica === '' ? 0 : Number(q.replica);
    if (!Number.isInteger(replica) || replica < 0 || replica > 1000) throw badRequest('replica must be an integer >= 0', 'replica');
    const file = deps.logFile(namespace, name, revision, replica);
    if (!existsSync(file)) throw new ApiError('NotFound', `no log for replica ${replica} of revision ${revision}`);
    let start = 0;
    if (q.tail !== undefined) {
      const n = Number(q.tail);
      if (!Number.isInteger(n) || n < 0) throw badRequest('tail must be a non-negative integer (lines)', 'tail');
      const lines = await tailLines(file, n);
      const bytes = Buffer.byteLength(lines.join('\n')) + (lines.length > 0 ? 1 : 0);
      start = Math.max(0, statSync(file).size - bytes);
    }
    const follow = q.follow === 'true' || q.follow === '1';
    let closed = false;
    req.raw.on('close', () => (closed = true));
    reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-cache');
    return reply.send(Readable.from(stream(file, start, follow, () => closed || !deps.services.has(`${namespace}/${name}`), deps.followPollMs ?? 250)));
  });
}
