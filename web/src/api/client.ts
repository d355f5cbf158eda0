/** The dashboard's HTTP client for the public Capstan API: bearer token, Status errors in words. */

/** One field-level cause in a Kubernetes Status. */
export interface StatusCause {
  reason?: string;
  field?: string;
  message?: string;
}

/** A Kubernetes Status object as the server sends it for every error. */
export interface Status {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
}

/** An API error carrying the server's Status, so pages can show its words and field causes. */
export class ApiError extends Error {
  constructor(readonly status: Status, readonly httpStatus: number) {
    super(status.message || status.reason || `HTTP ${httpStatus}`);
  }
  /** Field causes (may be empty). */
  get causes(): StatusCause[] {
    return this.status.details?.causes ?? [];
  }
}

/** Object metadata the dashboard relies on. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string; uid?: string }>;
  [k: string]: unknown;
}

/** Any API object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

/** A list reply. */
export interface ObjectList {
  metadata: { resourceVersion?: string; continue?: string };
  items: KubeObject[];
}

const TOKEN_KEY = 'capstan.token';

/** The signed-in token, if any (kept in localStorage so a reload stays signed in). */
export function storedToken(): string | undefined {
  try {
    return localStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Saves or clears the token. */
export function storeToken(token: string | undefined): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Private mode without storage: the session lasts until reload.
  }
}

/** Listeners told when the server says the token is no longer good (so the app shows sign-in). */
const unauthorizedListeners = new Set<() => void>();

/** Subscribes to "token rejected" notifications. */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

/** Options of one request. */
export interface RequestOptions {
  method?: string;
  body?: string;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  token?: string;
}

/** What a signed-in session stores instead of a token: the session itself is an httpOnly cookie. */
export const SESSION_MARK = 'session';

/** The credentials header of a request: the bearer token, or (for a password session, whose cookie the browser sends) the CSRF header on writes. */
export function authHeaders(method: string, token = storedToken()): Record<string, string> {
  if (!token) return {};
  if (token !== SESSION_MARK) return { authorization: `Bearer ${token}` };
  if (method === 'GET' || method === 'HEAD') return {};
  const csrf = /(?:^|;\s*)capstan_csrf=([^;]+)/.exec(document.cookie)?.[1];
  return csrf ? { 'x-capstan-csrf': csrf } : {};
}

/** Sends a request to the API and returns the raw Response, throwing ApiError on a non-2xx. */
export async function apiFetch(path: string, opts: RequestOptions = {}): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', ...authHeaders(method, opts.token ?? storedToken()) };
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: opts.body, signal: opts.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ reason: 'ServiceUnavailable', message: 'The Capstan server cannot be reached. Is it running? (capstan up)' }, 0);
  }
  if (res.ok) return res;
  let status: Status;
  const text = await res.text();
  try {
    status = JSON.parse(text) as Status;
  } catch {
    status = { message: text.slice(0, 300) || res.statusText };
  }
  if (res.status === 401 && opts.token === undefined) for (const fn of unauthorizedListeners) fn();
  throw new ApiError(status, res.status);
}

/** GET/POST/PATCH/... returning parsed JSON. */
export async function apiJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await apiFetch(path, opts);
  return (await res.json()) as T;
}

/** A message for any error, in words a person can act on. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const s = err.status;
    const base = s.message || s.reason || `The server answered ${err.httpStatus}`;
    if (err.httpStatus === 403) return `Not allowed: ${base}`;
    if (err.httpStatus === 404) return `Not found: ${base}`;
    return base;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
