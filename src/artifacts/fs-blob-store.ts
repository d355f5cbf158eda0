import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobInfo, BlobStore, GetRange, PutOptions, PutResult } from './blob-store.js';
import { assertSha256, blobKey, isSha256 } from './digest.js';
import { DigestGuard, classifyPutError, validatePutOptions, watchSource } from './digest-guard.js';
import { ArtifactError, artifactErrorFromIo } from './errors.js';
import { resolveRange } from './byte-range.js';
import { CoalescingFileSink } from './coalescing-file-sink.js';
import { syncDirectories } from './sync-dirs.js';

/** Hooks to simulate storage faults in tests (e.g. throw an ENOSPC error mid-upload). */
export interface FsFaultHooks {
  /** Called before each chunk is written to the temp file; a throw fails the write as the OS would. */
  beforeWrite?: (offset: number, chunk: Buffer) => void | Promise<void>;
}

/** Options of FsBlobStore. */
export interface FsBlobStoreOptions {
  /** Directory holding `blobs/` and `tmp/` (same filesystem, so rename is atomic). */
  root: string;
  /** Skip fsync (tests and throwaway stores only: a power cut may then lose committed blobs). */
  noSync?: boolean;
  faults?: FsFaultHooks;
}

const TEMP_SUFFIX = '.partial';
const READ_CHUNK_BYTES = 256 * 1024;

/** Filesystem BlobStore: temp file, fsync, rename into `blobs/sha256/ab/<sha>`, fsync the directory. */
export class FsBlobStore implements BlobStore {
  readonly description: string;
  private readonly root: string;
  private readonly tmpDir: string;

  constructor(private readonly opts: FsBlobStoreOptions) {
    this.root = path.resolve(opts.root);
    this.tmpDir = path.join(this.root, 'tmp');
    this.description = `fs:${this.root}`;
  }

  private blobPath(sha256: string): string {
    return path.join(this.root, ...blobKey(sha256).split('/'));
  }

  async put(body: Readable, opts: PutOptions = {}): Promise<PutResult> {
    validatePutOptions(opts);
    if (opts.signal?.aborted) {
      body.destroy();
      throw new ArtifactError('Aborted', 'upload aborted before it started');
    }
    const source = watchSource(body);
    const sink = { failed: false };
    const tmpPath = path.join(this.tmpDir, `${randomUUID()}${TEMP_SUFFIX}`);
    let fh: FileHandle | undefined;
    try {
      await fsp.mkdir(this.tmpDir, { recursive: true });
      fh = await fsp.open(tmpPath, 'wx', 0o644);
      const guard = new DigestGuard(opts);
      await pipeline(body, guard, this.fileSink(fh, sink), opts.signal ? { signal: opts.signal } : {});
      await fh.close();
      fh = undefined;
      const { sha256, size } = guard.result();
      const finalPath = this.blobPath(sha256);
      const created = !(await exists(finalPath));
      const madeDir = await fsp.mkdir(path.dirname(finalPath), { recursive: true });
      // rename over an identical blob is harmless and refreshes its mtime, which keeps GC from racing a re-upload
      await fsp.rename(tmpPath, finalPath);
      if (!this.opts.noSync) await syncDirectories(path.dirname(finalPath), madeDir);
      return { sha256, size, created };
    } catch (err) {
      const typed = classifyPutError(err, {
        sourceFailed: source.failed(),
        sinkFailed: sink.failed,
        signal: opts.signal,
        what: 'writing a blob',
      });
      body.destroy();
      await fh?.close().catch(() => undefined);
      await fsp.rm(tmpPath, { force: true }).catch(() => undefined);
      throw typed;
    }
  }

  private fileSink(fh: FileHandle, state: { failed: boolean }): Writable {
    return new CoalescingFileSink(fh, state, this.opts.faults, this.opts.noSync === true);
  }

  async has(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    return exists(this.blobPath(sha256));
  }

  async stat(sha256: string): Promise<{ size: number; mtime: Date }> {
    assertSha256(sha256);
    try {
      const st = await fsp.stat(this.blobPath(sha256));
      return { size: st.size, mtime: st.mtime };
    } catch (err) {
      throw notFoundOr(err, sha256, 'reading blob metadata');
    }
  }

  async get(sha256: string, range: GetRange = {}): Promise<Readable> {
    assertSha256(sha256);
    let fh: FileHandle;
    try {
      // open first, then size: the open descriptor keeps the bytes readable even if GC deletes the blob meanwhile
      fh = await fsp.open(this.blobPath(sha256), 'r');
    } catch (err) {
      throw notFoundOr(err, sha256, 'opening a blob');
    }
    try {
      const { size } = await fh.stat();
      const r = resolveRange(range, size);
      if (r === null) {
        await fh.close();
        return Readable.from([]);
      }
      // bigger reads than the 64 KiB default: each read is a thread-pool round trip; 256 KiB keeps per-download memory small
      return fh.createReadStream({ start: r.start, end: r.end, highWaterMark: READ_CHUNK_BYTES });
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw artifactErrorFromIo(err, 'reading a blob');
    }
  }

  async openFile(sha256: string): Promise<FileHandle> {
    assertSha256(sha256);
    try {
      return await fsp.open(this.blobPath(sha256), 'r');
    } catch (err) {
      throw notFoundOr(err, sha256, 'opening a blob');
    }
  }

  async delete(sha256: string): Promise<boolean> {
    assertSha256(sha256);
    try {
      await fsp.unlink(this.blobPath(sha256));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw artifactErrorFromIo(err, 'deleting a blob');
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = path.join(this.root, 'blobs', 'sha256');
    for (const fan of await readdirOrEmpty(base)) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const name of await readdirOrEmpty(path.join(base, fan))) {
        if (!isSha256(name) || !name.startsWith(fan)) continue;
        try {
          const st = await fsp.stat(path.join(base, fan, name));
          yield { sha256: name, size: st.size, mtime: st.mtime };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw artifactErrorFromIo(err, 'listing blobs');
        }
      }
    }
  }

  async cleanupTemp(olderThan: Date): Promise<number> {
    let removed = 0;
    for (const name of await readdirOrEmpty(this.tmpDir)) {
      if (!name.endsWith(TEMP_SUFFIX)) continue;
      const p = path.join(this.tmpDir, name);
      try {
        // a live upload writes continually, so its mtime stays young; only abandoned ones age
        const st = await fsp.stat(p);
        if (st.mtime.getTime() < olderThan.getTime()) {
          await fsp.unlink(p);
          removed++;
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw artifactErrorFromIo(err, 'cleaning temp files');
      }
    }
    return removed;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw artifactErrorFromIo(err, `reading ${dir}`);
  }
}

function notFoundOr(err: unknown, sha256: string, what: string): ArtifactError {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
    return new ArtifactError('NotFound', `blob ${sha256} not found`, { cause: err });
  }
  return artifactErrorFromIo(err, what);
}
