/** Stable codes for every failure the artifact layer reports; the API maps them to HTTP in one place. */
export const ARTIFACT_ERROR_CODES = [
  'DigestMismatch',
  'SizeMismatch',
  'TooLarge',
  'NotFound',
  'InvalidDigest',
  'InvalidPath',
  'InvalidManifest',
  'InvalidRange',
  'UnsupportedEncoding',
  'NoSpace',
  'Aborted',
  'Unavailable',
] as const;

/** One of the stable artifact error codes. */
export type ArtifactErrorCode = (typeof ARTIFACT_ERROR_CODES)[number];

/** Suggested HTTP status per code (Aborted has no real reader: the client is gone, 400 is for logs). */
export const ARTIFACT_ERROR_HTTP_STATUS: Readonly<Record<ArtifactErrorCode, number>> = Object.freeze({
  DigestMismatch: 422,
  SizeMismatch: 422,
  TooLarge: 413,
  NotFound: 404,
  InvalidDigest: 400,
  InvalidPath: 400,
  InvalidManifest: 422,
  InvalidRange: 416,
  UnsupportedEncoding: 415,
  NoSpace: 507,
  Aborted: 400,
  Unavailable: 503,
});

/** A failure of the artifact layer, carrying a stable code, an optional field name and the original cause. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  readonly code: ArtifactErrorCode;
  /** The input that was wrong (e.g. `expectedSha256`, `files[3].path`), when one was. */
  readonly field: string | undefined;

  constructor(code: ArtifactErrorCode, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.field = opts.field;
  }

  /** The HTTP status the API should answer with. */
  get httpStatus(): number {
    return ARTIFACT_ERROR_HTTP_STATUS[this.code];
  }
}

/** True when `err` is an ArtifactError (optionally with the given code). */
export function isArtifactError(err: unknown, code?: ArtifactErrorCode): err is ArtifactError {
  return err instanceof ArtifactError && (code === undefined || err.code === code);
}

/** Maps an OS-level error to an ArtifactError; ENOSPC/EDQUOT become NoSpace, anything else Unavailable. */
export function artifactErrorFromIo(err: unknown, what: string): ArtifactError {
  if (err instanceof ArtifactError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ArtifactError('NoSpace', `no space left while ${what}`, { cause: err });
  }
  if (code === 'ENOENT') return new ArtifactError('NotFound', `not found while ${what}`, { cause: err });
  return new ArtifactError('Unavailable', `storage failed while ${what}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
