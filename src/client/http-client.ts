/**
 * ResourceClient over Capstan's HTTP API (what the CLI and end-to-end tests use). Errors
 * come back as the server's Status, rebuilt into ApiError.
 */
import { ApiError, STATUS_REASONS, type StatusObject, type StatusReason } from '../api/errors.js';
import type { Kind } from '../api/kind.js';
import type { KubeObject } from '../api/meta.js';
import type { ApplyAction, ListOptions, ListResult, ResourceClient, WatchEvent, WatchOptions } from './resource-client.js';

/** Where and as whom to connect. */
export interface HttpClientOptions {
  server: string;
  token?: string;
  /** Per-request timeout for non-watch calls. */
  timeoutMs?: number;
}

/** The URL path of a kind's collection or object. */
export function resourcePath(kind: Kind, namespace?: string, name?: string, subresource?: string): string {
  let p = `/apis/${kind.group}/${kind.version}`;
  if (kind.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${kind.plural}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

/** ResourceClient over HTTP. */
export class HttpClient implements ResourceClient {
  private readonly base: string;

  constructor(private readonly opts: HttpClientOptions) {
    this.base = opts.server.replace(/\/+$/, '');
  }

  /** Sends a request and returns the parsed JSON body; a non-2xx answer throws ApiError. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<{ body: T; headers: Headers; status: number }> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
          ...(body !== undefined ? { 'content-type': contentType } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new ApiError('ServiceUnavailable', `cannot reach the Capstan server at ${this.base}: ${(err as Error).cause ? String((err as { cause: { message?: string } }).cause.message) : (err as Error).message}`, undefined, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) throw statusToError(res.status, parsed);
    return { body: parsed as T, headers: res.headers, status: res.status };
  }

  async get(kind: Kind, namespace: string | undefined, name: string): Promise<KubeObject> {
    return (await this.request<KubeObject>('GET', resourcePath(kind, namespace, name))).body;
  }

  async tryGet(kind: Kind, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    try {
      return await this.get(kind, namespace, name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  async list(kind: Kind, opts: ListOptions = {}): Promise<ListResult> {
    const q = new URLSearchParams();
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.limit) q.set('limit', String(opts.limit));
    if (opts.continue) q.set('continue', opts.continue);
    const qs = q.toString();
    const { body } = await this.request<{ items: KubeObject[]; metadata: { resourceVersion: string; continue?: string } }>('GET', resourcePath(kind, opts.namespace) + (qs ? `?${qs}` : ''));
    return { items: body.items, resourceVersion: body.metadata.resourceVersion, ...(body.metadata.continue ? { continue: body.metadata.continue } : {}) };
  }

  async create(kind: Kind, obj: unknown): Promise<KubeObject> {
    const ns = (obj as KubeObject)?.metadata?.namespace;
    return (await this.request<KubeObject>('POST', resourcePath(kind, ns), obj)).body;
  }

  async update(kind: Kind, obj: unknown): Promise<KubeObject> {
    const o = obj as KubeObject;
    return (await this.request<KubeObject>('PUT', resourcePath(kind, o.metadata.namespace, o.metadata.name), obj)).body;
  }

  async updateStatus(kind: Kind, obj: KubeObject): Promise<KubeObject> {
    return (await this.request<KubeObject>('PUT', resourcePath(kind, obj.metadata.namespace, obj.metadata.name, 'status'), obj)).body;
  }

  async patch(kind: Kind, namespace: string | undefined, name: string, patch: unknown): Promise<KubeObject> {
    return (await this.request<KubeObject>('PATCH', resourcePath(kind, namespace, name), patch, 'application/merge-patch+json')).body;
  }

  async apply(kind: Kind, obj: unknown): Promise<{ object: KubeObject; action: ApplyAction }> {
    const o = obj as KubeObject;
    const res = await this.request<KubeObject>('PATCH', resourcePath(kind, o.metadata?.namespace, o.metadata?.name ?? ''), obj, 'application/apply-patch+json');
    return { object: res.body, action: (res.headers.get('x-capstan-apply') as ApplyAction | null) ?? 'configured' };
  }

  async delete(kind: Kind, namespace: string | undefined, name: string, opts: { resourceVersion?: string } = {}): Promise<KubeObject> {
    const qs = opts.resourceVersion ? `?resourceVersion=${encodeURIComponent(opts.resourceVersion)}` : '';
    return (await this.request<KubeObject>('DELETE', resourcePath(kind, namespace, name) + qs)).body;
  }

  /** Streams newline-delimited watch events until the returned function is called. */
  async watch(kind: Kind, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, onError: (err: Error) => void): Promise<() => void> {
    const q = new URLSearchParams({ watch: 'true' });
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.resourceVersion) q.set('resourceVersion', opts.resourceVersion);
    if (opts.name) q.set('fieldSelector', `metadata.name=${opts.name}`);
    const ac = new AbortController();
    const res = await fetch(`${this.base}${resourcePath(kind, opts.namespace)}?${q}`, {
      headers: this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {},
      signal: ac.signal,
    });
    if (!res.ok || !res.body) {
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep text
      }
      throw statusToError(res.status, parsed);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) onEvent(JSON.parse(line) as WatchEvent);
          }
        }
        if (!ac.signal.aborted) onError(new Error('watch closed by the server'));
      } catch (err) {
        if (!ac.signal.aborted) onError(err as Error);
      }
    })();
    return () => ac.abort();
  }
}

/** Rebuilds an ApiError from an HTTP status and a body that may be a Status. */
export function statusToError(code: number, body: unknown): ApiError {
  const s = body as Partial<StatusObject> | undefined;
  if (s && typeof s === 'object' && s.kind === 'Status' && typeof s.reason === 'string' && s.reason in STATUS_REASONS) {
    return new ApiError(s.reason as StatusReason, s.message ?? s.reason, s.details);
  }
  const reason = (Object.entries(STATUS_REASONS).find(([, c]) => c === code)?.[0] ?? 'InternalError') as StatusReason;
  return new ApiError(reason, typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${code}`);
}
