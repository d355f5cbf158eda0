/**
 * Turns whatever a call to a cluster threw into a value: a stable reason for conditions, the
 * cluster's own message, and whether retrying can help. Pure: no I/O.
 */

/** Why a call to a cluster failed. */
export type KubeFailureReason =
  | 'ClusterUnreachable'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NamespaceTerminating'
  | 'QuotaExceeded'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'TooManyRequests'
  | 'ClusterError'
  | 'Timeout'
  | 'ConfigError'
  | 'NoMatchingNodes'
  | 'NamespaceNotOwned';

/** A classified failure. */
export interface KubeFailure {
  reason: KubeFailureReason;
  /** HTTP status, when the cluster answered. */
  code?: number;
  /** The cluster's own message (its Status.message), or the network error. */
  message: string;
  /** False only when nothing but a change of the Capstan object can help (422 Invalid, bad config). */
  retryable: boolean;
}

/** An error carrying a classified failure (what the runtime throws). */
export class KubeError extends Error {
  constructor(readonly failure: KubeFailure, options?: { cause?: unknown }) {
    super(failure.message, options);
    this.name = 'KubeError';
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string; field?: string }[] };
}

function parseBody(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body.slice(0, 500) };
    }
  }
  if (body && typeof body === 'object') return body as StatusBody;
  return undefined;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET']);

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === 'string' && NETWORK_CODES.has(errno)) return errno;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Classifies an HTTP status and the cluster's Status body. */
export function classifyStatus(code: number, body: unknown): KubeFailure {
  const status = parseBody(body);
  const message = status?.message || `the cluster answered HTTP ${code}`;
  const causes = status?.details?.causes ?? [];
  if (code === 401) return { reason: 'Unauthorized', code, message, retryable: true };
  if (code === 403) {
    if (causes.some((c) => c.reason === 'NamespaceTerminating') || /being terminated/.test(message)) return { reason: 'NamespaceTerminating', code, message, retryable: true };
    if (/exceeded quota/.test(message)) return { reason: 'QuotaExceeded', code, message, retryable: true };
    return { reason: 'Forbidden', code, message, retryable: true };
  }
  if (code === 404) return { reason: 'NotFound', code, message, retryable: true };
  if (code === 409) return { reason: status?.reason === 'AlreadyExists' ? 'AlreadyExists' : 'Conflict', code, message, retryable: true };
  if (code === 422 || code === 400) return { reason: 'Invalid', code, message, retryable: false };
  if (code === 429) return { reason: 'TooManyRequests', code, message, retryable: true };
  if (code === 504) return { reason: 'Timeout', code, message, retryable: true };
  return { reason: 'ClusterError', code, message, retryable: true };
}

/** Classifies anything thrown by a call to a cluster. */
export function classifyError(err: unknown): KubeFailure {
  if (err instanceof KubeError) return err.failure;
  const e = err as { code?: unknown; body?: unknown; message?: unknown };
  if (typeof e?.code === 'number' && e.code >= 300) return classifyStatus(e.code, e.body);
  const net = networkCode(err);
  const msg = typeof e?.message === 'string' ? e.message : String(err);
  if (net) return { reason: 'ClusterUnreachable', message: `cannot reach the cluster's API server: ${msg}`, retryable: true };
  if (/timed out|aborted/i.test(msg)) return { reason: 'Timeout', message: msg, retryable: true };
  if (/fetch failed|socket hang up|network/i.test(msg)) return { reason: 'ClusterUnreachable', message: `cannot reach the cluster's API server: ${msg}`, retryable: true };
  return { reason: 'ClusterError', message: msg, retryable: true };
}

/** Exponential backoff with a cap: attempt 0 → base, doubling up to max (deterministic: no jitter). */
export function backoffDelayMs(attempt: number, baseMs = 1000, maxMs = 5 * 60_000): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 20));
}
