import type { GetRange } from './blob-store.js';
import { ArtifactError } from './errors.js';

/** An inclusive byte range within a blob. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Resolves a requested range against a blob size (pure). Returns null for "no bytes" (an empty
 * blob read whole); throws InvalidRange when the range cannot be satisfied.
 */
export function resolveRange(range: GetRange, size: number): ByteRange | null {
  const { start = 0, end } = range;
  for (const [field, v] of [['start', start], ['end', end]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new ArtifactError('InvalidRange', `${field} must be a non-negative integer`, { field });
    }
  }
  if (size === 0 && start === 0 && end === undefined) return null;
  if (start >= size) {
    throw new ArtifactError('InvalidRange', `start ${start} is beyond the blob size ${size}`, { field: 'start' });
  }
  if (end !== undefined && end < start) {
    throw new ArtifactError('InvalidRange', `end ${end} is before start ${start}`, { field: 'end' });
  }
  return { start, end: end === undefined ? size - 1 : Math.min(end, size - 1) };
}

/** What an HTTP `Range` header asks for: nothing usable (serve whole), an unsatisfiable range (416) or one range. */
export type RangeRequest = { kind: 'whole' } | { kind: 'unsatisfiable' } | ({ kind: 'partial' } & ByteRange);

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * Parses an HTTP Range header (RFC 9110 §14.2) against a size (pure). Only a single byte range is
 * honoured; malformed or multi-range headers are ignored (serve the whole body), as the RFC permits.
 */
export function parseRangeHeader(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' };
  const m = SINGLE_RANGE.exec(header.trim().replace(/\s+/g, ''));
  if (m === null) return { kind: 'whole' };
  const [, first, last] = m;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // suffix range: the last N bytes
    const n = Number(last);
    if (!Number.isSafeInteger(n)) return { kind: 'whole' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'whole' };
  if (last !== '' && end < start) return { kind: 'whole' }; // invalid syntax: ignore the header
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}
