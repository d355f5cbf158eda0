/** Live routing state of one service: revisions, endpoints with their outstanding requests, and load counters. */
import http from 'node:http';
import type { ServiceRouteSpec } from './route-schema.js';
import { pickSmoothWeighted, type WeightedItem } from './weighted-choice.js';

/** A replica as the gateway sees it; the object outlives route updates while requests to it are in flight. */
export class Endpoint {
  readonly host: string;
  readonly port: number;
  /** Requests sent to this replica and not finished: the least-outstanding balancer's measure. */
  inFlight = 0;
  /** Set when a route update dropped it: no new requests, and its connections close once in-flight ones finish. */
  removed = false;
  /** After a refused connection the replica is avoided (while others exist) until this time. */
  avoidUntil = 0;
  /** Keep-alive connections to this replica only, so removing it can close exactly its sockets. */
  readonly agent: http.Agent;

  constructor(readonly id: string, readonly url: string) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 1024, scheduling: 'lifo' });
  }

  /** Counts a request out; the endpoint's sockets are released when it is removed and idle. */
  release(): void {
    this.inFlight--;
    if (this.removed && this.inFlight === 0) this.agent.destroy();
  }
}

/** One revision's share of traffic and its endpoints. */
export interface RevisionRoute extends WeightedItem {
  name: string;
  percent: number;
  endpoints: Endpoint[];
  /** Rotates tie-breaks among equally loaded endpoints. */
  cursor: number;
}

/** Per-revision counters exposed by `Gateway.stats`. */
export interface RevisionCounters {
  inFlight: number;
  requests: number;
  errors: number;
}

/** Cumulative per-service counters; concurrencyIntegralMs lets a reader compute average concurrency between two reads. */
export class ServiceCounters {
  /** Active (sent to a replica) plus queued requests: queued demand must count, or a service at zero never wakes. */
  inFlight = 0;
  queued = 0;
  requests = 0;
  errors = 0;
  private integral = 0;
  private lastChange: number;
  readonly revisions = new Map<string, RevisionCounters>();

  constructor(now: number) {
    this.lastChange = now;
  }

  /** Adds `delta` to in-flight, integrating the previous level over the elapsed time. */
  change(delta: number, now: number): void {
    this.integral += this.inFlight * Math.max(0, now - this.lastChange);
    this.lastChange = now;
    this.inFlight += delta;
  }

  /** The integral of in-flight requests up to `now`, in request·ms. */
  integralAt(now: number): number {
    return this.integral + this.inFlight * Math.max(0, now - this.lastChange);
  }

  /** Counters for one revision, created on first use. */
  revision(name: string): RevisionCounters {
    let r = this.revisions.get(name);
    if (!r) {
      r = { inFlight: 0, requests: 0, errors: 0 };
      this.revisions.set(name, r);
    }
    return r;
  }
}

/** A request waiting for a scaled-to-zero service to get endpoints. */
export interface Waiter {
  wake(outcome: 'ready' | 'removed' | 'closed'): void;
}

/** Routing state of one service. */
export class ServiceRoute {
  revisions: RevisionRoute[] = [];
  containerConcurrency = 0;
  maxInFlight: number | undefined;
  timeoutMs: number | undefined;
  modelName: string | undefined;
  project: string | undefined;
  isPublic = false;
  /** Requests currently forwarded to replicas (not queued). */
  active = 0;
  readonly waiters = new Set<Waiter>();

  constructor(readonly name: string) {}

  /** Applies a new spec, reusing Endpoint objects (and their counts and sockets) for endpoints that stay. */
  apply(spec: ServiceRouteSpec): void {
    const old = new Map<string, Endpoint>();
    for (const rev of this.revisions) for (const ep of rev.endpoints) old.set(key(ep.id, ep.url), ep);
    const oldRevs = new Map(this.revisions.map((r) => [r.name, r]));
    const kept = new Set<Endpoint>();
    this.revisions = spec.revisions.map((r) => {
      const prev = oldRevs.get(r.name);
      const endpoints = r.endpoints.map((e) => {
        const ep = old.get(key(e.id, e.url)) ?? new Endpoint(e.id, e.url);
        kept.add(ep);
        return ep;
      });
      return { name: r.name, percent: r.percent, endpoints, cursor: prev?.cursor ?? 0, weight: 0, currentWeight: prev?.currentWeight ?? 0 };
    });
    for (const ep of old.values()) if (!kept.has(ep)) retire(ep);
    this.containerConcurrency = spec.containerConcurrency ?? 0;
    this.maxInFlight = spec.maxInFlight;
    this.timeoutMs = spec.timeoutMs;
    this.modelName = spec.modelName;
    this.project = spec.project;
    this.isPublic = spec.public === true;
  }

  /** Number of endpoints that can take traffic. */
  readyEndpoints(): number {
    let n = 0;
    for (const r of this.revisions) n += r.endpoints.length;
    return n;
  }

  /** The most requests the service may have forwarded at once: the configured cap, else containerConcurrency × endpoints, else unbounded. */
  concurrencyLimit(): number {
    if (this.maxInFlight !== undefined) return this.maxInFlight;
    if (this.containerConcurrency > 0) return this.containerConcurrency * this.readyEndpoints();
    return Number.POSITIVE_INFINITY;
  }

  /**
   * Chooses a revision by percent (revisions without usable endpoints drop out and their share is spread over the
   * rest in proportion), then the endpoint with the fewest outstanding requests, skipping `exclude`d ones.
   */
  pick(exclude: ReadonlySet<Endpoint>, now: number): { revision: RevisionRoute; endpoint: Endpoint } | null {
    let usable = 0;
    let percentSum = 0;
    for (const r of this.revisions) {
      const ok = r.endpoints.some((e) => !exclude.has(e));
      r.weight = ok ? r.percent : 0;
      if (ok) {
        usable++;
        percentSum += r.percent;
      }
    }
    if (usable === 0) return null;
    // Only zero-percent revisions have endpoints left: split evenly rather than fail.
    if (percentSum === 0) for (const r of this.revisions) if (r.endpoints.some((e) => !exclude.has(e))) r.weight = 1;
    const revision = pickSmoothWeighted(this.revisions);
    if (revision === null) return null;
    const endpoint = leastOutstanding(revision, exclude, now);
    return endpoint ? { revision, endpoint } : null;
  }

  /** Marks every endpoint removed (the route itself is going away). */
  retireAll(): void {
    for (const r of this.revisions) for (const ep of r.endpoints) retire(ep);
    this.revisions = [];
  }
}

function leastOutstanding(rev: RevisionRoute, exclude: ReadonlySet<Endpoint>, now: number): Endpoint | null {
  const n = rev.endpoints.length;
  let best: Endpoint | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  const start = rev.cursor++ % Math.max(1, n);
  for (let i = 0; i < n; i++) {
    const ep = rev.endpoints[(start + i) % n];
    if (exclude.has(ep)) continue;
    // A recently refused endpoint sorts after every healthy one, but is still used if it is all there is.
    const score = ep.inFlight + (ep.avoidUntil > now ? 1e9 : 0);
    if (score < bestScore) {
      best = ep;
      bestScore = score;
    }
  }
  return best;
}

function retire(ep: Endpoint): void {
  if (ep.removed) return;
  ep.removed = true;
  if (ep.inFlight === 0) ep.agent.destroy();
}

function key(id: string, url: string): string {
  return `${id}\u0000${url}`;
}
