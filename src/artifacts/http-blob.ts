import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { BlobStore, PutOptions, PutResult } from './blob-store.js';
import { pumpFile } from './file-pump.js';
import { parseRangeHeader } from './byte-range.js';
import { assertSha256 } from './digest.js';
import { ArtifactError } from './errors.js';

/** Options of serveBlob. */
export interface ServeBlobOptions {
  /** Suggested download name, sent as Content-Disposition: attachment. */
  filename?: string;
  contentType?: string;
}

/** Content-Disposition with an ASCII fallback and the RFC 8187 UTF-8 form for other names. */
export function contentDisposition(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? 'download';
  const ascii = base.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return ascii === base ? `attachment; filename="${ascii}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/**
 * Answers GET/HEAD for a blob: ETag (the quoted sha256), If-None-Match → 304, a single `Range`
 * → 206 (416 with `Content-Range: bytes *\/size` when unsatisfiable; `If-Range` honoured),
 * Content-Length, Accept-Ranges. Writes 304/405/416 itself; throws ArtifactError (InvalidDigest,
 * NotFound) before any byte is sent so the API renders its own error body. A client that goes
 * away mid-body is not an error.
 */
export async function serveBlob(
  req: IncomingMessage,
  res: ServerResponse,
  store: BlobStore,
  sha256: string,
  opts: ServeBlobOptions = {},
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': '0' }).end();
    return;
  }
  assertSha256(sha256);
  const { size } = await store.stat(sha256);
  const etag = `"${sha256}"`;
  const common: Record<string, string> = {
    ETag: etag,
    'Accept-Ranges': 'bytes',
    // content-addressed: the bytes behind this URL can never change
    'Cache-Control': 'private, max-age=31536000, immutable',
  };
  if (etagMatches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, common).end();
    return;
  }
  const ifRange = req.headers['if-range'];
  const rangeHeader = ifRange === undefined || String(ifRange).trim() === etag ? req.headers.range : undefined;
  const range = parseRangeHeader(rangeHeader, size);
  if (range.kind === 'unsatisfiable') {
    res.writeHead(416, { ...common, 'Content-Range': `bytes */${size}`, 'Content-Length': '0' }).end();
    return;
  }
  const headers: Record<string, string> = {
    ...common,
    'Content-Type': opts.contentType ?? 'application/octet-stream',
  };
  if (opts.filename !== undefined) headers['Content-Disposition'] = contentDisposition(opts.filename);
  let status = 200;
  let length = size;
  if (range.kind === 'partial') {
    status = 206;
    length = range.end - range.start + 1;
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  }
  headers['Content-Length'] = String(length);
  if (req.method === 'HEAD' || length === 0) {
    res.writeHead(status, headers).end();
    return;
  }
  const start = range.kind === 'partial' ? range.start : 0;
  if (store.openFile) {
    // open before the headers go out, so a blob GC removed meanwhile is still a clean 404
    const fh = await store.openFile(sha256);
    res.writeHead(status, headers);
    try {
      await copyToResponse(fh, start, length, res);
    } catch (err) {
      res.destroy(err as Error);
    } finally {
      await fh.close().catch(() => undefined);
    }
    return;
  }
  const body = await store.get(sha256, range.kind === 'partial' ? { start: range.start, end: range.end } : {});
  res.writeHead(status, headers);
  try {
    await pipeline(body, res);
  } catch (err) {
    // the client left or storage failed mid-body: headers are gone, so cutting the connection is the only signal
    body.destroy();
    res.destroy(err as Error);
  }
}

/** Bytes per read when copying a local blob to a socket (two such buffers per download). */
const COPY_BUFFER_BYTES = 1024 * 1024;

/** Copies `length` bytes of `fh` from `start` to `res` (see pumpFile); rejects when the client goes away. */
function copyToResponse(fh: FileHandle, start: number, length: number, res: ServerResponse): Promise<void> {
  return pumpFile(fh, start, length, res, {
    bufferBytes: COPY_BUFFER_BYTES,
    closedMessage: 'client closed the connection',
    shortRead: (pos) => `blob ended at ${start + pos}, before the ${length} bytes announced`,
  });
}

/** Options of receiveUpload: PutOptions plus nothing HTTP-specific yet. */
export type ReceiveUploadOptions = PutOptions;

/**
 * Streams a request body into `store.put`. Refuses a `Content-Encoding` other than identity
 * (UnsupportedEncoding) and a declared Content-Length above `maxBytes` (TooLarge) before reading;
 * a client that disconnects mid-body yields Aborted and stores nothing. On an error the caller
 * should answer and close the connection (`Connection: close`), since the body was not drained.
 */
export async function receiveUpload(req: IncomingMessage, store: BlobStore, opts: ReceiveUploadOptions = {}): Promise<PutResult> {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    throw new ArtifactError('UnsupportedEncoding', `Content-Encoding ${encoding} is not accepted; send the raw bytes`, {
      field: 'Content-Encoding',
    });
  }
  const lengthHeader = req.headers['content-length'];
  if (lengthHeader !== undefined) {
    const declared = Number(lengthHeader);
    if (opts.maxBytes !== undefined && declared > opts.maxBytes) {
      throw new ArtifactError('TooLarge', `Content-Length ${declared} exceeds the limit of ${opts.maxBytes} bytes`, {
        field: 'Content-Length',
      });
    }
    if (opts.expectedSize !== undefined && declared !== opts.expectedSize) {
      throw new ArtifactError('SizeMismatch', `Content-Length ${declared} differs from the declared size ${opts.expectedSize}`, {
        field: 'Content-Length',
      });
    }
  }
  return store.put(req, opts);
}
