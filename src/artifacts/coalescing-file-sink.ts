import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { FsFaultHooks } from './fs-blob-store.js';

/** Tuning of CoalescingFileSink (defaults measured on the registry bench). */
export interface CoalescingFileSinkOptions {
  /** Bytes buffered while a write is in flight before upstream is paused (bounds memory per upload). */
  highWaterMark?: number;
  /** Start a background fdatasync after this many new bytes, so the final fsync has little left to flush. */
  syncEveryBytes?: number;
  /** File offset of the first byte written (a resumed download appends after what it kept). */
  startOffset?: number;
}

const DEFAULT_HWM = 2 * 1024 * 1024;
const DEFAULT_SYNC_EVERY = 64 * 1024 * 1024;

/**
 * Writable over an open temp file that turns many small chunks (HTTP delivers ~64 KiB) into one
 * positional writev per batch: chunks arriving while a write is in flight queue up (up to
 * highWaterMark, then backpressure) and go down in one syscall. Unless `noSync`, it flushes to
 * disk in the background as it goes and ends with a full fsync, so `finish` means durable bytes.
 * Any failure sets `state.failed` so the caller can classify it as a storage (not source) error.
 */
export class CoalescingFileSink extends Writable {
  private offset = 0;
  private unsynced = 0;
  private pendingSync: Promise<void> | undefined;
  private syncError: Error | undefined;
  private readonly syncEvery: number;

  constructor(
    private readonly fh: FileHandle,
    private readonly state: { failed: boolean },
    private readonly hooks: FsFaultHooks | undefined,
    private readonly noSync: boolean,
    opts: CoalescingFileSinkOptions = {},
  ) {
    super({ highWaterMark: opts.highWaterMark ?? DEFAULT_HWM });
    this.syncEvery = opts.syncEveryBytes ?? DEFAULT_SYNC_EVERY;
    this.offset = opts.startOffset ?? 0;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.settle(this.writeBatch([chunk]), cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.settle(
      this.writeBatch(chunks.map((c) => c.chunk)),
      cb,
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    // data must be durable before the rename makes it visible, or a power cut could expose a hole-filled blob
    this.settle(
      (async () => {
        await this.pendingSync;
        if (this.syncError) throw this.syncError;
        if (!this.noSync) await this.fh.sync();
      })(),
      cb,
    );
  }

  private settle(p: Promise<void>, cb: (err?: Error | null) => void): void {
    p.then(
      () => cb(),
      (err: Error) => {
        this.state.failed = true;
        cb(err);
      },
    );
  }

  private async writeBatch(chunks: Buffer[]): Promise<void> {
    if (this.syncError) throw this.syncError;
    if (this.hooks?.beforeWrite) {
      let at = this.offset;
      for (const c of chunks) {
        await this.hooks.beforeWrite(at, c);
        at += c.length;
      }
    }
    let bufs = chunks;
    let left = bufs.reduce((n, c) => n + c.length, 0);
    const total = left;
    while (left > 0) {
      const { bytesWritten } = await this.fh.writev(bufs, this.offset);
      this.offset += bytesWritten;
      left -= bytesWritten;
      if (left > 0) bufs = dropBytes(bufs, bytesWritten);
    }
    this.unsynced += total;
    if (!this.noSync && this.pendingSync === undefined && this.unsynced >= this.syncEvery) {
      this.unsynced = 0;
      // runs on the thread pool beside the next writes; its error fails the upload at the next write or the end
      this.pendingSync = this.fh.datasync().then(
        () => {
          this.pendingSync = undefined;
        },
        (err: Error) => {
          this.syncError = err;
          this.pendingSync = undefined;
        },
      );
    }
  }
}

/** The buffers left after the first `n` bytes were written (a short writev). */
function dropBytes(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  let skip = n;
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
