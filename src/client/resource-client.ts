/**
 * The one client interface to Capstan objects, used alike by controllers (in process), the
 * HTTP routes, the CLI and tests (over HTTP).
 */
import type { Kind } from '../api/kind.js';
import type { KubeObject } from '../api/meta.js';
import type { ListOptions, ListResult, WatchEvent, WatchOptions } from '../store/object-store.js';

export type { ListOptions, ListResult, WatchEvent, WatchOptions };

/** What `apply` did. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** CRUD, patch, apply and watch over every kind. */
export interface ResourceClient {
  get(kind: Kind, namespace: string | undefined, name: string): Promise<KubeObject>;
  tryGet(kind: Kind, namespace: string | undefined, name: string): Promise<KubeObject | undefined>;
  list(kind: Kind, opts?: ListOptions): Promise<ListResult>;
  create(kind: Kind, obj: unknown): Promise<KubeObject>;
  update(kind: Kind, obj: unknown): Promise<KubeObject>;
  /** Writes `obj.status` through the status subresource (CAS on obj.metadata.resourceVersion when set). */
  updateStatus(kind: Kind, obj: KubeObject): Promise<KubeObject>;
  /** RFC 7386 merge patch of the main resource. */
  patch(kind: Kind, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject>;
  /** Create-or-update from a full manifest, as `kubectl apply` is used. */
  apply(kind: Kind, obj: unknown): Promise<{ object: KubeObject; action: ApplyAction }>;
  delete(kind: Kind, namespace: string | undefined, name: string, opts?: { resourceVersion?: string }): Promise<KubeObject>;
  watch(kind: Kind, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onError: (err: Error) => void): Promise<() => void>;
}
