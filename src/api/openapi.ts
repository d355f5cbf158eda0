/** OpenAPI v3 for every kind, generated from the same zod schemas that validate requests. */
import { z } from 'zod';
import type { Kind } from './kind.js';
import { objectMeta } from './meta.js';

/** The OpenAPI document served at /openapi/v3. */
export function buildOpenApi(kinds: Kind[], version: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    ObjectMeta: z.toJSONSchema(objectMeta, { io: 'input', unrepresentable: 'any' }),
    Status: {
      type: 'object',
      properties: {
        kind: { type: 'string' }, apiVersion: { type: 'string' }, status: { type: 'string' }, message: { type: 'string' },
        reason: { type: 'string' }, code: { type: 'integer' },
        details: { type: 'object', properties: { causes: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' } } } } } },
      },
    },
  };
  const paths: Record<string, unknown> = {};
  for (const k of kinds) {
    const body = z.toJSONSchema(k.body, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
    schemas[k.kind] = {
      type: 'object',
      description: k.description,
      'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }],
      additionalProperties: false,
      required: ['apiVersion', 'kind', 'metadata', ...(body.required ?? [])],
      properties: {
        apiVersion: { type: 'string', enum: [k.apiVersion] },
        kind: { type: 'string', enum: [k.kind] },
        metadata: { $ref: '#/components/schemas/ObjectMeta' },
        ...(body.properties ?? {}),
      },
    };
    const ref = { $ref: `#/components/schemas/${k.kind}` };
    const err = { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Status' } } } };
    const prefix = `/apis/${k.group}/${k.version}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}`;
    const one = { content: { 'application/json': { schema: ref } } };
    paths[prefix] = {
      get: { operationId: `list${k.kind}`, tags: [k.kind], responses: { 200: { description: `list of ${k.kind}` }, default: err } },
      post: { operationId: `create${k.kind}`, tags: [k.kind], requestBody: one, responses: { 201: { description: 'created', ...one }, default: err } },
    };
    paths[`${prefix}/{name}`] = {
      get: { operationId: `read${k.kind}`, tags: [k.kind], responses: { 200: { description: k.kind, ...one }, default: err } },
      put: { operationId: `replace${k.kind}`, tags: [k.kind], requestBody: one, responses: { 200: { description: 'replaced', ...one }, default: err } },
      patch: { operationId: `patch${k.kind}`, tags: [k.kind], requestBody: { content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/apply-patch+yaml': { schema: { type: 'object' } } } }, responses: { 200: { description: 'patched', ...one }, default: err } },
      delete: { operationId: `delete${k.kind}`, tags: [k.kind], responses: { 200: { description: 'deleted', ...one }, default: err } },
    };
    if (k.status) {
      paths[`${prefix}/{name}/status`] = {
        get: { operationId: `read${k.kind}Status`, tags: [k.kind], responses: { 200: { description: k.kind, ...one }, default: err } },
        put: { operationId: `replace${k.kind}Status`, tags: [k.kind], requestBody: one, responses: { 200: { description: 'replaced', ...one }, default: err } },
      };
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Capstan API', version },
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
