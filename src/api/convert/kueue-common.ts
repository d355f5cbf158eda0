/**
 * Shared steps of converting Kueue (kueue.x-k8s.io/v1beta1) manifests into Capstan kinds: the
 * envelope is rewritten, known fields are copied, and any field Capstan does not support is an
 * error that names it (never silently dropped).
 */
import { ApiError, type StatusCause } from '../errors.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION } from '../kind.js';

/** The Kueue API version Capstan accepts. */
export const KUEUE_API_VERSION = 'kueue.x-k8s.io/v1beta1';
/** Capstan's API version for converted objects. */
export const CAPSTAN_API_VERSION = `${CAPSTAN_GROUP}/${CAPSTAN_VERSION}`;

/** A plain object view of an unknown value (empty when it is not a mapping). */
export function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Throws BadRequest naming every cause (one per unsupported field). */
export function rejectFields(source: string, causes: StatusCause[]): void {
  if (causes.length === 0) return;
  const list = causes.map((c) => `${c.field}: ${c.message}`).join('; ');
  throw new ApiError('BadRequest', `${source} cannot be converted: ${list}`, { causes });
}

/** A cause for a field Capstan knows but does not support. */
export function unsupported(field: string, why = 'not supported by Capstan'): StatusCause {
  return { reason: 'FieldValueNotSupported', field, message: why };
}

/** Causes for keys of `obj` that are not in `allowed` (named by their full path). */
export function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string): StatusCause[] {
  return Object.keys(obj).filter((k) => !allowed.includes(k)).map((k) => unsupported(`${path}.${k}`, 'unknown or unsupported field'));
}

/**
 * Metadata of a converted object: user-meaningful fields are kept; a cluster-scoped target drops a
 * namespace (Kueue's cluster-scoped kinds have none anyway) instead of failing on it.
 */
export function convertMetadata(meta: unknown, clusterScoped: boolean): Record<string, unknown> {
  const m = asRecord(meta);
  const out: Record<string, unknown> = {};
  for (const k of ['name', 'generateName', 'namespace', 'labels', 'annotations', 'resourceVersion']) {
    if (m[k] === undefined) continue;
    if (clusterScoped && k === 'namespace') continue;
    out[k] = m[k];
  }
  return out;
}

/** The envelope checks every conversion shares: only apiVersion/kind/metadata plus `allowedTop`. */
export function checkEnvelope(obj: Record<string, unknown>, source: string, allowedTop: readonly string[]): void {
  rejectFields(source, unknownKeys(obj, ['apiVersion', 'kind', 'metadata', 'status', ...allowedTop], '').map((c) => ({ ...c, field: (c.field ?? '').replace(/^\./, '') })));
}
