/**
 * Kubernetes object semantics over any StorageBackend: uid and timestamps, generation bumped on
 * spec changes only, optimistic concurrency, the status subresource, finalizers with
 * deletionTimestamp, owner-reference cascade, label selectors, pagination and watch.
 * It knows which kind an object is, never what the kind means.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, notFound } from '../api/errors.js';
import type { Kind } from '../api/kind.js';
import type { KubeObject, ObjectMeta } from '../api/meta.js';
import { WatchGoneError, rowKey, type ObjectKey, type StorageBackend, type StoreEvent, type Unsubscribe, type WriteOp, type WriteResult } from './backend.js';
import { canonicalJson } from './canonical-json.js';
import { matchesLabels, parseLabelSelector, type LabelSelector } from './label-selector.js';

/** What the store needs to know of a kind. */
export type ResourceInfo = Pick<Kind, 'resource' | 'kind' | 'apiVersion' | 'namespaced' | 'status' | 'defaultFinalizers'>;

/** List options, as the API takes them. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  limit?: number;
  continue?: string;
}

/** A page of a list. */
export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

/** A watch event as the API streams it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

/** Watch options. */
export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  /** Deliver events after this resourceVersion; absent or "0": the current state as ADDED, then changes. */
  resourceVersion?: string;
  /** Restrict to one object. */
  name?: string;
}

/** Hooks for time and identity, so tests can fix them. */
export interface ObjectStoreOptions {
  now?: () => Date;
  newUid?: () => string;
}

const MAX_CONFLICT_RETRIES = 16;

/** The Kubernetes-semantics object store. */
export class ObjectStore {
  private readonly now: () => Date;
  private readonly newUid: () => string;

  constructor(readonly backend: StorageBackend, opts: ObjectStoreOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.newUid = opts.newUid ?? randomUUID;
  }

  private key(kind: ResourceInfo, namespace: string | undefined, name: string): ObjectKey {
    return { resource: kind.resource, namespace: kind.namespaced ? (namespace ?? '') : '', name };
  }

  /** The object, or undefined. */
  async tryGet(kind: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    return this.backend.get(this.key(kind, namespace, name));
  }

  /** The object, or a NotFound ApiError. */
  async get(kind: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    const obj = await this.tryGet(kind, namespace, name);
    if (!obj) throw notFound(kind.kind, name, kind.namespaced ? namespace : undefined);
    return obj;
  }

  /** Lists with a label selector and limit/continue pagination. */
  async list(kind: ResourceInfo, opts: ListOptions = {}): Promise<ListResult> {
    const selector = opts.labelSelector ? parseSelectorOrThrow(opts.labelSelector) : undefined;
    const namespace = kind.namespaced ? opts.namespace : undefined;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    let after = opts.continue ? decodeContinue(opts.continue) : undefined;
    const items: KubeObject[] = [];
    let rv = 0;
    // Fetch in chunks so a selective selector with a limit still fills the page.
    for (;;) {
      const chunk = limit ? Math.max(limit * 2, 100) : undefined;
      const page = await this.backend.list(kind.resource, { namespace, after, limit: chunk });
      rv = page.rv;
      for (const o of page.items) {
        if (!selector || matchesLabels(selector, o.metadata.labels)) {
          items.push(o);
          if (limit && items.length === limit) {
            const last = rowKey(o.metadata.namespace ?? '', o.metadata.name);
            const more = page.items[page.items.length - 1] !== o || page.items.length === chunk;
            return { items, resourceVersion: String(rv), ...(more ? { continue: encodeContinue(last) } : {}) };
          }
        }
      }
      if (!chunk || page.items.length < chunk) break;
      const last = page.items[page.items.length - 1];
      after = rowKey(last.metadata.namespace ?? '', last.metadata.name);
    }
    return { items, resourceVersion: String(rv) };
  }

  /** Creates an object; server-set metadata is filled, status is dropped for kinds with a status subresource. */
  async create(kind: ResourceInfo, input: KubeObject): Promise<KubeObject> {
    const meta = input.metadata as Partial<ObjectMeta>;
    const namespace = kind.namespaced ? meta.namespace : undefined;
    if (kind.namespaced && !namespace) throw new ApiError('BadRequest', 'metadata.namespace is required', { causes: [{ field: 'metadata.namespace', message: 'required' }] });
    for (let attempt = 0; ; attempt++) {
      const name = meta.name ?? (meta.generateName ? meta.generateName + randomSuffix() : undefined);
      if (!name) throw new ApiError('Invalid', 'metadata.name or metadata.generateName is required', { causes: [{ reason: 'FieldValueRequired', field: 'metadata.name', message: 'required' }] });
      const finalizers = [...new Set([...(meta.finalizers ?? []), ...(kind.defaultFinalizers ?? [])])];
      const metadata: ObjectMeta = {
        name,
        ...(meta.generateName ? { generateName: meta.generateName } : {}),
        ...(namespace ? { namespace } : {}),
        uid: this.newUid(),
        resourceVersion: '',
        generation: 1,
        creationTimestamp: this.timestamp(),
        ...(meta.labels ? { labels: meta.labels } : {}),
        ...(meta.annotations ? { annotations: meta.annotations } : {}),
        ...(meta.ownerReferences ? { ownerReferences: meta.ownerReferences } : {}),
        ...(finalizers.length ? { finalizers } : {}),
      };
      const object: KubeObject = { ...input, apiVersion: kind.apiVersion, kind: kind.kind, metadata };
      if (kind.status) delete object.status;
      const [res] = await this.backend.commit([{ type: 'create', key: this.key(kind, namespace, name), object }]);
      if (res.ok) return res.object;
      if (res.reason === 'AlreadyExists' && !meta.name && attempt < 8) continue;
      throw new ApiError('AlreadyExists', `${kind.kind} "${name}" already exists`, { name, kind: kind.kind });
    }
  }

  /**
   * Replaces an object's spec and metadata (status is kept: it belongs to /status). With
   * metadata.resourceVersion set, a stale version is a Conflict; without, the write wins.
   */
  async update(kind: ResourceInfo, input: KubeObject): Promise<KubeObject> {
    const name = input.metadata.name;
    const expected = input.metadata.resourceVersion ? parseRv(input.metadata.resourceVersion) : 0;
    return this.mutate(kind, input.metadata.namespace, name, expected, (cur) => {
      const metadata: ObjectMeta = {
        ...cur.metadata,
        labels: input.metadata.labels,
        annotations: keepCreator(cur.metadata.annotations, input.metadata.annotations),
        ownerReferences: input.metadata.ownerReferences,
        finalizers: input.metadata.finalizers,
      };
      const next: KubeObject = { ...input, apiVersion: kind.apiVersion, kind: kind.kind, metadata: dropUndefined(metadata) };
      if (kind.status) {
        if (cur.status !== undefined) next.status = cur.status;
        else delete next.status;
      }
      if (bodyOf(next) !== bodyOf(cur)) next.metadata.generation = cur.metadata.generation + 1;
      return next;
    });
  }

  /** Writes only `status`, through the status subresource. */
  async updateStatus(kind: ResourceInfo, namespace: string | undefined, name: string, status: unknown, resourceVersion?: string): Promise<KubeObject> {
    const expected = resourceVersion ? parseRv(resourceVersion) : 0;
    return this.mutate(kind, namespace, name, expected, (cur) => ({ ...cur, status }));
  }

  /**
   * Deletes: with finalizers the object gets a deletionTimestamp and stays until they are gone;
   * without, it goes now and its dependents (by ownerReference) follow.
   */
  async delete(kind: ResourceInfo, namespace: string | undefined, name: string, opts: { resourceVersion?: string } = {}): Promise<KubeObject> {
    const key = this.key(kind, namespace, name);
    const precondition = opts.resourceVersion ? parseRv(opts.resourceVersion) : 0;
    return this.deleteKey(key, kind.kind, precondition);
  }

  private async deleteKey(key: ObjectKey, kindName: string, precondition: number): Promise<KubeObject> {
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const cur = await this.backend.get(key);
      if (!cur) throw notFound(kindName, key.name, key.namespace || undefined);
      const rv = parseRv(cur.metadata.resourceVersion);
      if (precondition && precondition !== rv) throw conflict(kindName, key.name);
      let op: WriteOp;
      if (cur.metadata.finalizers?.length) {
        if (cur.metadata.deletionTimestamp) return cur;
        op = { type: 'update', key, expectedRv: rv, object: { ...cur, metadata: { ...cur.metadata, deletionTimestamp: this.timestamp() } } };
      } else {
        op = { type: 'delete', key, expectedRv: rv };
      }
      const [res] = await this.backend.commit([op]);
      if (res.ok) {
        if (op.type === 'delete') await this.cascade(res.object);
        return res.object;
      }
      if (res.reason === 'NotFound') throw notFound(kindName, key.name, key.namespace || undefined);
    }
    throw conflict(kindName, key.name);
  }

  /** Deletes every object that names `owner` as an owner (background propagation). */
  private async cascade(owner: KubeObject): Promise<void> {
    for (const dep of await this.backend.listDependents(owner.metadata.uid)) {
      try {
        await this.deleteKey(dep, dep.resource, 0);
      } catch (err) {
        if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
      }
    }
  }

  /** Every object in a namespace, as keys (for emptying a project). */
  async keysInNamespace(namespace: string): Promise<ObjectKey[]> {
    return this.backend.listNamespace(namespace);
  }

  /** Deletes by key, for controllers that clean up objects of kinds they do not know. */
  async deleteByKey(key: ObjectKey): Promise<void> {
    try {
      await this.deleteKey(key, key.resource, 0);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
    }
  }

  /**
   * Read-modify-write with optimistic concurrency. `expected` 0 retries on conflicts (the caller
   * did not pin a version); otherwise a mismatch is the caller's Conflict.
   */
  private async mutate(kind: ResourceInfo, namespace: string | undefined, name: string, expected: number, change: (cur: KubeObject) => KubeObject): Promise<KubeObject> {
    const key = this.key(kind, namespace, name);
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i++) {
      const cur = await this.backend.get(key);
      if (!cur) throw notFound(kind.kind, name, kind.namespaced ? namespace : undefined);
      const rv = parseRv(cur.metadata.resourceVersion);
      if (expected && expected !== rv) throw conflict(kind.kind, name);
      const next = change(cur);
      next.metadata = { ...next.metadata, resourceVersion: cur.metadata.resourceVersion };
      if (canonicalJson(next) === canonicalJson(cur)) return cur; // no-op writes make no event
      const finalizersGone = next.metadata.deletionTimestamp && !next.metadata.finalizers?.length;
      const op: WriteOp = finalizersGone ? { type: 'delete', key, expectedRv: rv } : { type: 'update', key, expectedRv: rv, object: next };
      const [res]: WriteResult[] = await this.backend.commit([op]);
      if (res.ok) {
        if (finalizersGone) await this.cascade(res.object);
        return res.object;
      }
      if (res.reason === 'NotFound') throw notFound(kind.kind, name, kind.namespaced ? namespace : undefined);
      if (expected) throw conflict(kind.kind, name);
    }
    throw conflict(kind.kind, name);
  }

  /**
   * Watches a kind (or every kind when `kind` is undefined). Without a resourceVersion the
   * current objects arrive first as ADDED, as `kubectl get -w` shows them.
   */
  async watch(kind: ResourceInfo | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onError: (err: Error) => void): Promise<Unsubscribe> {
    const selector = opts.labelSelector ? parseSelectorOrThrow(opts.labelSelector) : undefined;
    const namespace = kind && !kind.namespaced ? undefined : opts.namespace;
    const accept = (ev: StoreEvent): boolean =>
      (!kind || ev.key.resource === kind.resource) &&
      (namespace === undefined || ev.key.namespace === namespace) &&
      (opts.name === undefined || ev.key.name === opts.name) &&
      (!selector || matchesLabels(selector, ev.object.metadata.labels));
    let from: number;
    if (opts.resourceVersion && opts.resourceVersion !== '0') {
      from = parseRv(opts.resourceVersion);
    } else {
      if (!kind) throw new ApiError('BadRequest', 'a watch of every kind needs a resourceVersion');
      const initial = await this.list(kind, { namespace, labelSelector: opts.labelSelector });
      for (const o of initial.items) if (opts.name === undefined || o.metadata.name === opts.name) onEvent({ type: 'ADDED', object: o });
      from = parseRv(initial.resourceVersion);
    }
    try {
      return await this.backend.watch(from, (ev) => { if (accept(ev)) onEvent({ type: ev.type, object: ev.object }); }, onError);
    } catch (err) {
      if (err instanceof WatchGoneError) throw new ApiError('Gone', err.message, undefined, { cause: err });
      throw err;
    }
  }

  private timestamp(): string {
    // Kubernetes timestamps are RFC 3339 at second precision; Capstan keeps milliseconds for ordering.
    return this.now().toISOString();
  }
}

function bodyOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...body } = obj;
  return canonicalJson(body);
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function parseRv(rv: string): number {
  const n = Number(rv);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ApiError('BadRequest', `invalid resourceVersion "${rv}"`, { causes: [{ field: 'metadata.resourceVersion', message: 'must be a resourceVersion returned by the server' }] });
  }
  return n;
}

function conflict(kind: string, name: string): ApiError {
  return new ApiError('Conflict', `Operation cannot be fulfilled on ${kind} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind });
}

function parseSelectorOrThrow(text: string): LabelSelector {
  try {
    return parseLabelSelector(text);
  } catch (err) {
    throw new ApiError('BadRequest', (err as Error).message, { causes: [{ field: 'labelSelector', message: (err as Error).message }] });
  }
}

function encodeContinue(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof v.after === 'string') return v.after;
  } catch {
    // fall through to the error below
  }
  throw new ApiError('BadRequest', 'invalid continue token', { causes: [{ field: 'continue', message: 'not a token this server issued' }] });
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

/** The annotation naming who created an object: set once at creation by the API server, never changed by updates. */
export const CREATED_BY_ANNOTATION = 'capstan.dev/created-by';

function keepCreator(cur: Record<string, string> | undefined, next: Record<string, string> | undefined): Record<string, string> | undefined {
  const creator = cur?.[CREATED_BY_ANNOTATION];
  if (creator === undefined || next?.[CREATED_BY_ANNOTATION] === creator) return next;
  return { ...next, [CREATED_BY_ANNOTATION]: creator };
}
