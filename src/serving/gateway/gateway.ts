/**
 * The serving gateway: one HTTP port in front of every InferenceService's replicas. It balances, splits canary
 * traffic, retries refused connections, limits concurrency, holds requests while a service wakes from zero, and
 * counts load for the autoscaler. It knows nothing of the store; the controller drives it through setRoute.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createGatewayMetrics, type GatewayMetrics } from './gateway-metrics.js';
import { REWRITE_HEAD_BYTES, rewriteModelNameInHead } from './model-name-rewrite.js';
import { parseInferencePath, type InferencePath } from './oip-path.js';
import { endToEndHeaders, isRetryableConnectionError, readBodyHead, sendUpstream } from './proxy-io.js';
import { parseServiceRoute } from './route-schema.js';
import { ServiceCounters, ServiceRoute, type Endpoint, type Waiter } from './service-route.js';

/** Gateway construction options. */
export interface GatewayOptions {
  logger: Logger;
  registry: Registry;
  /** Larger request bodies get 413 (default 32 MiB). */
  maxBodyBytes?: number;
  /** Upstream deadline when the route sets none (default 60 s); past it the client gets 504. */
  defaultTimeoutMs?: number;
  /** Bodies up to this size are buffered so a refused connection can be retried elsewhere; larger ones stream (default 1 MiB). */
  retryBufferBytes?: number;
  /** How long a request waits for a scaled-to-zero service (default 60 s), then 503. */
  wakeTimeoutMs?: number;
  /** How many requests may wait per service while it wakes (default 1000); beyond, 503 at once. */
  wakeQueueLimit?: number;
  /** Clock for stats (default Date.now); the autoscaler's samples use the same clock. */
  now?: () => number;
  /** Checks a request to a non-public service (the platform's authenticator and authorizer); absent, every request passes. */
  authorize?: InferAuthorizer;
}

/** Decides whether the Authorization header may call `service` in `project`. */
export type InferAuthorizer = (authorization: string | undefined, project: string, service: string) => Promise<{ ok: true } | { ok: false; code: 401 | 403; message: string }>;

/** A service's route as the controller sets it. */
export interface GatewayRoute {
  revisions: Array<{ name: string; percent: number; endpoints: Array<{ id: string; url: string }> }>;
  /** Per-replica hard limit (KServe containerConcurrency); 0 or absent = unlimited. */
  containerConcurrency?: number;
  /** A cap on forwarded requests for the whole service, overriding containerConcurrency × endpoints. */
  maxInFlight?: number;
  timeoutMs?: number;
  /** Model name the replicas serve, when it differs from the service name used in the URL. */
  modelName?: string;
  /** The service's project: callers need `infer` there unless the route is public. */
  project?: string;
  /** Answer without credentials (`spec.public: true`). */
  public?: boolean;
}

/** Load counters of one service, for the autoscaler (`sampleFromCounters` turns two reads into a sample). */
export interface GatewayServiceStats {
  /** When read (the `now` clock). */
  at: number;
  /** Forwarded plus queued requests. */
  inFlight: number;
  queued: number;
  /** Requests accepted, cumulative. */
  requests: number;
  /** 5xx answers (from replicas or the gateway), cumulative. */
  errors: number;
  /** ∫ inFlight dt in request·ms, cumulative. */
  concurrencyIntegralMs: number;
  readyEndpoints: number;
  revisions: Record<string, { inFlight: number; requests: number; errors: number }>;
}

/** HTTP router in front of a service's ready replicas. */
export class Gateway {
  private readonly log: Logger;
  private readonly metrics: GatewayMetrics;
  private readonly maxBodyBytes: number;
  private readonly defaultTimeoutMs: number;
  private readonly retryBufferBytes: number;
  private readonly wakeTimeoutMs: number;
  private readonly wakeQueueLimit: number;
  private readonly now: () => number;
  private readonly authorize: InferAuthorizer | undefined;
  private readonly routes = new Map<string, ServiceRoute>();
  private readonly counters = new Map<string, ServiceCounters>();
  private readonly demandCallbacks: Array<(service: string) => void> = [];
  private readonly server: http.Server;

  constructor(opts: GatewayOptions) {
    this.log = opts.logger;
    this.metrics = createGatewayMetrics(opts.registry);
    this.maxBodyBytes = opts.maxBodyBytes ?? 32 * 1024 * 1024;
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 60_000;
    this.retryBufferBytes = opts.retryBufferBytes ?? 1024 * 1024;
    this.wakeTimeoutMs = opts.wakeTimeoutMs ?? 60_000;
    this.wakeQueueLimit = opts.wakeQueueLimit ?? 1000;
    this.now = opts.now ?? Date.now;
    this.authorize = opts.authorize;
    this.server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error({ err, url: req.url }, 'gateway handler failed');
        if (!res.headersSent) this.reply(res, 502, { error: 'gateway error' });
        else res.destroy();
      });
    });
  }

  /** Starts listening; resolves with the bound port (pass 0 for an ephemeral one). */
  listen(port: number, host = '127.0.0.1'): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Creates or replaces a service's route; endpoints that disappear finish their in-flight requests. Throws naming the bad field. */
  setRoute(service: string, route: GatewayRoute): void {
    const spec = parseServiceRoute(service, route);
    let r = this.routes.get(service);
    if (!r) {
      r = new ServiceRoute(service);
      this.routes.set(service, r);
    }
    r.apply(spec);
    if (r.readyEndpoints() > 0) for (const w of [...r.waiters]) w.wake('ready');
  }

  /** Forgets a service: new requests get 404, waiting ones too; in-flight ones finish. */
  removeRoute(service: string): void {
    const r = this.routes.get(service);
    if (!r) return;
    this.routes.delete(service);
    for (const w of [...r.waiters]) w.wake('removed');
    r.retireAll();
  }

  /** Registers a callback run when a request arrives for a service with no ready endpoint (once per wake episode). */
  onDemand(cb: (service: string) => void): void {
    this.demandCallbacks.push(cb);
  }

  /** Cumulative load counters of a service (zeros if it never had traffic). */
  stats(service: string): GatewayServiceStats {
    const now = this.now();
    const c = this.counters.get(service);
    const revisions: GatewayServiceStats['revisions'] = {};
    if (c) for (const [name, r] of c.revisions) revisions[name] = { ...r };
    return {
      at: now,
      inFlight: c?.inFlight ?? 0,
      queued: c?.queued ?? 0,
      requests: c?.requests ?? 0,
      errors: c?.errors ?? 0,
      concurrencyIntegralMs: c?.integralAt(now) ?? 0,
      readyEndpoints: this.routes.get(service)?.readyEndpoints() ?? 0,
      revisions,
    };
  }

  /** Stops accepting, answers waiting requests with 503, closes connections and replica sockets. */
  async close(): Promise<void> {
    for (const r of this.routes.values()) {
      for (const w of [...r.waiters]) w.wake('closed');
      r.retireAll();
    }
    this.routes.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // Give in-flight responses a moment, then cut whatever is left so close() cannot hang.
      setTimeout(() => this.server.closeAllConnections(), 1000).unref();
    });
  }

  private counterFor(service: string): ServiceCounters {
    let c = this.counters.get(service);
    if (!c) {
      c = new ServiceCounters(this.now());
      this.counters.set(service, c);
    }
    return c;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url === '/healthz') return this.reply(res, 200, { status: 'ok' });
    const path = parseInferencePath(url);
    if (!path) {
      this.metrics.requests.inc({ service: '', revision: '', code: '404' });
      return this.reply(res, 404, { error: `no route for ${url}: expected /v2/models/{service}[/...] or /v1/models/{service}[:predict]` });
    }
    const route = this.routes.get(path.service);
    if (!route) {
      this.metrics.requests.inc({ service: '', revision: '', code: '404' });
      return this.reply(res, 404, { error: `service "${path.service}" not found` });
    }
    if (this.authorize && !route.isPublic) {
      const verdict = await this.authorize(req.headers.authorization, route.project ?? 'default', route.name);
      if (!verdict.ok) {
        this.metrics.requests.inc({ service: route.name, revision: '', code: String(verdict.code) });
        return this.reply(res, verdict.code, { error: verdict.message }, { req, challenge: verdict.code === 401 });
      }
    }
    const service = route.name;
    const started = performance.now();
    const counters = this.counterFor(service);
    counters.requests++;
    counters.change(+1, this.now());
    this.metrics.inFlight.inc({ service });
    let revisionName = '';
    let forwarded = false;
    res.once('close', () => {
      counters.change(-1, this.now());
      if (forwarded) route.active--;
      const code = res.headersSent ? res.statusCode : 499;
      if (code >= 500) counters.errors++;
      if (revisionName !== '') {
        const rc = counters.revision(revisionName);
        rc.inFlight--;
        if (code >= 500) rc.errors++;
      }
      this.metrics.inFlight.dec({ service });
      this.metrics.requests.inc({ service, revision: revisionName, code: String(code) });
      this.metrics.duration.observe({ service, revision: revisionName }, (performance.now() - started) / 1000);
    });

    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBodyBytes) return this.reply(res, 413, { error: `request body of ${declared} bytes exceeds the limit of ${this.maxBodyBytes}` }, { req });

    // Scale from zero: hold the request (bounded) until the controller gives the service endpoints.
    while (route.readyEndpoints() === 0) {
      const outcome = await this.waitForEndpoints(route, counters, res);
      if (outcome === 'ready') continue;
      if (outcome === 'aborted') return;
      if (outcome === 'removed') return this.reply(res, 404, { error: `service "${service}" not found` });
      const why = outcome === 'full' ? `too many requests waiting for service "${service}" to scale from zero` : outcome === 'closed' ? 'gateway shutting down' : `service "${service}" has no ready replicas after waiting ${this.wakeTimeoutMs} ms`;
      return this.reply(res, 503, { error: why }, { req, retryAfter: true });
    }
    const limit = route.concurrencyLimit();
    if (route.active >= limit) return this.reply(res, 503, { error: `service "${service}" is at its concurrency limit of ${limit}` }, { req, retryAfter: true });
    route.active++;
    forwarded = true;

    const body = await readBodyHead(req, this.retryBufferBytes);
    if (body.kind === 'aborted') return;
    const whole = body.ended ? (body.chunks.length === 1 ? body.chunks[0] : Buffer.concat(body.chunks)) : null;
    if (body.size > this.maxBodyBytes) return this.reply(res, 413, { error: `request body exceeds the limit of ${this.maxBodyBytes} bytes` }, { req });

    const headers = endToEndHeaders(req.headers);
    if (whole !== null) headers['content-length'] = String(whole.length);
    const upstreamPath = path.upstreamPath(route.modelName ?? service);
    const method = req.method ?? 'GET';
    const timeoutMs = route.timeoutMs ?? this.defaultTimeoutMs;
    const tried = new Set<Endpoint>();
    let timedOut = false;
    let current: http.ClientRequest | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      current?.destroy();
      if (!res.headersSent) this.reply(res, 504, { error: `service "${service}" did not answer within ${timeoutMs} ms` }, { req });
      else res.destroy();
    }, timeoutMs);
    res.once('close', () => {
      clearTimeout(timer);
      // The client left: stop the replica's work too.
      if (!res.writableFinished) current?.destroy();
    });

    let lastError: unknown;
    for (;;) {
      const picked = route.pick(tried, this.now());
      if (picked === null) {
        clearTimeout(timer);
        this.log.warn({ service, err: lastError }, 'no replica could take the request');
        return this.reply(res, 502, { error: `no replica of service "${service}" accepted the connection${lastError ? `: ${(lastError as Error).message}` : ''}` });
      }
      const { revision, endpoint } = picked;
      tried.add(endpoint);
      endpoint.inFlight++;
      if (revisionName !== '') counters.revision(revisionName).inFlight--;
      revisionName = revision.name;
      const rc = counters.revision(revisionName);
      rc.inFlight++;
      rc.requests++;
      const attempt = sendUpstream(endpoint, method, upstreamPath, headers, whole);
      current = attempt.req;
      attempt.req.once('close', () => endpoint.release());
      if (whole === null) this.streamBody(req, attempt.req, body.chunks, body.size, res);
      let upstream: http.IncomingMessage;
      try {
        upstream = await attempt.response;
      } catch (err) {
        if (timedOut || res.destroyed) return;
        lastError = err;
        if (whole !== null && isRetryableConnectionError(err)) {
          if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') endpoint.avoidUntil = this.now() + 1000;
          this.metrics.retries.inc({ service });
          this.log.debug({ service, endpoint: endpoint.id, code: (err as NodeJS.ErrnoException).code }, 'retrying on another replica');
          continue;
        }
        clearTimeout(timer);
        this.log.warn({ service, endpoint: endpoint.id, err }, 'replica request failed');
        return this.reply(res, 502, { error: `replica of service "${service}" failed: ${(err as Error).message}` });
      }
      if (timedOut) {
        upstream.resume();
        return;
      }
      return this.relayResponse(upstream, res, route, path, revision.name);
    }
  }

  private streamBody(req: http.IncomingMessage, up: http.ClientRequest, head: Buffer[], size: number, res: http.ServerResponse): void {
    for (const c of head) up.write(c);
    let total = size;
    const onData = (c: Buffer): void => {
      total += c.length;
      if (total > this.maxBodyBytes) {
        req.unpipe(up);
        req.off('data', onData);
        up.destroy();
        if (!res.headersSent) this.reply(res, 413, { error: `request body exceeds the limit of ${this.maxBodyBytes} bytes` }, { req });
      }
    };
    req.on('data', onData);
    req.pipe(up);
  }

  private async relayResponse(up: http.IncomingMessage, res: http.ServerResponse, route: ServiceRoute, path: InferencePath, revision: string): Promise<void> {
    const headers = endToEndHeaders(up.headers);
    headers['x-capstan-revision'] = revision;
    up.once('aborted', () => res.destroy());
    up.once('error', () => res.destroy());
    const model = route.modelName;
    const rewrite = model !== undefined && model !== route.name && path.kind !== 'ready' && String(up.headers['content-type'] ?? '').includes('json');
    if (!rewrite) {
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
      return;
    }
    const head = await readBodyHead(up, REWRITE_HEAD_BYTES);
    if (head.kind === 'aborted') return void res.destroy();
    const original = Buffer.concat(head.chunks);
    const fields = path.kind === 'metadata' ? ['model_name', 'name'] : ['model_name'];
    const rewritten = rewriteModelNameInHead(original, model, route.name, fields);
    if (headers['content-length'] !== undefined) headers['content-length'] = String(Number(headers['content-length']) + rewritten.length - original.length);
    res.writeHead(up.statusCode ?? 502, headers);
    if (head.ended) {
      res.end(rewritten);
      return;
    }
    res.write(rewritten);
    up.pipe(res);
  }

  private waitForEndpoints(route: ServiceRoute, counters: ServiceCounters, res: http.ServerResponse): Promise<'ready' | 'removed' | 'closed' | 'timeout' | 'full' | 'aborted'> {
    if (route.waiters.size >= this.wakeQueueLimit) return Promise.resolve('full');
    const first = route.waiters.size === 0;
    return new Promise((resolve) => {
      const settle = (outcome: 'ready' | 'removed' | 'closed' | 'timeout' | 'aborted'): void => {
        clearTimeout(timer);
        res.off('close', onClose);
        if (!route.waiters.delete(waiter)) return;
        counters.queued--;
        this.metrics.queued.dec({ service: route.name });
        resolve(outcome);
      };
      const waiter: Waiter = { wake: settle };
      const onClose = (): void => settle('aborted');
      const timer = setTimeout(() => settle('timeout'), this.wakeTimeoutMs);
      route.waiters.add(waiter);
      counters.queued++;
      this.metrics.queued.inc({ service: route.name });
      res.once('close', onClose);
      if (first) {
        for (const cb of this.demandCallbacks) {
          try {
            cb(route.name);
          } catch (err) {
            this.log.error({ err, service: route.name }, 'onDemand callback threw');
          }
        }
      }
    });
  }

  private reply(res: http.ServerResponse, status: number, body: Record<string, unknown>, opts: { req?: http.IncomingMessage; retryAfter?: boolean; challenge?: boolean } = {}): void {
    if (res.headersSent || res.destroyed) return;
    const payload = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
    if (opts.retryAfter) headers['retry-after'] = '1';
    if (opts.challenge) headers['www-authenticate'] = 'Bearer realm="capstan"';
    const req = opts.req;
    if (req !== undefined && !req.readableEnded) {
      // Unread body bytes would corrupt the next request on a keep-alive socket: drain small bodies, close for large ones.
      const declared = Number(req.headers['content-length'] ?? Number.POSITIVE_INFINITY);
      if (declared <= 64 * 1024) req.resume();
      else headers.connection = 'close';
    }
    res.writeHead(status, headers);
    res.end(payload);
  }
}
