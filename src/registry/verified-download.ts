/**
 * Client-side download of one file, atomic and durable: bytes go to a hidden temp file in the
 * target directory (`.<name>.<sha16>.<pid>-<n>.partial`), hashed as they arrive; the temp file is
 * fsynced, its sha256 checked, and only then renamed over the final name, and the directory is
 * fsynced. A digest mismatch removes the temp file, so nothing is left behind. A transfer cut off
 * (connection lost, process killed) leaves only the temp file; the next download of the same
 * bytes to the same place claims it (when the process that wrote it is gone) and asks for the rest
 * with `Range` + `If-Range`, hashing the kept prefix from disk first.
 */
import { createHash, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../api/errors.js';
import { statusToError } from '../client/http-client.js';
import { CoalescingFileSink, processAlive, syncDirectories } from '../artifacts/index.js';

/** What to fetch and what it must hash to. */
export interface VerifiedDownload {
  url: string;
  token?: string;
  dest: string;
  sha256: string;
  /** Expected size, when known: a kept partial longer than this is discarded. */
  size?: number;
  /** File mode set before the rename (default 0644 less the umask). */
  mode?: number;
  onProgress?: (delta: number) => void;
}

/** What a download did. */
export interface DownloadResult {
  path: string;
  /** Bytes of a kept partial file that were reused (0 when the download started from scratch). */
  resumedFrom: number;
  /** Bytes received over the network. */
  fetched: number;
}

const PARTIAL_SUFFIX = '.partial';
const PARTIAL_RE = /^\.(.+)\.([0-9a-f]{16})\.(\d+)-(\d+)\.partial$/;
/** Temp files this process is writing right now (a pid check cannot tell them apart). */
const inFlight = new Set<string>();
let sequence = 0;

class DigestMismatch extends ApiError {
  constructor(message: string) {
    super('Invalid', message);
  }
}

/**
 * A temp path for `dest`: a partial of the same bytes left by a process that is gone is claimed
 * (renamed to our name, so two claimers cannot both get it) and its size returned; partials of
 * other bytes left by dead processes are removed.
 */
async function claimPartial(dest: string, sha256: string): Promise<{ tmp: string; kept: number }> {
  const dir = path.dirname(dest);
  const base = path.basename(dest);
  const tmp = path.join(dir, `.${base}.${sha256.slice(0, 16)}.${process.pid}-${++sequence}${PARTIAL_SUFFIX}`);
  inFlight.add(tmp);
  for (const name of await fsp.readdir(dir)) {
    const m = PARTIAL_RE.exec(name);
    if (!m || m[1] !== base) continue;
    const p = path.join(dir, name);
    if (inFlight.has(p)) continue;
    const pid = Number(m[3]);
    if (pid !== process.pid && processAlive(pid)) continue; // another pull is writing it
    if (m[2] !== sha256.slice(0, 16)) {
      await fsp.rm(p, { force: true });
      continue;
    }
    try {
      await fsp.rename(p, tmp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // claimed by someone else first
      throw err;
    }
    const st = await fsp.stat(tmp);
    return { tmp, kept: st.size };
  }
  return { tmp, kept: 0 };
}

function request(url: string, token: string | undefined, headers: Record<string, string>): Promise<http.IncomingMessage> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  const req = mod.request(u, { method: 'GET', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  req.end();
  return new Promise((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', (err) => reject(new ApiError('ServiceUnavailable', `download failed: ${err.message}`, undefined, { cause: err })));
  });
}

/** A response body as JSON when it parses, else as text (error bodies may be either). */
export async function readJson(res: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Hashes the first `length` bytes of an open file (the kept prefix of a resumed download). */
async function hashPrefix(fh: FileHandle, length: number, h: Hash): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(length, 1 << 20));
  for (let pos = 0; pos < length; ) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - pos), pos);
    if (bytesRead === 0) throw new Error(`partial file shrank while being read at ${pos}`);
    h.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
}

function hashing(h: Hash, onProgress?: (delta: number) => void): Transform {
  return new Transform({
    // roomy buffers let hashing run ahead of the disk instead of lock-stepping 16 KiB at a time
    highWaterMark: 1 << 20,
    transform(chunk: Buffer, _e, cb) {
      h.update(chunk);
      onProgress?.(chunk.length);
      cb(null, chunk);
    },
  });
}

/** One attempt: fetch into `tmp` (appending after `kept` bytes if the server agrees), fsync, verify, rename. */
async function attempt(d: VerifiedDownload, tmp: string, kept: number): Promise<DownloadResult> {
  const headers: Record<string, string> = kept > 0 ? { range: `bytes=${kept}-`, 'if-range': `"${d.sha256}"` } : {};
  const res = await request(d.url, d.token, headers);
  const status = res.statusCode ?? 500;
  if (status === 416 && kept > 0) {
    // the kept partial is not a prefix of what the server has: start over
    res.resume();
    return attempt(d, tmp, 0);
  }
  if (status >= 300) throw statusToError(status, await readJson(res));
  let start = 0;
  if (status === 206) {
    const cr = /^bytes (\d+)-\d+\/\d+$/.exec(String(res.headers['content-range'] ?? ''));
    if (!cr || Number(cr[1]) !== kept) {
      res.destroy();
      throw new ApiError('ServiceUnavailable', `download failed: asked for bytes from ${kept}, got Content-Range ${res.headers['content-range']}`);
    }
    start = kept;
  }
  const h = createHash('sha256');
  const sink = { failed: false };
  // 'r+' keeps the prefix; 'w' (a 200 answer) starts over
  const fh = await fsp.open(tmp, start > 0 ? 'r+' : 'w', d.mode ?? 0o644);
  try {
    if (start > 0) {
      await hashPrefix(fh, start, h);
      d.onProgress?.(start);
    }
    // the sink batches writes (writev), fdatasyncs in the background, and fsyncs before it finishes
    await pipeline(res, hashing(h, d.onProgress), new CoalescingFileSink(fh, sink, undefined, false, { startOffset: start }));
  } catch (err) {
    await fh.close().catch(() => undefined);
    // a storage failure (disk full…) leaves nothing; a transfer cut off keeps the verified-later prefix to resume
    if (sink.failed) await fsp.rm(tmp, { force: true });
    if (err instanceof ApiError) throw err;
    throw new ApiError('ServiceUnavailable', `download of ${path.basename(d.dest)} failed: ${(err as Error).message}`, undefined, { cause: err });
  }
  await fh.close();
  const got = h.digest('hex');
  if (got !== d.sha256) {
    await fsp.rm(tmp, { force: true });
    throw new DigestMismatch(`downloaded ${path.basename(d.dest)} hashes to ${got}, expected ${d.sha256}: not saved`);
  }
  if (d.mode !== undefined) await fsp.chmod(tmp, d.mode); // the umask may have stripped bits at creation
  await fsp.rename(tmp, d.dest);
  return { path: d.dest, resumedFrom: start, fetched: Number(res.headers['content-length'] ?? 0) };
}

/** Downloads `d.url` to `d.dest` atomically and durably with its sha256 verified (see the module comment). */
export async function downloadVerified(d: VerifiedDownload): Promise<DownloadResult> {
  const dir = path.dirname(d.dest);
  const madeDir = await fsp.mkdir(dir, { recursive: true });
  const { tmp, kept: found } = await claimPartial(d.dest, d.sha256);
  try {
    let kept = found;
    if (d.size !== undefined && kept > d.size) {
      await fsp.rm(tmp, { force: true });
      kept = 0;
    }
    let result: DownloadResult;
    try {
      result = await attempt(d, tmp, kept);
    } catch (err) {
      // a resumed download whose digest is wrong may have kept a bad prefix: once more from scratch
      if (!(err instanceof DigestMismatch) || kept === 0) throw err;
      result = await attempt(d, tmp, 0);
    }
    await syncDirectories(dir, madeDir);
    return result;
  } finally {
    inFlight.delete(tmp);
  }
}
