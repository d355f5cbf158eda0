/** Resolves a model reference to its ModelVersion object: the thin I/O shell around pickVersion. */
import { MODEL_LABEL, ModelVersionKind, type ModelVersionSpec } from '../api/kinds/model-version.js';
import { ModelKind, type ModelStatus } from '../api/kinds/model.js';
import type { KubeObject } from '../api/meta.js';
import type { ResourceClient } from '../client/resource-client.js';
import { ApiError } from '../api/errors.js';
import { parseModelRef, pickVersion, type RefSelector } from './model-ref.js';

/** A ModelVersion object as stored. */
export type ModelVersionObject = KubeObject<ModelVersionSpec> & { spec: ModelVersionSpec };

/** Every live (not being deleted) version of a model in a project. */
export async function listModelVersions(client: ResourceClient, namespace: string, model: string): Promise<ModelVersionObject[]> {
  const out: ModelVersionObject[] = [];
  let cont: string | undefined;
  do {
    const page = await client.list(ModelVersionKind, { namespace, labelSelector: `${MODEL_LABEL}=${model}`, limit: 1000, continue: cont });
    for (const o of page.items) {
      const mv = o as ModelVersionObject;
      // the label is a hint; spec.model is the truth
      if (mv.spec?.model === model && !mv.metadata.deletionTimestamp) out.push(mv);
    }
    cont = page.continue;
  } while (cont);
  return out;
}

/** Alias → version of a model (empty when the model does not exist yet). */
export async function modelAliases(client: ResourceClient, namespace: string, model: string): Promise<Record<string, string>> {
  const m = await client.tryGet(ModelKind, namespace, model);
  const aliases = ((m?.status ?? {}) as ModelStatus).aliases ?? {};
  return Object.fromEntries(Object.entries(aliases).map(([k, v]) => [k, v.version]));
}

/**
 * Resolves `digits@1.2.0`, `digits@^1.2`, `digits@production`, `digits@latest` or `digits` in
 * `namespace` to the ModelVersion object. Errors: BadRequest (malformed ref, field `ref`),
 * NotFound (no such model in the project, or no such version/alias, naming what was asked).
 */
export async function resolveModelRef(client: ResourceClient, namespace: string, ref: string): Promise<ModelVersionObject> {
  const parsed = parseModelRef(ref);
  return resolveModelSelector(client, namespace, parsed.model, parsed.selector);
}

/** Resolves a parsed selector among one model's versions (see resolveModelRef). */
export async function resolveModelSelector(client: ResourceClient, namespace: string, model: string, selector: RefSelector): Promise<ModelVersionObject> {
  const [versions, modelObj] = await Promise.all([listModelVersions(client, namespace, model), client.tryGet(ModelKind, namespace, model)]);
  // Say so when the model itself is missing, rather than that it lacks the alias or version asked for.
  if (!modelObj && versions.length === 0) {
    throw new ApiError('NotFound', `model ${model} does not exist in project ${namespace}`, { name: model, kind: 'Model' });
  }
  const aliases = Object.fromEntries(Object.entries(((modelObj?.status ?? {}) as ModelStatus).aliases ?? {}).map(([k, v]) => [k, v.version]));
  return pickVersion(versions, aliases, selector, model);
}
