/**
 * `POST|GET …/inferenceservices/{name}/proxy/{path}`: an authenticated, same-origin way for the dashboard (or any
 * API client) to call a service through the gateway, which listens on another port without CORS. Only paths of
 * this service's own model (`v2/models/{routeName}…`, `v1/models/{routeName}…`) are forwarded, so a project's
 * token cannot reach another project's service through it. Bodies and answers are bounded; failures are Status.
 */
import http from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../../api/errors.js';
import { InferenceServiceKind, type InferenceServiceStatus } from '../../api/kinds/inference-service.js';
import type { LocalClient } from '../../client/local-client.js';
import { routeNameOf } from './service-state.js';

/** What the proxy route needs. */
export interface IsvcProxyRouteDeps {
  client: LocalClient;
  subjectOf(req: unknown): unknown;
  /** The caller's own credential (bearer token or session), forwarded so the gateway applies the same infer rule. */
  credentialOf?(req: unknown): string | undefined;
  /** Largest request body forwarded (default 4 MiB); larger is 413. */
  maxBodyBytes?: number;
  /** Largest answer relayed (default 16 MiB); larger is 502. */
  maxResponseBytes?: number;
  /** Deadline for the gateway's answer (default 30 s); then 504. */
  timeoutMs?: number;
}

const BASE = `/apis/${InferenceServiceKind.group}/${InferenceServiceKind.version}/namespaces/:namespace/${InferenceServiceKind.plural}/:name/proxy/*`;

/** True when `rest` (the path after /proxy/) addresses the service's own model (pure). */
export function proxyPathAllowed(rest: string, routeName: string): boolean {
  if (rest.includes('..') || rest.includes('\\') || rest.includes('//')) return false;
  for (const prefix of ['v2/models/', 'v1/models/']) {
    if (!rest.startsWith(prefix)) continue;
    const after = rest.slice(prefix.length);
    if (after === routeName) return true;
    const next = after.charAt(routeName.length);
    return after.startsWith(routeName) && (next === '/' || next === ':');
  }
  return false;
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new ApiError('RequestEntityTooLarge', `the request body is larger than ${limit} bytes, the proxy's limit: call the gateway directly for large requests`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function forward(target: URL, method: string, headers: http.OutgoingHttpHeaders, body: Buffer | undefined, timeoutMs: number, maxBytes: number): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          req.destroy();
          reject(new ApiError('ServiceUnavailable', `the service's answer is larger than ${maxBytes} bytes, the proxy's limit`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (err) => reject(new ApiError('ServiceUnavailable', `the gateway's answer broke off: ${err.message}`)));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      reject(new ApiError('Timeout', `the service did not answer within ${Math.round(timeoutMs / 1000)} s`));
    });
    req.on('error', (err) => reject(new ApiError('ServiceUnavailable', `the gateway at ${target.origin} cannot be reached: ${err.message}`)));
    req.end(body);
  });
}

async function handle(req: FastifyRequest, reply: FastifyReply, deps: IsvcProxyRouteDeps): Promise<unknown> {
  if (!deps.subjectOf(req)) throw new ApiError('Unauthorized', 'a bearer token is required');
  const { namespace, name } = req.params as { namespace: string; name: string };
  const rest = (req.params as Record<string, string>)['*'] ?? '';
  const obj = await deps.client.get(InferenceServiceKind, namespace, name);
  const status = (obj.status ?? {}) as InferenceServiceStatus;
  const route = status.routeName ?? routeNameOf(namespace, name);
  if (!proxyPathAllowed(rest, route)) {
    throw badRequest(`the proxy forwards only this service's model paths: v2/models/${route}[/...] or v1/models/${route}[:predict]; got "${rest.slice(0, 120)}"`, 'path');
  }
  if (!status.url) throw new ApiError('ServiceUnavailable', `inference service "${name}" has no URL yet: the controller has not routed it`);
  const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
  const target = new URL(`${status.url.replace(/\/$/, '')}/${rest}${query}`);
  const body = req.method === 'GET' ? undefined : await readBody(req.raw, deps.maxBodyBytes ?? 4 * 1024 * 1024);
  const credential = deps.credentialOf?.(req);
  const headers: http.OutgoingHttpHeaders = { accept: req.headers.accept ?? 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) };
  if (body) {
    headers['content-type'] = req.headers['content-type'] ?? 'application/json';
    headers['content-length'] = body.length;
  }
  const up = await forward(target, req.method, headers, body, deps.timeoutMs ?? 30_000, deps.maxResponseBytes ?? 16 * 1024 * 1024);
  reply.code(up.status).header('content-type', up.headers['content-type'] ?? 'application/octet-stream').header('cache-control', 'no-store');
  const revision = up.headers['x-capstan-revision'];
  if (typeof revision === 'string') reply.header('x-capstan-revision', revision);
  return reply.send(up.body);
}

/** Registers the proxy route in its own context, where bodies are not parsed (they are forwarded as they are). */
export function registerIsvcProxyRoutes(app: FastifyInstance, deps: IsvcProxyRouteDeps): void {
  void app.register(async (child) => {
    child.removeAllContentTypeParsers();
    child.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    child.post(BASE, (req, reply) => handle(req, reply, deps));
    child.get(BASE, (req, reply) => handle(req, reply, deps));
  });
}
