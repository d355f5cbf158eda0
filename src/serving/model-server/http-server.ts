/**
 * The REST front end: OIP v2 with the binary tensor and model repository extensions, KServe V1,
 * health and /metrics on node:http, behind a raw HTTP/1.1 fast path (fast-http.ts) that answers
 * plain-shaped POST /v2/models/{m}[/versions/{v}]/infer requests itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { describeFramingError } from '../../api/http-framing-errors.js';
import { createFastHttpFront, framingErrorReply, type FastReply, type FastRequest } from './fast-http.js';
import type { ModelVersion } from './model-version.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { InferError, badRequest, toInferError } from './infer-error.js';
import { readBody } from './http-body.js';
import {
  decodeRestInferRequest, encodeRestInferResponse, INFERENCE_HEADER_CONTENT_LENGTH, restResponseChunks, restResponseLatin1, type EncodedRestResponse,
} from './rest-infer-codec.js';
import { decodeV1Predict, encodeV1Predictions } from './v1-protocol.js';
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION, type ServerState } from './server-state.js';
import type { HistogramChild } from './local-metrics.js';

/** What the HTTP front end needs. */
export interface HttpServerDeps {
  state: ServerState;
  registry: Registry;
  log: Logger;
  maxBodyBytes: number;
}

/** Idle keep-alive connections close after this long (node:http and the fast path alike). */
const KEEP_ALIVE_MS = 65_000;

/** Responses up to this size are written as one latin1 string (one syscall, no per-chunk writev). */
const SINGLE_WRITE_MAX_BYTES = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown, state: ServerState, extra?: Record<string, string>): void {
  const json = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...extra };
  if (state.shuttingDown) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(json);
}

function errorOf(err: unknown, log: Logger): InferError {
  const e = toInferError(err);
  if (e.code === 'Internal') log.error({ event: 'internal_error', err: e.message, stack: (e.cause as Error | undefined)?.stack }, 'internal error');
  return e;
}

function sendError(res: ServerResponse, err: unknown, state: ServerState, log: Logger): void {
  const e = errorOf(err, log);
  const extra: Record<string, string> = e.retryable ? { 'retry-after': '1' } : {};
  // A 413 leaves unread body bytes on the socket; closing is the only safe way out.
  if (e.code === 'PayloadTooLarge') extra.connection = 'close';
  if (res.headersSent) {
    res.destroy();
    return;
  }
  send(res, e.httpStatus, { error: e.message }, state, extra);
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest(`malformed URL segment '${s}'`);
  }
}

/** The infer route's model and version, or undefined when `target` is not /v2/models/{m}[/versions/{v}]/infer. */
function inferRouteOf(target: string): { model: string; version: string | undefined } | undefined {
  const q = target.indexOf('?');
  const path = q >= 0 ? target.slice(0, q) : target;
  if (!path.endsWith('/infer')) return undefined;
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] !== 'v2' || parts[1] !== 'models') return undefined;
  if (parts.length === 4) return { model: decodeSegment(parts[2]), version: undefined };
  if (parts.length === 6 && parts[3] === 'versions') return { model: decodeSegment(parts[2]), version: decodeSegment(parts[4]) };
  return undefined;
}

function headerLengthOf(hdr: string | string[] | undefined): number | undefined {
  if (hdr === undefined) return undefined;
  const n = Number(hdr);
  if (String(hdr).trim() === '' || !Number.isInteger(n)) throw badRequest(`Inference-Header-Content-Length '${hdr}' is not an integer`);
  return n;
}

/** The REST front end: a fast path in front of node:http. */
export interface RestFrontEnd {
  /** Listens on the fast front (it hands other requests to the node:http server). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting connections; resolves when every connection has closed. */
  close(): Promise<void>;
  closeIdleConnections(): void;
  closeAllConnections(): void;
  /** The node:http server behind the fast path. */
  readonly http: Server;
  readonly net: NetServer;
}

/** Creates (does not start) the REST front end. */
export function createHttpServer(deps: HttpServerDeps): RestFrontEnd {
  const { state, log } = deps;
  const durations = new Map<string, HistogramChild>();
  const observe = (model: string, version: string, protocol: string, start: number): void => {
    const k = `${model}\u0000${version}\u0000${protocol}`;
    let h = durations.get(k);
    if (!h) {
      h = state.metrics.requestSeconds.labels({ model, version, protocol });
      durations.set(k, h);
    }
    h.observe((performance.now() - start) / 1000);
  };

  async function inferAnswer(model: string, version: string | undefined, body: Buffer, hdr: string | string[] | undefined): Promise<{ mv: ModelVersion; enc: EncodedRestResponse }> {
    const headerLength = headerLengthOf(hdr);
    const mv = await state.manager.resolveForInference(model, version);
    const request = decodeRestInferRequest(body, headerLength);
    const result = await mv.infer(request);
    return { mv, enc: encodeRestInferResponse(result, request) };
  }

  async function infer(req: IncomingMessage, res: ServerResponse, model: string, version: string | undefined): Promise<void> {
    const start = performance.now();
    const body = await readBody(req, deps.maxBodyBytes);
    const { mv, enc } = await inferAnswer(model, version, body, req.headers[INFERENCE_HEADER_CONTENT_LENGTH]);
    const headers = enc.headers as Record<string, string | number>;
    headers['content-length'] = enc.length;
    if (state.shuttingDown) headers.connection = 'close';
    res.writeHead(200, headers);
    if (enc.length <= SINGLE_WRITE_MAX_BYTES) {
      // A latin1 string body is joined to the header block by node:http, so the whole response
      // leaves in one write.
      res.end(restResponseLatin1(enc), 'latin1');
    } else {
      const chunks = restResponseChunks(enc);
      for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i]);
      res.end(chunks[chunks.length - 1]);
    }
    observe(mv.name, mv.version, 'rest', start);
  }

  /** The fast path's infer: same decoding, execution and encoding; errors answered as JSON. */
  async function fastInfer(req: FastRequest<{ model: string; version: string | undefined }>): Promise<FastReply> {
    const start = performance.now();
    try {
      const route = req.route;
      const { mv, enc } = await inferAnswer(route.model, route.version, req.body, req.headers[INFERENCE_HEADER_CONTENT_LENGTH]);
      let headerLines = `content-type: ${enc.headers['content-type']}\r\n`;
      const ihcl = enc.headers[INFERENCE_HEADER_CONTENT_LENGTH];
      if (ihcl !== undefined) headerLines += `${INFERENCE_HEADER_CONTENT_LENGTH}: ${ihcl}\r\n`;
      const reply: FastReply = { status: 200, headerLines, body: enc.length <= SINGLE_WRITE_MAX_BYTES ? restResponseLatin1(enc) : restResponseChunks(enc) };
      observe(mv.name, mv.version, 'rest', start);
      return reply;
    } catch (err) {
      const e = errorOf(err, log);
      const json = JSON.stringify({ error: e.message });
      return {
        status: e.httpStatus,
        headerLines: `content-type: application/json\r\n${e.retryable ? 'retry-after: 1\r\n' : ''}`,
        body: Buffer.from(json, 'utf8').toString('latin1'),
      };
    }
  }

  async function predictV1(req: IncomingMessage, res: ServerResponse, model: string): Promise<void> {
    const start = performance.now();
    const body = await readBody(req, deps.maxBodyBytes);
    const mv = await state.manager.resolveForInference(model);
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw badRequest(`request body is not valid JSON: ${(err as Error).message}`);
    }
    const result = await mv.infer(decodeV1Predict(doc, mv.inputs));
    send(res, 200, encodeV1Predictions(result), state);
    observe(mv.name, mv.version, 'v1', start);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const parts = path.split('/').filter((p) => p !== '').map(decodeSegment);
    const method = req.method ?? 'GET';
    const isGet = method === 'GET' || method === 'HEAD';
    const isPost = method === 'POST';
    const methodNotAllowed = (): never => { throw new InferError('MethodNotAllowed', `method ${method} is not allowed on ${path}`); };

    if (parts[0] === 'v2') {
      // POST /v2/models/{m}[/versions/{v}]/infer — the hot path, matched first.
      if (parts[1] === 'models' && parts.length >= 3) {
        const model = parts[2];
        let rest = parts.slice(3);
        let version: string | undefined;
        if (rest[0] === 'versions') {
          if (rest.length < 2) throw new InferError('NotFound', `no route for ${path}`);
          version = rest[1];
          rest = rest.slice(2);
        }
        if (rest.length === 1 && rest[0] === 'infer') {
          if (!isPost) methodNotAllowed();
          return infer(req, res, model, version);
        }
        req.resume();
        if (rest.length === 0) {
          if (!isGet) methodNotAllowed();
          // GET /v2/models/stats (every model) has this route's shape, with "stats" as the model name.
          if (model === 'stats' && version === undefined && !state.manager.has('stats')) return send(res, 200, state.modelStatistics(), state);
          return send(res, 200, state.modelMetadata(model, version), state);
        }
        if (rest.length === 1 && rest[0] === 'ready') {
          if (!isGet) methodNotAllowed();
          return send(res, state.modelReady(model, version) ? 200 : 400, undefined, state);
        }
        if (rest.length === 1 && rest[0] === 'config') {
          if (!isGet) methodNotAllowed();
          return send(res, 200, state.modelConfig(model, version), state);
        }
        if (rest.length === 1 && rest[0] === 'stats') {
          if (!isGet) methodNotAllowed();
          return send(res, 200, state.modelStatistics(model, version), state);
        }
        throw new InferError('NotFound', `no route for ${method} ${path}`);
      }
      if (parts.length === 1 && isGet) {
        req.resume();
        return send(res, 200, { name: SERVER_NAME, version: SERVER_VERSION, extensions: SERVER_EXTENSIONS }, state);
      }
      if (parts[1] === 'health' && parts.length === 3 && isGet) {
        req.resume();
        if (parts[2] === 'live') return send(res, state.live ? 200 : 400, undefined, state);
        if (parts[2] === 'ready') return send(res, state.ready ? 200 : 400, undefined, state);
      }
      if (parts[1] === 'repository' && isPost) return repository(req, res, parts.slice(2));
    }
    if (parts[0] === 'v1' && parts[1] === 'models') {
      if (parts.length === 2 && isGet) { req.resume(); return send(res, 200, { models: state.manager.readyModelNames() }, state); }
      if (parts.length === 3) {
        const seg = parts[2];
        if (isPost && seg.endsWith(':predict')) return predictV1(req, res, seg.slice(0, -':predict'.length));
        if (isGet) {
          req.resume();
          return send(res, 200, { name: seg, ready: state.modelReady(seg) }, state);
        }
      }
    }
    if (parts.length === 1 && parts[0] === 'metrics' && isGet) {
      req.resume();
      const text = await deps.registry.metrics();
      res.writeHead(200, { 'content-type': deps.registry.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    req.resume();
    throw new InferError('NotFound', `no route for ${method} ${path}`);
  }

  async function repository(req: IncomingMessage, res: ServerResponse, rest: string[]): Promise<void> {
    const body = await readBody(req, deps.maxBodyBytes);
    let doc: Record<string, unknown> = {};
    if (body.length > 0) {
      try {
        const parsed: unknown = JSON.parse(body.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        doc = parsed as Record<string, unknown>;
      } catch (err) {
        throw badRequest(`request body must be a JSON object: ${(err as Error).message}`);
      }
    }
    if (rest.length === 1 && rest[0] === 'index') {
      if (doc.ready !== undefined && typeof doc.ready !== 'boolean') throw badRequest("'ready' must be a boolean");
      return send(res, 200, await state.manager.index(doc.ready === true), state);
    }
    if (rest.length === 3 && rest[0] === 'models' && (rest[2] === 'load' || rest[2] === 'unload')) {
      if (rest[2] === 'load') {
        await state.loadModel(rest[1]);
      } else {
        await state.manager.unload(rest[1]);
      }
      return send(res, 200, {}, state);
    }
    throw new InferError('NotFound', `no route for POST /v2/repository/${rest.join('/')}`);
  }

  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS, requestTimeout: 300_000 }, (req, res) => {
    const done = state.begin();
    res.once('close', done);
    route(req, res).catch((err) => sendError(res, err, state, log));
  });
  server.on('clientError', (err: Error & { code?: string; reason?: string }, socket) => {
    const problem = describeFramingError(err);
    if (!problem || !socket.writable) return void socket.destroy();
    socket.write(framingErrorReply(problem.status, problem.message), 'latin1');
    (socket as Socket).destroySoon();
  });

  const front = createFastHttpFront({
    route: (method, target) => {
      if (method !== 'POST') return undefined;
      try {
        return inferRouteOf(target);
      } catch {
        return undefined; // a malformed segment: node:http's route answers the 400
      }
    },
    handle: fastInfer,
    fallback: server,
    maxBodyBytes: deps.maxBodyBytes,
    keepAliveMs: KEEP_ALIVE_MS,
    shuttingDown: () => state.shuttingDown,
    begin: () => state.begin(),
  });
  let closed: Promise<void> | undefined;
  return {
    http: server,
    net: front.server,
    listen: async (port, host) => {
      front.server.listen(port, host);
      await once(front.server, 'listening');
      // node:http tracks the connections handed to it (idle/all closing, header and request
      // timeouts) from its 'listening' event; it never listens itself.
      server.emit('listening');
      return (front.server.address() as AddressInfo).port;
    },
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => {}); // stops node:http's connection checks; it has no socket of its own
        front.server.close(() => resolve());
      });
      return closed;
    },
    closeIdleConnections: () => { front.closeIdleConnections(); server.closeIdleConnections(); },
    closeAllConnections: () => { front.closeAllConnections(); server.closeAllConnections(); },
  };
}
