/**
 * Where backups live: a directory or an S3 prefix. Both hold content-addressed blobs (the store
 * snapshots and the model artifacts, so a blob already there is never copied again: backups are
 * incremental) and one manifest per backup under `backups/<id>.json`, written last.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { BlobStore } from '../artifacts/blob-store.js';
import { FsBlobStore } from '../artifacts/fs-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from '../artifacts/s3-blob-store.js';
import { BackupError } from './backup-manifest.js';

/** A place that holds backups. */
export interface BackupTarget {
  readonly description: string;
  readonly blobs: BlobStore;
  /** Fails fast (BackupError Unreachable) when the target cannot be reached or written. */
  check(): Promise<void>;
  putManifest(id: string, text: string): Promise<void>;
  /** The manifest's text; BackupError NotFound when absent. */
  getManifest(id: string): Promise<string>;
  listManifests(): Promise<string[]>;
  deleteManifest(id: string): Promise<void>;
}

/** S3 settings other than bucket and prefix (endpoint, region, credentials), from the server's configuration. */
export type S3Connection = Omit<S3BlobStoreOptions, 'bucket' | 'prefix' | 'client'>;

/** Opens `dir`, `file://dir` or `s3://bucket/prefix`. */
export function openBackupTarget(uri: string, s3?: S3Connection): BackupTarget {
  if (uri.startsWith('s3://')) {
    const rest = uri.slice(5);
    const slash = rest.indexOf('/');
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? '' : rest.slice(slash + 1);
    if (!bucket) throw new BackupError('Invalid', `target "${uri}": no bucket (expected s3://bucket/prefix)`);
    return new S3BackupTarget(bucket, prefix, s3 ?? {});
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file://')) throw new BackupError('Invalid', `target "${uri}": only directories and s3:// URLs are supported`);
  return new DirBackupTarget(uri.startsWith('file://') ? uri.slice(7) : uri);
}

function manifestId(file: string): string | undefined {
  return file.endsWith('.json') ? file.slice(0, -5) : undefined;
}

/** A directory target: `<dir>/blobs/sha256/…`, `<dir>/backups/<id>.json`. */
export class DirBackupTarget implements BackupTarget {
  readonly description: string;
  readonly blobs: BlobStore;
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
    this.description = this.root;
    this.blobs = new FsBlobStore({ root: this.root });
  }

  async check(): Promise<void> {
    try {
      await mkdir(join(this.root, 'backups'), { recursive: true });
    } catch (err) {
      throw new BackupError('Unreachable', `backup target ${this.root} cannot be written: ${(err as Error).message}`);
    }
  }

  async putManifest(id: string, text: string): Promise<void> {
    const dir = join(this.root, 'backups');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${id}.json.tmp`);
    await writeFile(tmp, text, { flush: true });
    await rename(tmp, join(dir, `${id}.json`));
  }

  async getManifest(id: string): Promise<string> {
    try {
      return await readFile(join(this.root, 'backups', `${id}.json`), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupError('NotFound', `backup "${id}" not found in ${this.root}`);
      throw err;
    }
  }

  async listManifests(): Promise<string[]> {
    try {
      return (await readdir(join(this.root, 'backups'))).map(manifestId).filter((x): x is string => !!x && !x.startsWith('.')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async deleteManifest(id: string): Promise<void> {
    await rm(join(this.root, 'backups', `${id}.json`), { force: true });
  }
}

/** An S3 target: `<prefix>blobs/sha256/…`, `<prefix>backups/<id>.json`. */
export class S3BackupTarget implements BackupTarget {
  readonly description: string;
  readonly blobs: BlobStore;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly bucket: string, prefix: string, conn: S3Connection) {
    this.prefix = prefix === '' ? '' : prefix.replace(/\/*$/, '/');
    this.description = `s3://${bucket}/${this.prefix}`;
    // Few attempts and short connect timeouts: an unreachable target is reported in seconds, not minutes.
    this.client = new S3Client({
      region: conn.region ?? 'us-east-1',
      ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
      ...(conn.credentials ? { credentials: conn.credentials } : {}),
      forcePathStyle: conn.forcePathStyle ?? true,
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3000, requestTimeout: 60_000 },
    });
    this.blobs = new S3BlobStore({ ...conn, bucket, prefix: this.prefix, client: this.client });
  }

  private key(id: string): string {
    return `${this.prefix}backups/${id}.json`;
  }

  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      throw new BackupError('Unreachable', `backup target ${this.description} is unreachable${status ? ` (HTTP ${status})` : ''}: ${e.message || e.name}`);
    }
  }

  async putManifest(id: string, text: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(id), Body: text, ContentType: 'application/json' }));
  }

  async getManifest(id: string): Promise<string> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
      return await r.Body!.transformToString('utf8');
    } catch (err) {
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) throw new BackupError('NotFound', `backup "${id}" not found in ${this.description}`);
      throw err;
    }
  }

  async listManifests(): Promise<string[]> {
    const ids: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.prefix}backups/`, ContinuationToken: token }));
      for (const o of r.Contents ?? []) {
        const id = manifestId(o.Key!.slice(`${this.prefix}backups/`.length));
        if (id) ids.push(id);
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return ids.sort();
  }

  async deleteManifest(id: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(id) }));
  }
}
