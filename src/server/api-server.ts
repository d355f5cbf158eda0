/**
 * The HTTP API server: authentication, the resource routes, discovery, OpenAPI, health and
 * metrics, with every error rendered as a Kubernetes Status.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import { ApiError, badRequest } from '../api/errors.js';
import type { KindRegistry } from '../api/kind-registry.js';
import { buildOpenApi } from '../api/openapi.js';
import type { LocalClient } from '../client/local-client.js';
import { ApiMetrics } from './api-metrics.js';
import type { Authorizer, Subject, TokenAuthenticator } from './auth.js';
import { sendError } from './http-errors.js';
import { actionForRequest } from './path-authorization.js';
import { registerResourceRoutes } from './resource-routes.js';

/** What the API server is built from. */
export interface ApiServerDeps {
  client: LocalClient;
  kinds: KindRegistry;
  authenticator: TokenAuthenticator;
  authorizer: Authorizer;
  log: Logger;
  metrics?: ApiMetrics;
  maxBodyBytes: number;
  version: string;
  /** Extra routes (the dashboard, registry uploads...) registered by later layers. */
  plugins?: Array<(app: FastifyInstance) => void | Promise<void>>;
  /** Readiness beyond "listening" (e.g. controllers synced). */
  isReady?: () => boolean;
}

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version', '/metrics', '/openapi/v3']);

/** Builds (but does not start) the fastify app. */
export async function buildApiServer(deps: ApiServerDeps): Promise<FastifyInstance> {
  const metrics = deps.metrics ?? new ApiMetrics();
  const app = Fastify({
    bodyLimit: deps.maxBodyBytes,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    // Errors fastify raises before routing (a URL that is not valid percent-encoding, ...)
    // are answered as Status like everything else.
    frameworkErrors: (err, req, reply) => sendError(err, req, reply, deps.log),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
  });

  // Our own JSON parser: an empty body is "no body" (DELETE with a Content-Type is common), and
  // "__proto__" keys are dropped rather than trusted.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', 'application/merge-patch+json', 'application/apply-patch+json'], { parseAs: 'string' }, (_req, body, done) => {
    parseJson(String(body), done);
  });
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'application/apply-patch+yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      const docs = parseAllDocuments(String(body));
      if (Array.isArray(docs) && docs.length !== 1) return done(badRequest('exactly one YAML document is expected per request', 'body'), undefined);
      const doc = Array.isArray(docs) ? docs[0] : docs;
      if (doc.errors.length) return done(badRequest(`invalid YAML: ${doc.errors[0].message}`, 'body'), undefined);
      done(null, doc.toJS({ maxAliasCount: 50 }));
    } catch (err) {
      done(badRequest(`invalid YAML: ${(err as Error).message}`, 'body'), undefined);
    }
  });

  app.addHook('onRequest', async (req) => {
    (req as FastifyRequest & { startedAt: bigint }).startedAt = process.hrtime.bigint();
    const path = req.url.split('?')[0];
    if (PUBLIC_PATHS.has(path) || path === '/' || path.startsWith('/ui') || path.startsWith('/assets/')) return;
    const subject = await deps.authenticator.authenticate(req.headers.authorization);
    if (!subject) throw new ApiError('Unauthorized', req.headers.authorization ? 'the bearer token is not valid' : 'a bearer token is required (Authorization: Bearer <token>)');
    (req as FastifyRequest & { subject: Subject }).subject = subject;
    const q = req.query as Record<string, string | undefined> | undefined;
    const action = actionForRequest(req.method, path, q?.watch === 'true' || q?.watch === '1');
    // A scoped token names resources: routes outside the resource tree are not among them.
    if (!action && subject.scope) throw new ApiError('Forbidden', `${req.method} ${path.slice(0, 200)} is forbidden: a scoped token may use only the resources it names`);
    if (action) {
      const d = await deps.authorizer.authorize(subject, action);
      if (!d.allowed) throw new ApiError('Forbidden', `${action.verb} ${action.resource}${action.subresource ? `/${action.subresource}` : ''} is forbidden: ${d.reason ?? 'not allowed'}`);
    }
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const started = (req as FastifyRequest & { startedAt?: bigint }).startedAt;
    metrics.requests.inc({ route, verb: req.method, code: String(reply.statusCode) });
    if (started) metrics.duration.observe({ route, verb: req.method }, Number(process.hrtime.bigint() - started) / 1e9);
  });
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply, deps.log));
  app.setNotFoundHandler((req, reply) => {
    sendError(new ApiError('NotFound', `the server could not find the requested resource: ${req.method} ${req.url.split('?')[0].slice(0, 200)}`), req, reply, deps.log);
  });

  app.get('/healthz', async () => 'ok');
  app.get('/livez', async () => 'ok');
  app.get('/readyz', async (_req, reply) => {
    if (deps.isReady && !deps.isReady()) return reply.code(503).send('not ready');
    return 'ok';
  });
  app.get('/version', async () => ({ version: deps.version, node: process.version }));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const openapi = buildOpenApi(deps.kinds.all(), deps.version);
  app.get('/openapi/v3', async () => openapi);
  app.get('/apis', async () => {
    const groups = new Map<string, Set<string>>();
    for (const k of deps.kinds.all()) groups.set(k.group, (groups.get(k.group) ?? new Set()).add(k.version));
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, versions]) => ({
        name,
        versions: [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${[...versions][0]}`, version: [...versions][0] },
      })),
    };
  });
  app.get('/apis/:group/:version', async (req) => {
    const { group, version } = req.params as { group: string; version: string };
    const resources = deps.kinds.all().filter((k) => k.group === group && k.version === version);
    if (!resources.length) throw new ApiError('NotFound', `no API group version ${group}/${version}`);
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${group}/${version}`,
      resources: resources.flatMap((k) => [
        { name: k.plural, singularName: k.singular, namespaced: k.namespaced, kind: k.kind, shortNames: k.shortNames ?? [], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
        ...(k.status ? [{ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] }] : []),
      ]),
    };
  });
  registerResourceRoutes(app, { client: deps.client, kinds: deps.kinds, authorizer: deps.authorizer, log: deps.log });
  for (const plugin of deps.plugins ?? []) await plugin(app);
  return app;
}

function parseJson(text: string, done: (err: Error | null, body?: unknown) => void): void {
  if (text.trim() === '') return done(null, undefined);
  try {
    const v = JSON.parse(text, (k, val) => (k === '__proto__' ? undefined : val));
    done(null, v);
  } catch (err) {
    done(badRequest(`invalid JSON: ${(err as Error).message}`, 'body'));
  }
}
