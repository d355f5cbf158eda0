/**
 * Guards on the generic API for the registry's kinds, which the store alone cannot express:
 * a ModelVersion's identity and artifact never change, a version is only created by name
 * convention over stored blobs, and a version (or model) that something holds is not deleted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, invalid } from '../api/errors.js';
import { applyMergePatch } from '../api/merge-patch.js';
import { MODEL_LABEL, ModelVersionKind, modelVersionName, versionNameProblem, type ModelVersionSpec } from '../api/kinds/model-version.js';
import { ModelKind } from '../api/kinds/model.js';
import type { KubeObject } from '../api/meta.js';
import { canonicalJson } from '../store/canonical-json.js';
import type { ModelRegistry } from './model-registry.js';
import { listModelVersions } from './resolve-model-ref.js';

/** Spec fields fixed at registration; metrics, params, tags, lineage and description stay editable. */
export const IMMUTABLE_FIELDS = ['model', 'version', 'format', 'artifact', 'signature'] as const;

/** The immutable fields that differ between two specs (pure). */
export function changedImmutableFields(before: Partial<ModelVersionSpec>, after: Partial<ModelVersionSpec>): string[] {
  return IMMUTABLE_FIELDS.filter((f) => canonicalJson(before[f] ?? null) !== canonicalJson(after[f] ?? null)).map((f) => `spec.${f}`);
}

const GENERIC_OBJECT_ROUTE = '/apis/:group/:version/namespaces/:namespace/:plural/:name';
const GENERIC_COLLECTION_ROUTE = '/apis/:group/:version/namespaces/:namespace/:plural';

function proposedSpec(req: FastifyRequest, cur: KubeObject | undefined): Partial<ModelVersionSpec> | undefined {
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim();
  const b = req.body as KubeObject | undefined;
  if (!b || typeof b !== 'object') return undefined;
  if (req.method === 'PATCH' && (type === 'application/merge-patch+json' || type === 'application/json')) {
    return cur ? ((applyMergePatch({ spec: cur.spec }, b) as { spec?: Partial<ModelVersionSpec> }).spec ?? {}) : undefined;
  }
  return (b.spec ?? {}) as Partial<ModelVersionSpec>;
}

/** Adds the guards as a preHandler on the generic routes (after auth and body parsing). */
export function installWriteGuards(app: FastifyInstance, registry: ModelRegistry): void {
  app.addHook('preHandler', async (req) => {
    const route = req.routeOptions.url;
    if (route !== GENERIC_OBJECT_ROUTE && route !== GENERIC_COLLECTION_ROUTE) return;
    const p = req.params as { group?: string; plural?: string; namespace?: string; name?: string };
    if (p.group !== ModelVersionKind.group || p.namespace === undefined) return;
    const ns = p.namespace;
    if (p.plural === ModelVersionKind.plural) await guardVersion(req, registry, ns, p.name);
    else if (p.plural === ModelKind.plural && req.method === 'DELETE' && p.name) await guardModelDelete(registry, ns, p.name);
  });
}

async function guardVersion(req: FastifyRequest, registry: ModelRegistry, ns: string, name: string | undefined): Promise<void> {
  if (req.method === 'DELETE' && name) {
    const holders = await registry.holdersOf(ns, name);
    if (holders.length) {
      throw new ApiError('Conflict', `ModelVersion ${name} is in use by ${holders.join(', ')}: delete those or point them at another version first`, { kind: 'ModelVersion', name });
    }
    return;
  }
  if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return;
  const cur = name ? await registry.client.tryGet(ModelVersionKind, ns, name) : undefined;
  const next = proposedSpec(req, cur);
  if (!next) return; // the generic route reports the missing body
  if (cur) {
    const changed = changedImmutableFields(cur.spec as ModelVersionSpec, next);
    if (changed.length) {
      throw invalid('ModelVersion', cur.metadata.name, changed.map((field) => ({ reason: 'FieldValueForbidden', field, message: 'is immutable once the version is registered; push a new version instead' })));
    }
    return;
  }
  // a version created through the generic API (a training job registering its output) must follow the name convention and reference stored bytes
  const objName = name ?? (req.body as KubeObject | undefined)?.metadata?.name;
  if (typeof next.model === 'string' && typeof next.version === 'string' && objName !== modelVersionName(next.model, next.version)) {
    throw invalid('ModelVersion', String(objName ?? ''), [{ field: 'metadata.name', message: `must be ${modelVersionName(next.model, next.version)} (<model>-v<version>)` }]);
  }
  const nameProblem = typeof next.version === 'string' ? versionNameProblem(next.version) : undefined;
  if (nameProblem) throw invalid('ModelVersion', String(objName ?? ''), [{ field: 'spec.version', message: nameProblem }]);
  const labels = (req.body as KubeObject | undefined)?.metadata?.labels;
  if (typeof next.model === 'string' && labels?.[MODEL_LABEL] !== next.model) {
    throw invalid('ModelVersion', String(objName ?? ''), [{ field: `metadata.labels.${MODEL_LABEL}`, message: `must be ${next.model}` }]);
  }
  const sha = next.artifact?.sha256;
  if (typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha) && !(await registry.store.has(sha))) {
    throw invalid('ModelVersion', String(objName ?? ''), [{ field: 'spec.artifact.sha256', message: `blob ${sha} is not in the artifact store; upload it first` }]);
  }
}

async function guardModelDelete(registry: ModelRegistry, ns: string, model: string): Promise<void> {
  const held: string[] = [];
  for (const v of await listModelVersions(registry.client, ns, model)) {
    const holders = await registry.holdersOf(ns, v.metadata.name);
    if (holders.length) held.push(`${v.metadata.name} (used by ${holders.join(', ')})`);
  }
  if (held.length) throw new ApiError('Conflict', `Model ${model} has versions in use: ${held.join('; ')}`, { kind: 'Model', name: model });
}
