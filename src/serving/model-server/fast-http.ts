/**
 * A raw HTTP/1.1 front for the hot route, on node:net. Each connection starts here; requests of the
 * plain shape (HTTP/1.1, a known route, `Content-Length` framing, no `Transfer-Encoding`, `Expect`,
 * `Upgrade` or `Content-Encoding`, well-formed header lines, body within the limit) are parsed and
 * answered here, one at a time and in order. The first request of any other shape hands the
 * connection, with every unread byte, to the node:http server for the rest of its life, so
 * everything unusual (chunked or compressed bodies, 100-continue, 413, malformed requests) keeps
 * node:http's exact behaviour.
 *
 * Why: on 2 shared cores a node:http server that answers a fixed body measured ~37 µs of CPU per
 * request against ~16 µs for the same answer written from a net socket; the difference is the
 * parser callbacks, IncomingMessage/ServerResponse and stream machinery per request.
 */
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { STATUS_CODES, type Server as HttpServer } from 'node:http';
import { describeFramingError } from '../../api/http-framing-errors.js';

/** A parsed request on the fast path. Header names are lowercase. */
export interface FastRequest<R = unknown> {
  method: string;
  target: string;
  /** What `route` returned for it. */
  route: R;
  headers: Record<string, string>;
  body: Buffer;
}

/** An answer: status, header lines already formatted (`name: value\r\n` each), latin1 body string. */
export interface FastReply {
  status: number;
  headerLines: string;
  /** A latin1 string (one character per byte: head and body leave in one write), or buffers for large bodies. */
  body: string | Buffer[];
  /** Close the connection after this answer. */
  close?: boolean;
}

/** What the fast front needs. */
export interface FastHttpOptions<R = unknown> {
  /** The route of a request line served here, or undefined: anything else goes to `fallback`. */
  route(method: string, target: string): R | undefined;
  handle(req: FastRequest<R>): Promise<FastReply>;
  /** Serves connections handed off (it does not listen itself). */
  fallback: HttpServer;
  maxBodyBytes: number;
  keepAliveMs: number;
  /** While true, every answer closes its connection. */
  shuttingDown(): boolean;
  /** Marks a request as started; the returned function is called once it is answered. */
  begin(): () => void;
}

const MAX_HEADER_BYTES = 16 * 1024;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FORBIDDEN_IN_LINE = /[\0\r\n]/;
const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

let dateSecond = -1;
let dateLine = '';
/** The Date header line, formatted at most once a second. */
function httpDateLine(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateLine = `date: ${new Date(now).toUTCString()}\r\n`;
  }
  return dateLine;
}

/**
 * Parses a request head (without the blank line). Returns undefined when the request is not of the
 * plain shape the fast path serves.
 */
export function parsePlainHead<R>(head: string, route: (method: string, target: string) => R | undefined): { method: string; target: string; route: R; headers: Record<string, string>; contentLength: number; close: boolean } | undefined {
  const lineEnd = head.indexOf('\r\n');
  const requestLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
  const sp1 = requestLine.indexOf(' ');
  const sp2 = requestLine.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || requestLine.indexOf(' ', sp2 + 1) >= 0) return undefined;
  if (requestLine.slice(sp2 + 1) !== 'HTTP/1.1') return undefined;
  const method = requestLine.slice(0, sp1);
  const target = requestLine.slice(sp1 + 1, sp2);
  if (target.charCodeAt(0) !== 47 /* / */ || FORBIDDEN_IN_LINE.test(target)) return undefined;
  const r = route(method, target);
  if (r === undefined) return undefined;
  const headers: Record<string, string> = {};
  let pos = lineEnd < 0 ? head.length : lineEnd + 2;
  while (pos < head.length) {
    let end = head.indexOf('\r\n', pos);
    if (end < 0) end = head.length;
    const line = head.slice(pos, end);
    pos = end + 2;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    if (!TOKEN.test(name) || FORBIDDEN_IN_LINE.test(line)) return undefined;
    if (Object.prototype.hasOwnProperty.call(headers, name)) return undefined;
    headers[name] = line.slice(colon + 1).trim();
  }
  if (headers['transfer-encoding'] !== undefined || headers.expect !== undefined || headers.upgrade !== undefined) return undefined;
  const enc = headers['content-encoding'];
  if (enc !== undefined && enc.toLowerCase() !== 'identity') return undefined;
  const cl = headers['content-length'];
  if (cl === undefined || !/^\d{1,15}$/.test(cl)) return undefined;
  const connection = headers.connection?.toLowerCase();
  if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') return undefined;
  return { method, target, route: r, headers, contentLength: Number(cl), close: connection === 'close' };
}

/** A whole answer to a request that cannot be framed: OIP's `{"error": ...}` body, then the connection closes. */
export function framingErrorReply(status: number, message: string): string {
  const body = Buffer.from(JSON.stringify({ error: message })).toString('latin1');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`;
}

/** Writes an answer: status line, headers, framing headers and body, in one write when the body is a string. */
function writeReply(socket: Socket, r: FastReply, close: boolean, keepAliveSeconds: number): void {
  const framing = close ? 'connection: close\r\n' : `connection: keep-alive\r\nkeep-alive: timeout=${keepAliveSeconds}\r\n`;
  const length = typeof r.body === 'string' ? r.body.length : r.body.reduce((a, b) => a + b.length, 0);
  const head = `HTTP/1.1 ${r.status} ${STATUS_TEXT[r.status] ?? 'Unknown'}\r\n${r.headerLines}content-length: ${length}\r\n${httpDateLine()}${framing}\r\n`;
  if (typeof r.body === 'string') {
    socket.write(head + r.body, 'latin1');
    return;
  }
  socket.cork();
  socket.write(head, 'latin1');
  for (const b of r.body) socket.write(b);
  socket.uncork();
}

/** Serves one connection until it closes or is handed to node:http. */
class FastConnection {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the request being received needs in all (0 = head not parsed yet). */
  private need = 0;
  private busy = false;
  private ended = false;
  /** Set by each read; the idle sweep clears it (no per-read timer refresh as with socket.setTimeout). */
  private active = true;
  private idleSweeps = 0;
  private readonly onData = (c: Buffer): void => this.data(c);
  private readonly onError = (): void => { this.socket.destroy(); };
  private readonly onEnd = (): void => { this.ended = true; if (!this.busy) this.next(); };

  constructor(private readonly socket: Socket, private readonly opts: FastHttpOptions<any>, private readonly registry: Set<FastConnection>) {
    registry.add(this);
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.once('close', () => registry.delete(this));
  }

  /** True when no request is being answered. */
  get idle(): boolean { return !this.busy; }

  destroy(): void { this.socket.destroy(); }

  /** Called every `sweepMs`: closes the connection once it has been idle for `idleMs`. */
  sweep(sweepMs: number, idleMs: number): void {
    if (this.active || this.busy) {
      this.active = false;
      this.idleSweeps = 0;
      return;
    }
    if (++this.idleSweeps * sweepMs >= idleMs) this.socket.destroy();
  }

  private data(c: Buffer): void {
    this.active = true;
    this.pending.push(c);
    this.pendingBytes += c.length;
    if (!this.busy) this.next();
    else if (this.pendingBytes > this.opts.maxBodyBytes + MAX_HEADER_BYTES) this.socket.pause();
  }

  /** Takes the next complete request from the buffered bytes, if there is one. */
  private next(): void {
    if (this.pendingBytes === 0) {
      if (this.ended) this.socket.end();
      return;
    }
    // Waiting for the rest of a body whose size is known: join the chunks once, when all are in.
    if (this.pendingBytes < this.need) return this.cutShort();
    const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [buf];
    const headEnd = buf.indexOf('\r\n\r\n', 0, 'latin1');
    if (headEnd < 0) {
      if (buf.length > MAX_HEADER_BYTES) this.handOff();
      else this.cutShort();
      return;
    }
    const parsed = parsePlainHead(buf.toString('latin1', 0, headEnd), this.opts.route);
    // A head over node:http's limit goes there too, so both answer it alike (431).
    if (!parsed || parsed.contentLength > this.opts.maxBodyBytes || headEnd > MAX_HEADER_BYTES) {
      this.handOff();
      return;
    }
    const bodyStart = headEnd + 4;
    const total = bodyStart + parsed.contentLength;
    if (buf.length < total) {
      this.need = total;
      return this.cutShort();
    }
    this.need = 0;
    const body = buf.subarray(bodyStart, total);
    if (buf.length > total) {
      this.pending = [buf.subarray(total)];
      this.pendingBytes = buf.length - total;
    } else {
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.busy = true;
    const done = this.opts.begin();
    this.opts.handle({ method: parsed.method, target: parsed.target, route: parsed.route, headers: parsed.headers, body }).then((reply) => {
      const close = parsed.close || reply.close === true || this.opts.shuttingDown();
      if (!this.socket.destroyed) writeReply(this.socket, reply, close, Math.round(this.opts.keepAliveMs / 1000));
      done();
      this.busy = false;
      if (close) {
        this.socket.end();
        return;
      }
      if (this.socket.isPaused()) this.socket.resume();
      this.next();
    }, (err: unknown) => {
      // handle() answers every error itself; reaching here is a bug, so drop the connection.
      done();
      this.busy = false;
      this.socket.destroy(err as Error);
    });
  }

  /** Answers a request whose head or body the client's end of the connection cut short (node:http says the same). */
  private cutShort(): void {
    if (!this.ended || this.socket.destroyed) return;
    const problem = describeFramingError({ code: 'HPE_INVALID_EOF_STATE' })!;
    this.socket.end(framingErrorReply(problem.status, problem.message), 'latin1');
  }

  /** Gives the connection, with every byte not yet consumed, to node:http. */
  private handOff(): void {
    const s = this.socket;
    s.removeListener('data', this.onData);
    s.removeListener('error', this.onError);
    s.removeListener('end', this.onEnd);
    this.registry.delete(this);
    const rest = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.need = 0;
    this.opts.fallback.emit('connection', s);
    for (let i = rest.length - 1; i >= 0; i--) s.unshift(rest[i]);
    if (s.isPaused()) s.resume();
  }
}

/** The listening side: a net server whose connections start on the fast path. */
export interface FastHttpFront {
  server: NetServer;
  /** Closes fast-path connections with no request in progress. */
  closeIdleConnections(): void;
  /** Destroys every fast-path connection. */
  closeAllConnections(): void;
}

/** Creates (does not start) the fast front. */
export function createFastHttpFront<R>(opts: FastHttpOptions<R>): FastHttpFront {
  const connections = new Set<FastConnection>();
  const sweepMs = Math.max(10, Math.min(5000, Math.floor(opts.keepAliveMs / 4)));
  const sweeper = setInterval(() => { for (const c of connections) c.sweep(sweepMs, opts.keepAliveMs); }, sweepMs).unref();
  // Half-open like node:http: a client that ends its side after a request still gets the answer.
  const server = createNetServer({ noDelay: true, allowHalfOpen: true }, (socket) => { new FastConnection(socket, opts, connections); });
  server.on('close', () => clearInterval(sweeper));
  return {
    server,
    closeIdleConnections: () => { for (const c of connections) if (c.idle) c.destroy(); },
    closeAllConnections: () => { for (const c of connections) c.destroy(); },
  };
}
