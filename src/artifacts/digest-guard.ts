import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback, type Readable } from 'node:stream';
import { ArtifactError, artifactErrorFromIo } from './errors.js';
import { assertSha256 } from './digest.js';
import type { PutOptions } from './blob-store.js';

/** Validates PutOptions at the boundary so a bad option is a typed error naming the field. */
export function validatePutOptions(opts: PutOptions): void {
  if (opts.expectedSha256 !== undefined) assertSha256(opts.expectedSha256, 'expectedSha256');
  for (const field of ['expectedSize', 'maxBytes'] as const) {
    const v = opts[field];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new ArtifactError('SizeMismatch', `${field} must be a non-negative integer`, { field });
    }
  }
  if (opts.expectedSize !== undefined && opts.maxBytes !== undefined && opts.expectedSize > opts.maxBytes) {
    throw new ArtifactError('TooLarge', `expectedSize ${opts.expectedSize} exceeds the limit of ${opts.maxBytes} bytes`, {
      field: 'expectedSize',
    });
  }
}

/**
 * Pass-through that hashes and counts bytes. It fails as soon as a limit is crossed (so a huge
 * body is cut off early) and, at the end, before passing the end downstream, rejects a wrong
 * size or digest: the sink never sees a clean end for bad bytes, so it never commits them.
 */
export class DigestGuard extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private digest: string | undefined;

  constructor(private readonly opts: PutOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    const { maxBytes, expectedSize } = this.opts;
    if (maxBytes !== undefined && this.bytes > maxBytes) {
      cb(new ArtifactError('TooLarge', `body exceeds the limit of ${maxBytes} bytes`, { field: 'maxBytes' }));
      return;
    }
    if (expectedSize !== undefined && this.bytes > expectedSize) {
      cb(new ArtifactError('SizeMismatch', `body is larger than the declared ${expectedSize} bytes`, { field: 'expectedSize' }));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const { expectedSize, expectedSha256 } = this.opts;
    if (expectedSize !== undefined && this.bytes !== expectedSize) {
      cb(new ArtifactError('SizeMismatch', `body has ${this.bytes} bytes, declared ${expectedSize}`, { field: 'expectedSize' }));
      return;
    }
    const digest = this.hash.digest('hex');
    if (expectedSha256 !== undefined && digest !== expectedSha256) {
      cb(new ArtifactError('DigestMismatch', `body has sha256 ${digest}, declared ${expectedSha256}`, { field: 'expectedSha256' }));
      return;
    }
    this.digest = digest;
    cb();
  }

  /** Digest and size; only valid after the stream finished cleanly. */
  result(): { sha256: string; size: number } {
    if (this.digest === undefined) throw new Error('DigestGuard.result() called before a clean end');
    return { sha256: this.digest, size: this.bytes };
  }
}

/** Remembers whether the source stream itself failed, so its failure maps to Aborted not to an I/O error. */
export function watchSource(body: Readable): { failed: () => boolean } {
  let failed = false;
  body.once('error', () => {
    failed = true;
  });
  body.once('aborted', () => {
    failed = true;
  });
  return { failed: () => failed };
}

/** Turns whatever a put pipeline threw into the ArtifactError the caller should see. */
export function classifyPutError(
  err: unknown,
  ctx: { sourceFailed: boolean; sinkFailed?: boolean; signal?: AbortSignal; what: string },
): ArtifactError {
  if (err instanceof ArtifactError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (ctx.signal?.aborted || e?.name === 'AbortError') {
    return new ArtifactError('Aborted', 'upload aborted', { cause: err });
  }
  // the pipeline re-emits a sink failure on the source too, so the sink flag must win
  if (ctx.sinkFailed) return artifactErrorFromIo(err, ctx.what);
  if (ctx.sourceFailed || e?.code === 'ERR_STREAM_PREMATURE_CLOSE' || e?.code === 'ECONNRESET') {
    return new ArtifactError('Aborted', `upload source failed: ${e?.message ?? String(err)}`, { cause: err });
  }
  return artifactErrorFromIo(err, ctx.what);
}
