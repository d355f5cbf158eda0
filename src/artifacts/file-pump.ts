import type { FileHandle } from 'node:fs/promises';

/** What pumpFile writes to: an HTTP request or response (anything with callback writes and 'close'). */
export interface PumpTarget {
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean;
  end(cb: () => void): unknown;
  once(event: 'close', fn: () => void): unknown;
  off(event: 'close', fn: () => void): unknown;
  readonly destroyed: boolean;
}

/** Options of pumpFile. */
export interface PumpOptions {
  /** Bytes per read; two such buffers are allocated per call. */
  bufferBytes: number;
  /** Sees each chunk before it is written (hashing, progress); the chunk is reused after its write. */
  onChunk?: (chunk: Buffer) => void;
  /** The error message when `out` closes before everything was written. */
  closedMessage: string;
  /** The error message when the file ends early, at `pos` bytes after `start`. */
  shortRead: (pos: number) => string;
}

/**
 * Writes `length` bytes of `fh` from `start` to `out`, then ends `out`, through two reused buffers:
 * the next read runs while the previous buffer is being written, and a buffer is refilled only
 * once its write callback fired (the socket no longer holds it). No per-chunk allocation and no
 * stream machinery (a read stream allocates a fresh buffer per read). Rejects when `out` closes
 * first or the file is shorter than announced; `out` is left to the caller then.
 */
export async function pumpFile(fh: FileHandle, start: number, length: number, out: PumpTarget, opts: PumpOptions): Promise<void> {
  const size = Math.min(opts.bufferBytes, length);
  const bufs = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)];
  let closed: (err: Error) => void = () => undefined;
  const gone = new Promise<never>((_, reject) => (closed = reject));
  gone.catch(() => undefined);
  const onClose = () => closed(new Error(opts.closedMessage));
  out.once('close', onClose);
  if (out.destroyed) onClose();
  const write = (b: Buffer) => Promise.race([new Promise<void>((resolve, reject) => out.write(b, (err) => (err ? reject(err) : resolve()))), gone]);
  let inFlight: Promise<void> | undefined;
  try {
    for (let pos = 0, i = 0; pos < length; i++) {
      const b = bufs[i & 1];
      const { bytesRead } = await fh.read(b, 0, Math.min(b.length, length - pos), start + pos);
      if (bytesRead === 0) throw new Error(opts.shortRead(pos));
      const chunk = bytesRead === b.length ? b : b.subarray(0, bytesRead);
      opts.onChunk?.(chunk);
      pos += bytesRead;
      await inFlight;
      inFlight = write(chunk);
      inFlight.catch(() => undefined); // awaited on the next turn; this only keeps it from counting as unhandled meanwhile
    }
    await inFlight;
    await new Promise<void>((resolve) => out.end(resolve));
  } finally {
    out.off('close', onClose);
  }
}
