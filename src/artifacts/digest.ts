import { ArtifactError } from './errors.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True when `s` is a lowercase hex sha256 digest (64 chars). */
export function isSha256(s: unknown): s is string {
  return typeof s === 'string' && SHA256_HEX.test(s);
}

/** Throws InvalidDigest unless `s` is a lowercase hex sha256; returns it for chaining. */
export function assertSha256(s: unknown, field = 'sha256'): string {
  if (!isSha256(s)) {
    throw new ArtifactError('InvalidDigest', `${field} must be 64 lowercase hex characters`, { field });
  }
  return s;
}

/** Storage key of a blob relative to the store root: `blobs/sha256/ab/abcdef…` (fan-out keeps directories small). */
export function blobKey(sha256: string): string {
  return `blobs/sha256/${sha256.slice(0, 2)}/${sha256}`;
}
