import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Deterministic pseudo-random bytes (xorshift), so big fixtures need no files. */
export function patternBytes(size: number, seed = 1): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** A stream of `size` deterministic bytes produced chunk by chunk (memory stays flat). */
export function patternStream(size: number, seed = 1, chunk = 64 * 1024): Readable {
  let sent = 0;
  let s = seed;
  return new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, size - sent);
      sent += n;
      this.push(patternBytes(n, s++));
    },
  });
}

/** sha256 of what patternStream(size, seed, chunk) yields. */
export function patternSha256(size: number, seed = 1, chunk = 64 * 1024): string {
  const h = createHash('sha256');
  for (let sent = 0, s = seed; sent < size; s++) {
    const n = Math.min(chunk, size - sent);
    h.update(patternBytes(n, s));
    sent += n;
  }
  return h.digest('hex');
}

/** A stream that yields `before` bytes and then fails as a dropped connection would. */
export function failingStream(before: number, err: Error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(patternBytes(before, 9));
        return;
      }
      setImmediate(() => this.destroy(err));
    },
  });
}

/** sha256 hex of a buffer or string. */
export function sha256Of(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a stream fully into a buffer. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}
