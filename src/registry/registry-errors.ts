/** Maps the artifact layer's error codes to API Status reasons, in one place for the registry. */
import { ApiError, type StatusReason } from '../api/errors.js';
import { ArtifactError, type ArtifactErrorCode } from '../artifacts/index.js';

const REASONS: Record<ArtifactErrorCode, StatusReason> = {
  DigestMismatch: 'Invalid',
  SizeMismatch: 'Invalid',
  TooLarge: 'RequestEntityTooLarge',
  NotFound: 'NotFound',
  InvalidDigest: 'BadRequest',
  InvalidPath: 'BadRequest',
  InvalidManifest: 'Invalid',
  InvalidRange: 'BadRequest',
  UnsupportedEncoding: 'UnsupportedMediaType',
  // 507 is not a Status reason; 503 with a message saying why is the closest clean failure
  NoSpace: 'ServiceUnavailable',
  Aborted: 'BadRequest',
  Unavailable: 'ServiceUnavailable',
};

/** An ApiError for anything the registry's artifact handling throws (ApiErrors pass through). */
export function registryApiError(err: unknown, field?: string): unknown {
  if (!(err instanceof ArtifactError)) return err;
  const f = err.field ?? field;
  const msg = err.code === 'NoSpace' ? `the artifact store is out of space: ${err.message}; nothing was stored` : err.message;
  return new ApiError(REASONS[err.code], msg, f ? { causes: [{ reason: err.code, field: f, message: err.message }] } : undefined, { cause: err });
}
