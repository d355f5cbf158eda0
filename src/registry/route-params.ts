/** Path and query parameters of the registry routes, checked before any work (400 naming the field). */
import { badRequest } from '../api/errors.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../api/meta.js';
import { isSha256 } from '../artifacts/index.js';

/** Prefix of every registry route: a project's capstan.dev/v1alpha1 resources. */
export const REGISTRY_PREFIX = '/apis/capstan.dev/v1alpha1/namespaces/:namespace';

/** Params as fastify hands them over. */
export type RawParams = Record<string, string | undefined>;

/** The project of a route, checked as a DNS-1123 label. */
export function namespaceParam(p: RawParams): string {
  const ns = p.namespace ?? '';
  if (ns.length > 63 || !DNS1123_LABEL.test(ns)) throw badRequest(`invalid project "${ns.slice(0, 80)}": must be a lowercase DNS-1123 label`, 'metadata.namespace');
  return ns;
}

/** An object name param (model or version), checked as a DNS-1123 subdomain. */
export function nameParam(p: RawParams, key: string, field = 'metadata.name'): string {
  const n = p[key] ?? '';
  if (n.length === 0 || n.length > 253 || !DNS1123_SUBDOMAIN.test(n)) throw badRequest(`invalid name "${n.slice(0, 80)}": must be a lowercase DNS-1123 name`, field);
  return n;
}

/** The optional X-Content-Sha256 header: undefined, or a lowercase digest (400 otherwise). */
export function sha256Header(h: string | string[] | undefined): string | undefined {
  if (h === undefined) return undefined;
  const v = (Array.isArray(h) ? h[0] : h).trim().toLowerCase().replace(/^sha256:/, '');
  if (!isSha256(v)) throw badRequest('X-Content-Sha256 must be 64 hex characters (optionally prefixed sha256:)', 'X-Content-Sha256');
  return v;
}

/** A string query parameter (first value when repeated). */
export function queryString(q: unknown, key: string): string | undefined {
  const v = (q as Record<string, unknown> | undefined)?.[key];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return typeof v === 'string' ? v : undefined;
}
