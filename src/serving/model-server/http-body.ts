/** Reads an HTTP request body with a byte limit, inflating gzip/deflate bodies within the same limit. */
import type { IncomingMessage } from 'node:http';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import { InferError, badRequest } from './infer-error.js';

function tooLarge(limit: number): InferError {
  return new InferError('PayloadTooLarge', `request body exceeds the limit of ${limit} bytes`);
}

function decompress(body: Buffer, encoding: string, limit: number): Promise<Buffer> {
  const opts = { maxOutputLength: limit };
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer): void => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return reject(tooLarge(limit));
      reject(badRequest(`request body is not valid ${encoding} data: ${err.message}`));
    };
    if (encoding === 'gzip' || encoding === 'x-gzip') gunzip(body, opts, done);
    else if (body.length > 0 && (body[0] & 0x0f) === 8) inflate(body, opts, done);
    // Some clients send raw deflate without the zlib wrapper.
    else inflateRaw(body, opts, done);
  });
}

/** Resolves with the (decoded) body; rejects with 413 past `limit`, 400 for bad encodings. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip' && encoding !== 'deflate') {
    req.resume();
    return Promise.reject(new InferError('BadRequest', `unsupported Content-Encoding '${encoding}' (use gzip or deflate)`));
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(badRequest(`request body could not be read: ${err.message}`));
      }
    });
    req.on('end', () => {
      if (failed) return;
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      if (encoding === 'identity') resolve(body);
      else decompress(body, encoding, limit).then(resolve, reject);
    });
  });
}
