/**
 * The resource routes' query parameters, read strictly: a value the server cannot honour is a 400
 * naming the parameter, never something passed on to the store (where `limit=1e99` used to reach
 * SQLite as a float and come back as a 500).
 */
import { badRequest } from '../api/errors.js';

/** Largest page a list answers: more is paged with `continue` (kubectl pages by 500). */
export const MAX_LIST_LIMIT = 10_000;
/** Longest watch a client may ask for: a day (node timers hold at most ~24.8 days). */
export const MAX_TIMEOUT_SECONDS = 86_400;

/** The query as single strings: a parameter given twice (`?limit=1&limit=2`) is a 400 naming it (pure). */
export function singleValuedQuery(query: unknown): Record<string, string | undefined> {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(q)) {
    if (typeof v !== 'string') throw badRequest(`query parameter ${k.slice(0, 40)} must be given once`, k.slice(0, 40));
  }
  return q as Record<string, string | undefined>;
}

/** An integer written in plain decimal digits within [0, max], or a 400 naming `field` (pure). */
function boundedInteger(v: string, field: string, max: number, what: string): number {
  // Only digits: Number() would also take "1e3", "0x10", " 7 " and "1.0".
  const n = /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > max) throw badRequest(`${field} must be ${what} from 0 to ${max}, got "${v.slice(0, 40)}"`, field);
  return n;
}

/** `limit`: undefined (no limit) or 0 … MAX_LIST_LIMIT (0 means no limit, as in Kubernetes). */
export function parseLimit(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  return boundedInteger(v, 'limit', MAX_LIST_LIMIT, 'a whole number');
}

/** `timeoutSeconds` of a watch: undefined (until the client leaves) or 0 … MAX_TIMEOUT_SECONDS. */
export function parseTimeoutSeconds(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  return boundedInteger(v, 'timeoutSeconds', MAX_TIMEOUT_SECONDS, 'a whole number of seconds');
}

/** `resourceVersion`: undefined, or the decimal form the server issues (checked here so the store sees only those). */
export function parseResourceVersion(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  boundedInteger(v, 'resourceVersion', Number.MAX_SAFE_INTEGER, 'a resourceVersion returned by the server: a whole number');
  return v;
}

/** `fieldSelector`: only `metadata.name=X` is supported, which is what `kubectl get -w NAME` sends. */
export function parseNameFieldSelector(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  const m = /^metadata\.name=([a-z0-9.-]{1,253})$/.exec(v);
  if (!m) throw badRequest(`unsupported fieldSelector "${v.slice(0, 80)}": only metadata.name=NAME`, 'fieldSelector');
  return m[1];
}
