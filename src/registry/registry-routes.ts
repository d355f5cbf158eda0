/**
 * JSON routes of the registry: register a version from uploaded blobs, move / remove / roll back
 * an alias, and resolve a reference. Every write records the request's subject.
 */
import type { FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';
import { invalid } from '../api/errors.js';
import { parseSelector } from './model-ref.js';
import type { ModelRegistry } from './model-registry.js';
import { parseRegisterRequest } from './register-request.js';
import { resolveModelSelector } from './resolve-model-ref.js';
import { REGISTRY_PREFIX, nameParam, namespaceParam, queryString, type RawParams } from './route-params.js';

/** What the JSON routes need. */
export interface RegistryRouteDeps {
  registry: ModelRegistry;
  subjectOf(req: unknown): { name: string } | undefined;
  /** The request's correlation id (alias moves record it, so the rollouts they start link back). */
  correlationOf?(req: unknown): string | undefined;
  pushes: Counter;
}

function body(req: { body?: unknown }): Record<string, unknown> {
  const b = req.body;
  return b !== null && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : {};
}

function optionalString(model: string, b: Record<string, unknown>, key: string, max = 1024): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw invalid('Model', model, [{ field: key, message: `must be a string of at most ${max} characters` }]);
  return v;
}

/** Adds the JSON routes to the app (they share its JSON parser, auth and error rendering). */
export function registerRegistryRoutes(app: FastifyInstance, deps: RegistryRouteDeps): void {
  const who = (req: unknown) => deps.subjectOf(req)?.name ?? 'unknown';

  app.post(`${REGISTRY_PREFIX}/models/:model/versions`, async (req, reply) => {
    const p = req.params as RawParams;
    const ns = namespaceParam(p);
    const model = nameParam(p, 'model');
    const request = parseRegisterRequest(model, req.body);
    try {
      const { object, created } = await deps.registry.register(ns, model, request, who(req));
      deps.pushes.inc({ result: created ? 'created' : 'unchanged' });
      return reply.code(created ? 201 : 200).send(object);
    } catch (err) {
      deps.pushes.inc({ result: 'failed' });
      throw err;
    }
  });

  app.put(`${REGISTRY_PREFIX}/models/:model/aliases/:alias`, async (req) => {
    const p = req.params as RawParams;
    const ns = namespaceParam(p);
    const model = nameParam(p, 'model');
    const b = body(req);
    const version = optionalString(model, b, 'version', 128);
    if (!version) throw invalid('Model', model, [{ reason: 'FieldValueRequired', field: 'version', message: 'required' }]);
    const expected = b.expectedVersion === null ? null : optionalString(model, b, 'expectedVersion', 128);
    const correlationId = deps.correlationOf?.(req);
    return deps.registry.moveAlias(ns, model, p.alias ?? '', version, who(req), optionalString(model, b, 'reason') ?? '', { ...(expected === undefined ? {} : { expectedFrom: expected }), correlationId });
  });

  app.delete(`${REGISTRY_PREFIX}/models/:model/aliases/:alias`, async (req) => {
    const p = req.params as RawParams;
    const ns = namespaceParam(p);
    const model = nameParam(p, 'model');
    return deps.registry.moveAlias(ns, model, p.alias ?? '', null, who(req), queryString(req.query, 'reason') ?? optionalString(model, body(req), 'reason') ?? '', { correlationId: deps.correlationOf?.(req) });
  });

  app.post(`${REGISTRY_PREFIX}/models/:model/aliases/:alias/rollback`, async (req) => {
    const p = req.params as RawParams;
    const ns = namespaceParam(p);
    const model = nameParam(p, 'model');
    return deps.registry.rollbackAlias(ns, model, p.alias ?? '', who(req), optionalString(model, body(req), 'reason') ?? '', deps.correlationOf?.(req));
  });

  app.get(`${REGISTRY_PREFIX}/models/:model/resolve`, async (req) => {
    const p = req.params as RawParams;
    const ns = namespaceParam(p);
    const model = nameParam(p, 'model');
    const selector = parseSelector(queryString(req.query, 'selector') ?? 'latest', 'selector');
    return resolveModelSelector(deps.registry.client, ns, model, selector);
  });
}
