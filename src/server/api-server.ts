/**
 * The HTTP API server: authentication, the resource routes, discovery, OpenAPI, health and
 * metrics, with every error rendered as a Kubernetes Status.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { parseAllDocuments } from 'yaml';
import { ApiError, badRequest } from '../api/errors.js';
import type { KindRegistry } from '../api/kind-registry.js';
import { buildOpenApi } from '../api/openapi.js';
import type { LocalClient } from '../client/local-client.js';
import { ApiMetrics } from './api-metrics.js';
import type { AuditLog, AuditRecord } from './audit-log.js';
import { CSRF_COOKIE, CSRF_HEADER, parseCookies, registerAuthRoutes, SESSION_COOKIE, type AuthRouteDeps } from './auth-routes.js';
import { TokenAuthenticator, type Authorizer, type Subject } from './auth.js';
import { clientErrorHandler, sendError } from './http-errors.js';
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
  /** Serve /metrics without a token. */
  metricsPublic?: boolean;
  /** Users, sessions, tokens and the audit log (the /auth routes); without it only tokens authenticate and nothing is audited. */
  tenancy?: Omit<AuthRouteDeps, 'client' | 'kinds' | 'subjectOf' | 'auditBase'>;
}

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version', '/openapi/v3', '/auth/login']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CORRELATION_HEADER = 'x-capstan-correlation-id';

/** What the server keeps on a request. */
interface RequestState {
  startedAt: bigint;
  subject?: Subject;
  /** The token the subject was authenticated with (bearer or session cookie): proxies forward it. */
  credential?: string;
  correlationId: string;
  /** Details a handler adds to the request's audit record (kind, uid, spec diff). */
  audit?: Partial<AuditRecord>;
}

/** The per-request state (subject, correlation id, audit details). */
export function requestState(req: FastifyRequest): RequestState {
  return req as unknown as RequestState;
}

/** Whether a path is served without credentials. */
export function isPublicPath(path: string, metricsPublic: boolean): boolean {
  return PUBLIC_PATHS.has(path) || path === '/' || path === '/ui' || path.startsWith('/ui/') || path.startsWith('/assets/') || (metricsPublic && path === '/metrics');
}

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
    // ...and so are requests node's parser refuses (bad Content-Length, chunking, a cut body).
    clientErrorHandler: clientErrorHandler(deps.log),
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

  const audit: AuditLog | undefined = deps.tenancy?.audit;
  app.addHook('onRequest', async (req, reply) => {
    const st = requestState(req);
    st.startedAt = process.hrtime.bigint();
    const given = req.headers[CORRELATION_HEADER];
    st.correlationId = typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
    reply.header(CORRELATION_HEADER, st.correlationId);
    const path = req.url.split('?')[0];
    if (isPublicPath(path, deps.metricsPublic ?? false)) return;
    const { subject, token } = await authenticateRequest(req, deps.authenticator);
    st.subject = subject;
    st.credential = token;
    const q = req.query as Record<string, string | undefined> | undefined;
    const action = actionForRequest(req.method, path, q?.watch === 'true' || q?.watch === '1');
    // A scoped token names resources: routes outside the resource tree are not among them.
    if (!action && subject.scope) throw new ApiError('Forbidden', `${req.method} ${path.slice(0, 200)} is forbidden: a scoped token may use only the resources it names`);
    if (action) {
      const d = await deps.authorizer.authorize(subject, action);
      if (!d.allowed) throw new ApiError('Forbidden', `${action.verb} ${action.resource}${action.subresource ? `/${action.subresource}` : ''} is forbidden: ${d.reason ?? 'not allowed'}`);
    }
  });
  app.addHook('onError', async (req, _reply, err) => {
    const st = requestState(req);
    st.audit = { ...st.audit, message: err.message.slice(0, 500) };
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const st = requestState(req);
    metrics.requests.inc({ route, verb: req.method, code: String(reply.statusCode) });
    if (st.startedAt) metrics.duration.observe({ route, verb: req.method }, Number(process.hrtime.bigint() - st.startedAt) / 1e9);
    if (audit && !SAFE_METHODS.has(req.method) && req.url.startsWith('/apis/')) audit.record(auditRecordOf(req, reply.statusCode));
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
  app.get('/metrics', async (req, reply) => {
    const s = requestState(req).subject;
    if (s && !deps.metricsPublic && !(await deps.authorizer.authorize(s, { verb: 'get', resource: 'capstan.dev/nodes' })).allowed) {
      throw new ApiError('Forbidden', 'metrics are for cluster viewers and admins (or start the server with --metrics-public)');
    }
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
  if (deps.tenancy) {
    registerAuthRoutes(app, {
      ...deps.tenancy,
      client: deps.client,
      kinds: deps.kinds,
      subjectOf: (req) => requestState(req).subject,
      auditBase: (req) => ({ time: new Date().toISOString(), source: sourceOf(req), correlationId: requestState(req).correlationId }),
    });
  }
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

/**
 * The subject of a request: a bearer token, else the session cookie (whose writes must carry the
 * CSRF header matching the CSRF cookie). Throws 401 with WWW-Authenticate (via the Status
 * mapping) naming why, never quoting the credential.
 */
async function authenticateRequest(req: FastifyRequest, authenticator: TokenAuthenticator): Promise<{ subject: Subject; token: string }> {
  let token = TokenAuthenticator.bearer(req.headers.authorization);
  if (req.headers.authorization && token === undefined) throw new ApiError('Unauthorized', 'the Authorization header must be "Bearer <token>"');
  if (token === undefined) {
    const cookies = parseCookies(req.headers.cookie);
    token = cookies[SESSION_COOKIE] || undefined;
    if (token === undefined) throw new ApiError('Unauthorized', 'a bearer token is required (Authorization: Bearer <token>), or sign in');
    if (!SAFE_METHODS.has(req.method)) {
      const csrf = req.headers[CSRF_HEADER];
      if (typeof csrf !== 'string' || !cookies[CSRF_COOKIE] || csrf !== cookies[CSRF_COOKIE]) throw new ApiError('Forbidden', `a signed-in write must carry the ${CSRF_HEADER} header (the ${CSRF_COOKIE} cookie's value)`);
    }
  }
  const r = await authenticator.authenticateToken(token);
  if (!r) throw new ApiError('Unauthorized', 'the bearer token is not valid');
  if ('error' in r) throw new ApiError('Unauthorized', r.error);
  return { subject: r.subject, token };
}

/** Where a request came from: the socket's address, and X-Forwarded-For when a proxy set it. */
function sourceOf(req: FastifyRequest): string {
  const fwd = req.headers['x-forwarded-for'];
  return typeof fwd === 'string' && fwd.length <= 200 ? `${req.ip} (forwarded for ${fwd})` : req.ip;
}

/** The audit record of a finished mutation under /apis/. */
function auditRecordOf(req: FastifyRequest, code: number): AuditRecord {
  const st = requestState(req);
  const path = req.url.split('?')[0];
  const action = actionForRequest(req.method, path, false);
  const outcome: AuditRecord['outcome'] = code < 400 ? 'success' : code === 401 || code === 403 ? 'denied' : 'failure';
  return {
    time: new Date().toISOString(),
    user: st.subject?.name ?? 'system:anonymous',
    ...(st.subject?.token ? { tokenId: st.subject.token.name } : {}),
    verb: action?.verb ?? req.method.toLowerCase(),
    resource: action?.resource ?? '',
    ...(action?.namespace ? { namespace: action.namespace } : {}),
    ...(action?.name ? { name: action.name } : {}),
    ...(action?.subresource ? { subresource: action.subresource } : {}),
    source: sourceOf(req),
    outcome,
    code,
    correlationId: st.correlationId,
    ...st.audit,
  };
}
