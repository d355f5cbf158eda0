/**
 * The in-process ResourceClient: validation and defaulting by the kind registry, project checks,
 * then the ObjectStore. The HTTP API is a thin layer over this, so controllers and users get
 * exactly the same rules.
 */
import { ApiError, badRequest } from '../api/errors.js';
import type { Kind } from '../api/kind.js';
import type { KindRegistry } from '../api/kind-registry.js';
import { applyMergePatch } from '../api/merge-patch.js';
import type { KubeObject } from '../api/meta.js';
import { ProjectKind } from '../api/kinds/project.js';
import { canonicalJson } from '../store/canonical-json.js';
import type { ObjectStore } from '../store/object-store.js';
import type { ApplyAction, ListOptions, ListResult, ResourceClient, WatchEvent, WatchOptions } from './resource-client.js';

const MAX_RETRIES = 8;

/** ResourceClient over an ObjectStore in this process. */
export class LocalClient implements ResourceClient {
  constructor(readonly store: ObjectStore, readonly kinds: KindRegistry) {}

  get(kind: Kind, namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.store.get(kind, namespace, name);
  }

  tryGet(kind: Kind, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    return this.store.tryGet(kind, namespace, name);
  }

  list(kind: Kind, opts: ListOptions = {}): Promise<ListResult> {
    return this.store.list(kind, opts);
  }

  /** Validates the object as `kind` (converting a foreign dialect) and checks its project. */
  private decode(kind: Kind, raw: unknown, namespace?: string): KubeObject {
    const { kind: decodedKind, object } = this.kinds.decode(raw);
    if (decodedKind.resource !== kind.resource) {
      throw badRequest(`the object is a ${decodedKind.kind}, but the request is for ${kind.kind}`, 'kind');
    }
    if (kind.namespaced) {
      const ns = object.metadata.namespace ?? namespace;
      if (namespace && object.metadata.namespace && object.metadata.namespace !== namespace) {
        throw badRequest(`metadata.namespace "${object.metadata.namespace}" does not match the project of the request "${namespace}"`, 'metadata.namespace');
      }
      object.metadata.namespace = ns;
    } else if (object.metadata.namespace) {
      throw badRequest(`${kind.kind} is not in a project; remove metadata.namespace`, 'metadata.namespace');
    }
    return object;
  }

  private async checkProject(kind: Kind, namespace: string | undefined): Promise<void> {
    if (!kind.namespaced) return;
    if (!namespace) throw badRequest('a project (metadata.namespace) is required', 'metadata.namespace');
    const project = await this.store.tryGet(ProjectKind, undefined, namespace);
    if (!project) throw new ApiError('NotFound', `project "${namespace}" not found`, { name: namespace, kind: 'Project' });
    if (project.metadata.deletionTimestamp && kind.resource !== 'capstan.dev/events') {
      throw new ApiError('Forbidden', `project "${namespace}" is being deleted: no new objects may be created in it`, { name: namespace, kind: 'Project' });
    }
  }

  async create(kind: Kind, raw: unknown, namespace?: string): Promise<KubeObject> {
    const obj = this.decode(kind, raw, namespace);
    await this.checkProject(kind, obj.metadata.namespace);
    return this.store.create(kind, obj);
  }

  async update(kind: Kind, raw: unknown, namespace?: string, name?: string): Promise<KubeObject> {
    const obj = this.decode(kind, raw, namespace);
    if (name !== undefined && obj.metadata.name !== name) throw badRequest(`metadata.name "${obj.metadata.name}" does not match the name in the URL "${name}"`, 'metadata.name');
    if (!obj.metadata.name) throw new ApiError('Invalid', 'metadata.name is required', { causes: [{ field: 'metadata.name', message: 'required' }] });
    return this.store.update(kind, obj);
  }

  async updateStatus(kind: Kind, obj: KubeObject): Promise<KubeObject> {
    const status = this.kinds.validateStatus(kind, obj.metadata.name, obj.status ?? {});
    return this.store.updateStatus(kind, obj.metadata.namespace, obj.metadata.name, status, obj.metadata.resourceVersion || undefined);
  }

  async patch(kind: Kind, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest('a merge patch must be a JSON object', 'body');
    const pinned = (patch as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    for (let i = 0; ; i++) {
      const cur = await this.store.get(kind, namespace, name);
      const merged = applyMergePatch(stripStatus(cur), patch) as KubeObject;
      if (merged?.metadata?.name !== name) throw badRequest('a patch may not change metadata.name', 'metadata.name');
      if (pinned === undefined) merged.metadata.resourceVersion = cur.metadata.resourceVersion;
      try {
        return await this.update(kind, merged, namespace, name);
      } catch (err) {
        if (pinned === undefined && err instanceof ApiError && err.reason === 'Conflict' && i < MAX_RETRIES) continue;
        throw err;
      }
    }
  }

  /** Merge-patches `status` only. */
  async patchStatus(kind: Kind, namespace: string | undefined, name: string, statusPatch: unknown): Promise<KubeObject> {
    for (let i = 0; ; i++) {
      const cur = await this.store.get(kind, namespace, name);
      const status = applyMergePatch(cur.status ?? {}, statusPatch);
      try {
        return await this.updateStatus(kind, { ...cur, status });
      } catch (err) {
        if (err instanceof ApiError && err.reason === 'Conflict' && i < MAX_RETRIES) continue;
        throw err;
      }
    }
  }

  async apply(kind: Kind, raw: unknown, namespace?: string): Promise<{ object: KubeObject; action: ApplyAction }> {
    const desired = this.decode(kind, raw, namespace);
    const name = desired.metadata.name;
    if (!name) throw new ApiError('Invalid', 'apply needs metadata.name', { causes: [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'required' }] });
    for (let i = 0; ; i++) {
      const cur = await this.store.tryGet(kind, desired.metadata.namespace, name);
      try {
        if (!cur) {
          await this.checkProject(kind, desired.metadata.namespace);
          return { object: await this.store.create(kind, desired), action: 'created' };
        }
        // The manifest owns spec, labels and annotations; server- and controller-owned metadata stays.
        const next: KubeObject = {
          ...desired,
          metadata: {
            ...cur.metadata,
            labels: desired.metadata.labels ?? cur.metadata.labels,
            annotations: desired.metadata.annotations ?? cur.metadata.annotations,
            ...(desired.metadata.finalizers ? { finalizers: [...new Set([...(cur.metadata.finalizers ?? []), ...desired.metadata.finalizers])] } : {}),
            ...(desired.metadata.ownerReferences ? { ownerReferences: desired.metadata.ownerReferences } : {}),
          },
        };
        const updated = await this.store.update(kind, next);
        const action: ApplyAction = updated.metadata.resourceVersion === cur.metadata.resourceVersion ? 'unchanged' : 'configured';
        return { object: updated, action };
      } catch (err) {
        const retriable = err instanceof ApiError && (err.reason === 'Conflict' || err.reason === 'AlreadyExists');
        if (retriable && i < MAX_RETRIES) continue;
        throw err;
      }
    }
  }

  delete(kind: Kind, namespace: string | undefined, name: string, opts?: { resourceVersion?: string }): Promise<KubeObject> {
    return this.store.delete(kind, namespace, name, opts);
  }

  watch(kind: Kind, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onError: (err: Error) => void): Promise<() => void> {
    return this.store.watch(kind, opts, onEvent, onError);
  }
}

function stripStatus(obj: KubeObject): KubeObject {
  const { status: _s, ...rest } = obj;
  return rest as KubeObject;
}

/** True when two objects are equal whatever their key order (for tests and no-op checks). */
export function sameObject(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
