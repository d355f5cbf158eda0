import { randomUUID } from 'node:crypto';
import { Readable, Transform, pipeline as pipelineCb } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobInfo, BlobStore, GetRange, PutOptions, PutResult } from './blob-store.js';
import { assertSha256, blobKey, isSha256 } from './digest.js';
import { DigestGuard, classifyPutError, validatePutOptions, watchSource } from './digest-guard.js';
import { ArtifactError } from './errors.js';
import { resolveRange, type ByteRange } from './byte-range.js';
import { copyObjectAnySize } from './s3-copy.js';

/** Options of S3BlobStore: where the bucket is, how to authenticate, and the key prefix. */
export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (e.g. `capstan/`); a trailing slash is added when missing. */
  prefix?: string;
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Needed by most S3-compatible servers (MinIO, s3rver, Ceph): `endpoint/bucket/key` URLs. */
  forcePathStyle?: boolean;
  /** Multipart part size (min 5 MiB). Memory per upload is about partSize × queueSize. */
  partSize?: number;
  /** Parts uploaded in parallel per put. */
  queueSize?: number;
  /** Use this client instead of building one (the store then does not destroy it on close). */
  client?: S3Client;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** S3 rejects multipart parts under 5 MiB (except the last). */
const MIN_PART_SIZE = 5 * 1024 * 1024;

/**
 * S3-compatible BlobStore. With a declared sha256 the body streams straight to the final key as a
 * multipart upload that is completed only after the digest checks out; without one it streams to
 * `tmp/<uuid>` and is copied server-side to `blobs/sha256/ab/<sha>` once the digest is known.
 * An upload that fails is aborted, so nothing partial is ever visible under `blobs/`.
 */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(private readonly opts: S3BlobStoreOptions) {
    this.bucket = opts.bucket;
    this.prefix = opts.prefix === undefined || opts.prefix === '' ? '' : opts.prefix.replace(/\/*$/, '/');
    this.description = `s3://${opts.bucket}/${this.prefix}`;
    this.ownsClient = opts.client === undefined;
    const config: S3ClientConfig = {
      region: opts.region ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? false,
    };
    if (opts.endpoint !== undefined) config.endpoint = opts.endpoint;
    if (opts.credentials !== undefined) config.credentials = opts.credentials;
    this.client = opts.client ?? new S3Client(config);
  }

  /** Releases the HTTP agent of a client this store built. */
  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  private key(sha256: string): string {
    return this.prefix + blobKey(sha256);
  }

  async put(body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    validatePutOptions(opts);
    if (opts.signal?.aborted) {
      body.destroy();
      throw new ArtifactError('Aborted', 'upload aborted before it started');
    }
    const source = watchSource(body);
    const guard = new DigestGuard(opts);
    const guarded = pipelineCb(body, guard, () => undefined);
    const aborter = new AbortController();
    const onAbort = (): void => aborter.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const direct = opts.expectedSha256 !== undefined;
    const tmpKey = `${this.prefix}tmp/${randomUUID()}`;
    try {
      const created = direct ? !(await this.has(opts.expectedSha256 as string)) : undefined;
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: direct ? this.key(opts.expectedSha256 as string) : tmpKey, Body: guarded },
        partSize: Math.max(this.opts.partSize ?? DEFAULT_PART_SIZE, MIN_PART_SIZE),
        queueSize: this.opts.queueSize ?? 4,
        leavePartsOnError: false,
        abortController: aborter,
      });
      await upload.done();
      const { sha256, size } = guard.result();
      if (direct) return { sha256, size, created: created as boolean };
      try {
        const existed = await this.has(sha256);
        // copying even when it exists refreshes LastModified, so GC's grace period covers this re-upload
        await copyObjectAnySize(this.client, this.bucket, tmpKey, this.key(sha256), size);
        return { sha256, size, created: !existed };
      } finally {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey })).catch(() => undefined);
      }
    } catch (err) {
      const typed = classifyPutError(unwrapUploadError(err, guard), {
        sourceFailed: source.failed(),
        signal: opts.signal,
        what: 'uploading a blob to S3',
      });
      body.destroy();
      guard.destroy();
      throw typed;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await this.stat(sha256);
      return true;
    } catch (err) {
      if (err instanceof ArtifactError && err.code === 'NotFound') return false;
      throw err;
    }
  }

  async stat(sha256: string): Promise<{ size: number; mtime: Date }> {
    assertSha256(sha256);
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(sha256) }));
      return { size: h.ContentLength ?? 0, mtime: h.LastModified ?? new Date(0) };
    } catch (err) {
      throw s3Error(err, `blob ${sha256}`);
    }
  }

  async get(sha256: string, range: GetRange = {}): Promise<Readable> {
    assertSha256(sha256);
    let rangeHeader: string | undefined;
    let wanted: ByteRange | null = null;
    if (range.start !== undefined || range.end !== undefined) {
      const { size } = await this.stat(sha256);
      wanted = resolveRange(range, size);
      if (wanted === null) return Readable.from([]);
      rangeHeader = `bytes=${wanted.start}-${wanted.end}`;
    }
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(sha256), ...(rangeHeader ? { Range: rangeHeader } : {}) }),
      );
      if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject returned a non-stream body');
      // some S3-compatible servers (s3rver with `bytes=0-0`) ignore a range and send everything; cut it here
      if (wanted !== null && out.ContentLength !== wanted.end - wanted.start + 1) {
        const sentFrom = Number(/^bytes (\d+)-/.exec(out.ContentRange ?? '')?.[1] ?? 0);
        return sliceStream(out.Body, { start: wanted.start - sentFrom, end: wanted.end - sentFrom });
      }
      return out.Body;
    } catch (err) {
      throw s3Error(err, `blob ${sha256}`);
    }
  }

  async delete(sha256: string): Promise<boolean> {
    // S3 DeleteObject succeeds for absent keys, so ask first to report whether something was removed
    if (!(await this.has(sha256))) return false;
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(sha256) }));
      return true;
    } catch (err) {
      throw s3Error(err, `blob ${sha256}`);
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = `${this.prefix}blobs/sha256/`;
    for await (const obj of this.listObjects(base)) {
      const rest = obj.key.slice(base.length);
      const [fan, sha, extra] = rest.split('/');
      if (extra !== undefined || !isSha256(sha) || !sha.startsWith(fan)) continue;
      yield { sha256: sha, size: obj.size, mtime: obj.mtime };
    }
  }

  async cleanupTemp(olderThan: Date): Promise<number> {
    let removed = 0;
    for await (const obj of this.listObjects(`${this.prefix}tmp/`)) {
      if (obj.mtime.getTime() >= olderThan.getTime()) continue;
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: obj.key })).catch(() => undefined);
      removed++;
    }
    removed += await this.abortStaleMultipartUploads(olderThan);
    return removed;
  }

  /** Uploads a crashed process never completed or aborted still cost storage; abort the old ones. */
  private async abortStaleMultipartUploads(olderThan: Date): Promise<number> {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key === undefined || u.UploadId === undefined || (u.Initiated?.getTime() ?? 0) >= olderThan.getTime()) continue;
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }));
          removed++;
        }
        if (!page.IsTruncated) return removed;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (err) {
      // some S3-compatible servers (s3rver) lack this call; a bucket lifecycle rule covers them
      if ((err as { name?: string }).name === 'NotImplemented') return removed;
      throw s3Error(err, 'listing multipart uploads');
    }
  }

  private async *listObjects(prefix: string): AsyncIterable<{ key: string; size: number; mtime: Date }> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (err) {
        throw s3Error(err, `listing ${prefix}`);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        yield { key: o.Key, size: o.Size ?? 0, mtime: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }
}

/** Passes through only bytes [start, end] of `src`, then stops reading it. */
function sliceStream(src: Readable, { start, end }: ByteRange): Readable {
  let pos = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const from = Math.max(0, start - pos);
      const to = Math.min(chunk.length, end + 1 - pos);
      pos += chunk.length;
      if (from < to) this.push(chunk.subarray(from, to));
      if (pos > end) {
        this.push(null);
        src.destroy();
      }
      cb();
    },
  });
  return pipelineCb(src, out, () => undefined);
}

/** lib-storage may surface a generic error after the body failed; prefer the guard's typed one. */
function unwrapUploadError(err: unknown, guard: DigestGuard): unknown {
  if (err instanceof ArtifactError) return err;
  const guardErr = guard.errored;
  return guardErr instanceof ArtifactError ? guardErr : err;
}

function s3Error(err: unknown, what: string): ArtifactError {
  if (err instanceof ArtifactError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) {
    return new ArtifactError('NotFound', `${what} not found`, { cause: err });
  }
  if (e.name === 'InvalidRange' || e.$metadata?.httpStatusCode === 416) {
    return new ArtifactError('InvalidRange', `${what}: range not satisfiable`, { cause: err });
  }
  return new ArtifactError('Unavailable', `S3 failed on ${what}: ${e.message ?? String(err)}`, { cause: err });
}
