/** Low-level proxy I/O: reading the head of a request body, sending one attempt upstream, copying headers. */
import http from 'node:http';
import type { Endpoint } from './service-route.js';

/** What was read of a request body before forwarding. `ended` means the whole body is in `chunks`, so it can be replayed on retry. */
export type BodyHead = { kind: 'read'; chunks: Buffer[]; size: number; ended: boolean } | { kind: 'aborted' };

/** Reads the body until it ends or exceeds `limit` bytes (then pauses, leaving the rest to be streamed). */
export function readBodyHead(req: http.IncomingMessage, limit: number): Promise<BodyHead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      size += c.length;
      if (size > limit) {
        req.pause();
        cleanup();
        resolve({ kind: 'read', chunks, size, ended: false });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ kind: 'read', chunks, size, ended: true });
    };
    // 'close' without 'end' first means the client went away mid-body.
    const onClose = (): void => {
      cleanup();
      resolve({ kind: 'aborted' });
    };
    if (req.readableEnded) return resolve({ kind: 'read', chunks, size, ended: true });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and must not be forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/** Copies end-to-end headers, dropping hop-by-hop ones (and any named in `Connection`). */
export function endToEndHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  const conn = headers.connection;
  const extra = conn ? new Set(conn.toLowerCase().split(',').map((s) => s.trim())) : null;
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || (extra !== null && extra.has(name))) continue;
    const v = headers[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Connection failures that mean the replica never saw a usable request, so another replica may take it. */
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** True when `err` is a connection failure worth retrying elsewhere (only called before any response byte). */
export function isRetryableConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && RETRYABLE.has(code);
}

/** One upstream attempt: the request (to write a streamed body into, or abort) and a promise of the response head. */
export interface UpstreamAttempt {
  req: http.ClientRequest;
  response: Promise<http.IncomingMessage>;
}

/** Sends a request to `ep` over its keep-alive agent; `body` null means the caller streams the body into `req` itself. */
export function sendUpstream(ep: Endpoint, method: string, path: string, headers: http.OutgoingHttpHeaders, body: Buffer | null): UpstreamAttempt {
  const req = http.request({ host: ep.host, port: ep.port, method, path, headers, agent: ep.agent });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.on('error', reject); // stays attached: a late socket error must not become an uncaught exception
  });
  if (body !== null) req.end(body);
  return { req, response };
}
