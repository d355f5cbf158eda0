/**
 * The REST front end on node:http (the hot path; no framework in between): OIP v2 with the binary
 * tensor and model repository extensions, KServe V1, health and /metrics.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { InferError, badRequest, toInferError } from './infer-error.js';
import { readBody } from './http-body.js';
import { decodeRestInferRequest, encodeRestInferResponse, INFERENCE_HEADER_CONTENT_LENGTH } from './rest-infer-codec.js';
import { decodeV1Predict, encodeV1Predictions } from './v1-protocol.js';
import { SERVER_EXTENSIONS, SERVER_NAME, SERVER_VERSION, type ServerState } from './server-state.js';
import type { Histogram } from 'prom-client';

/** What the HTTP front end needs. */
export interface HttpServerDeps {
  state: ServerState;
  registry: Registry;
  log: Logger;
  maxBodyBytes: number;
}

/** Responses up to this size are written as one latin1 string (one syscall, no per-chunk writev). */
const SINGLE_WRITE_MAX_BYTES = 64 * 1024;

function send(res: ServerResponse, status: number, body: unknown, state: ServerState, extra?: Record<string, string>): void {
  const json = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), ...extra };
  if (state.shuttingDown) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(json);
}

function sendError(res: ServerResponse, err: unknown, state: ServerState, log: Logger): void {
  const e = toInferError(err);
  if (e.code === 'Internal') log.error({ event: 'internal_error', err: e.message, stack: (e.cause as Error | undefined)?.stack }, 'internal error');
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

/** Creates (does not start) the HTTP server. */
export function createHttpServer(deps: HttpServerDeps): Server {
  const { state, log } = deps;
  const durations = new Map<string, Histogram.Internal<string>>();
  const observe = (model: string, version: string, protocol: string, start: number): void => {
    const k = `${model}\u0000${version}\u0000${protocol}`;
    let h = durations.get(k);
    if (!h) {
      h = state.metrics.requestSeconds.labels({ model, version, protocol });
      durations.set(k, h);
    }
    h.observe((performance.now() - start) / 1000);
  };

  async function infer(req: IncomingMessage, res: ServerResponse, model: string, version: string | undefined): Promise<void> {
    const start = performance.now();
    const body = await readBody(req, deps.maxBodyBytes);
    const hdr = req.headers[INFERENCE_HEADER_CONTENT_LENGTH];
    let headerLength: number | undefined;
    if (hdr !== undefined) {
      headerLength = Number(hdr);
      if (String(hdr).trim() === '' || !Number.isInteger(headerLength)) throw badRequest(`Inference-Header-Content-Length '${hdr}' is not an integer`);
    }
    const mv = state.manager.resolve(model, version);
    const request = decodeRestInferRequest(body, headerLength);
    const result = await mv.infer(request);
    const enc = encodeRestInferResponse(result, request);
    const headers = enc.headers as Record<string, string | number>;
    headers['content-length'] = enc.length;
    if (state.shuttingDown) headers.connection = 'close';
    res.writeHead(200, headers);
    if (enc.length <= SINGLE_WRITE_MAX_BYTES) {
      // A latin1 string body is joined to the header block by node:http, so the whole response
      // leaves in one write syscall; Buffers would go out as a separate writev chunk each.
      let body = '';
      for (const c of enc.chunks) body += c.toString('latin1');
      res.end(body, 'latin1');
    } else {
      for (let i = 0; i < enc.chunks.length - 1; i++) res.write(enc.chunks[i]);
      res.end(enc.chunks[enc.chunks.length - 1]);
    }
    observe(mv.name, mv.version, 'rest', start);
  }

  async function predictV1(req: IncomingMessage, res: ServerResponse, model: string): Promise<void> {
    const start = performance.now();
    const body = await readBody(req, deps.maxBodyBytes);
    const mv = state.manager.resolve(model);
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
          return send(res, 200, state.modelMetadata(model, version), state);
        }
        if (rest.length === 1 && rest[0] === 'ready') {
          if (!isGet) methodNotAllowed();
          return send(res, state.modelReady(model, version) ? 200 : 400, undefined, state);
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
        const states = await state.manager.load(rest[1]);
        const failed = states.filter((s) => s.state !== 'READY');
        if (failed.length > 0 && failed.length === states.length) {
          throw badRequest(`failed to load model '${rest[1]}': ${failed.map((f) => f.reason).join('; ')}`);
        }
      } else {
        await state.manager.unload(rest[1]);
      }
      return send(res, 200, {}, state);
    }
    throw new InferError('NotFound', `no route for POST /v2/repository/${rest.join('/')}`);
  }

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, (req, res) => {
    const done = state.begin();
    res.once('close', done);
    route(req, res).catch((err) => sendError(res, err, state, log));
  });
  server.on('clientError', (err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy(err);
  });
  return server;
}
