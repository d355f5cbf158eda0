/** Structural equality of JSON-like statuses, ignoring key order (writes only when something changed). */
import { canonicalJson } from '../store/canonical-json.js';

/** True when a and b serialize to the same canonical JSON. */
export function canonicalEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
