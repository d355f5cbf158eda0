/**
 * The Kubernetes-shaped REST routes for every kind:
 * /apis/{group}/{version}[/namespaces/{ns}]/{plural}[/{name}[/status]], with list, watch
 * (newline-delimited JSON, or SSE for browsers), create, update, merge patch, apply and delete.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError, badRequest } from '../api/errors.js';
import type { Kind } from '../api/kind.js';
import type { KindRegistry } from '../api/kind-registry.js';
import { DNS1123_SUBDOMAIN, type KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import { CREATED_BY_ANNOTATION } from '../store/object-store.js';
import { specDiff } from './audit-log.js';
import type { Action, Authorizer, Subject } from './auth.js';
import { singleValuedQuery, parseLimit, parseNameFieldSelector, parseResourceVersion, parseTimeoutSeconds } from './query-params.js';
import { streamWatch } from './watch-stream.js';

interface RouteParams {
  group: string;
  version: string;
  namespace?: string;
  plural: string;
  name?: string;
  subresource?: string;
}

/** Dependencies of the resource routes. */
export interface ResourceRouteDeps {
  client: LocalClient;
  kinds: KindRegistry;
  authorizer: Authorizer;
  log: Logger;
}

/** Registers the resource routes on a fastify instance. */
export function registerResourceRoutes(app: FastifyInstance, deps: ResourceRouteDeps): void {
  const handler = (req: FastifyRequest, reply: FastifyReply) => handle(req, reply, deps);
  for (const base of ['/apis/:group/:version/namespaces/:namespace/:plural', '/apis/:group/:version/:plural']) {
    app.route({ method: ['GET', 'POST'], url: base, handler });
    app.route({ method: ['GET', 'PUT', 'PATCH', 'DELETE'], url: `${base}/:name`, handler });
    app.route({ method: ['GET', 'PUT', 'PATCH'], url: `${base}/:name/:subresource`, handler });
  }
}

async function handle(req: FastifyRequest, reply: FastifyReply, deps: ResourceRouteDeps): Promise<unknown> {
  const p = req.params as RouteParams;
  const kind = deps.kinds.byPath(p.group, p.plural);
  if (!kind || kind.version !== p.version) {
    throw new ApiError('NotFound', `the server could not find the requested resource: ${p.group}/${p.version} ${p.plural}`);
  }
  if (p.namespace !== undefined && !kind.namespaced) throw new ApiError('NotFound', `${kind.kind} is not in a project; drop /namespaces/${p.namespace} from the path`);
  if (p.name !== undefined && (p.name.length > 253 || !DNS1123_SUBDOMAIN.test(p.name))) {
    throw badRequest(`invalid name "${p.name.slice(0, 80)}": must be a lowercase DNS-1123 subdomain`, 'metadata.name');
  }
  if (p.namespace !== undefined && (p.namespace.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.namespace))) {
    throw badRequest(`invalid project "${p.namespace.slice(0, 80)}": must be a lowercase DNS-1123 label`, 'metadata.namespace');
  }
  if (p.subresource !== undefined && (p.subresource !== 'status' || !kind.status)) {
    throw new ApiError('NotFound', `${kind.kind} has no subresource "${p.subresource.slice(0, 40)}"`);
  }
  const q = singleValuedQuery(req.query);
  const subject = (req as FastifyRequest & { subject: Subject }).subject;
  const ns = p.namespace;
  const authorize = async (verb: Action['verb']) => {
    const d = await deps.authorizer.authorize(subject, { verb, resource: kind.resource, namespace: ns, name: p.name, subresource: p.subresource });
    if (!d.allowed) throw new ApiError('Forbidden', `${kind.plural} is forbidden: ${d.reason ?? 'not allowed'}`, { kind: kind.kind, name: p.name });
  };
  const c = deps.client;
  const st = req as FastifyRequest & { audit?: Record<string, unknown> };
  const noteAudit = (obj: KubeObject | undefined, diff?: unknown) => {
    st.audit = { kind: kind.kind, ...(obj ? { name: obj.metadata.name, uid: obj.metadata.uid } : {}), ...(diff !== undefined ? { diff } : {}) };
  };
  const before = async (): Promise<KubeObject | undefined> => (p.name === undefined ? undefined : c.get(kind, ns, p.name).catch(() => undefined));
  const filter = deps.authorizer.listFilter?.(subject, kind.resource);

  switch (req.method) {
    case 'GET': {
      if (p.name === undefined) {
        const listOpts = { namespace: ns, labelSelector: q.labelSelector, limit: parseLimit(q.limit), continue: q.continue };
        const resourceVersion = parseResourceVersion(q.resourceVersion);
        if (q.watch === 'true' || q.watch === '1') {
          await authorize('watch');
          const fieldName = parseNameFieldSelector(q.fieldSelector);
          const timeoutSeconds = parseTimeoutSeconds(q.timeoutSeconds);
          await streamWatch(req, reply, deps.log, (onEvent, onError) =>
            c.watch(kind, { namespace: ns, labelSelector: q.labelSelector, resourceVersion, name: fieldName }, filter ? (ev) => filter(ev.object) && onEvent(ev) : onEvent, onError),
            timeoutSeconds);
          return reply;
        }
        await authorize('list');
        const page = await c.list(kind, listOpts);
        return {
          apiVersion: kind.apiVersion,
          kind: `${kind.kind}List`,
          metadata: { resourceVersion: page.resourceVersion, ...(page.continue ? { continue: page.continue } : {}) },
          items: filter ? page.items.filter(filter) : page.items,
        };
      }
      await authorize('get');
      return c.get(kind, ns, p.name);
    }
    case 'POST': {
      await authorize('create');
      const created = await c.create(kind, withCreator(requireBody(req.body), subject), ns);
      noteAudit(created, { spec: created.spec });
      return reply.code(201).send(created);
    }
    case 'PUT': {
      await authorize('update');
      const body = requireBody(req.body) as KubeObject;
      if (p.subresource === 'status') {
        if (body?.metadata?.name !== undefined && body.metadata.name !== p.name) throw badRequest('metadata.name does not match the URL', 'metadata.name');
        const written = await c.updateStatus(kind, { ...body, metadata: { ...body.metadata, name: p.name!, namespace: ns } } as KubeObject);
        noteAudit(written);
        return written;
      }
      const old = await before();
      const updated = await c.update(kind, body, ns, p.name);
      noteAudit(updated, specDiff(old?.spec, updated.spec));
      return updated;
    }
    case 'PATCH': {
      await authorize('patch');
      const type = String(req.headers['content-type'] ?? '').split(';')[0].trim();
      const body = requireBody(req.body);
      if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+json') {
        if (p.subresource) throw badRequest('apply is not supported on subresources');
        const named = body as KubeObject;
        if (named?.metadata?.name !== undefined && named.metadata.name !== p.name) throw badRequest('metadata.name does not match the URL', 'metadata.name');
        const old = await before();
        const res = await c.apply(kind, withCreator(body, subject), ns);
        noteAudit(res.object, old ? specDiff(old.spec, res.object.spec) : { spec: res.object.spec });
        reply.header('x-capstan-apply', res.action);
        return reply.code(res.action === 'created' ? 201 : 200).send(res.object);
      }
      if (type !== 'application/merge-patch+json' && type !== 'application/json') {
        throw new ApiError('UnsupportedMediaType', `patch type "${type}" is not supported; use application/merge-patch+json or application/apply-patch+yaml`);
      }
      const patched = p.subresource === 'status' ? await c.patchStatus(kind, ns, p.name!, (body as { status?: unknown }).status ?? {}) : await c.patch(kind, ns, p.name!, body);
      noteAudit(patched, p.subresource === 'status' ? undefined : { patch: (body as { spec?: unknown }).spec ?? body });
      return patched;
    }
    case 'DELETE': {
      await authorize('delete');
      const opts = (req.body && typeof req.body === 'object' ? req.body : {}) as { preconditions?: { resourceVersion?: string } };
      const deleted = await c.delete(kind, ns, p.name!, { resourceVersion: opts.preconditions?.resourceVersion ?? parseResourceVersion(q.resourceVersion) });
      noteAudit(deleted);
      return deleted;
    }
    default:
      throw new ApiError('MethodNotAllowed', `${req.method} is not supported here`);
  }
}

/** The object with `capstan.dev/created-by` set to the caller (the store keeps the first value on later updates). */
function withCreator(body: unknown, subject: Subject): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const b = body as { metadata?: unknown };
  const meta = b.metadata && typeof b.metadata === 'object' && !Array.isArray(b.metadata) ? (b.metadata as { annotations?: unknown }) : {};
  const ann = meta.annotations && typeof meta.annotations === 'object' && !Array.isArray(meta.annotations) ? meta.annotations : {};
  return { ...b, metadata: { ...meta, annotations: { ...ann, [CREATED_BY_ANNOTATION]: subject.name } } };
}

function requireBody(body: unknown): unknown {
  if (body === undefined || body === null || body === '') throw badRequest('a request body is required', 'body');
  return body;
}
