/**
 * `GET …/inferenceservices/{name}/metrics`: a short rolling history (default 150 samples, one every 2 s = 5 min)
 * of a service's requests/s, errors/s, p50/p99 latency, in-flight requests and ready/desired replicas, for the
 * dashboard's live charts. Sampled from the gateway's cumulative counters and its latency histogram (the gateway
 * keeps no history itself); the history lives in memory and starts empty after a restart.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ApiError } from '../../api/errors.js';
import { InferenceServiceKind } from '../../api/kinds/inference-service.js';
import type { LocalClient } from '../../client/local-client.js';
import type { Gateway } from '../gateway/index.js';
import { routeNameOf, type ServiceState } from './service-state.js';

/** Cumulative readings at one instant (what two samples are diffed from). */
export interface CumulativeReading {
  at: number;
  requests: number;
  errors: number;
  /** Cumulative histogram buckets: upper bound in seconds (Infinity last) → count. */
  buckets: Array<[number, number]>;
}

/** One point of a service's history. */
export interface ServiceSample {
  /** Epoch ms. */
  t: number;
  rps: number;
  errorsPerSec: number;
  /** Latency quantiles over the interval (ms); null when no request finished in it. */
  p50Ms: number | null;
  p99Ms: number | null;
  inFlight: number;
  readyReplicas: number;
  desiredReplicas: number | null;
}

/** The q-quantile (0..1) of a cumulative histogram, interpolated inside its bucket, in seconds; null if empty (pure). */
export function histogramQuantile(q: number, buckets: ReadonlyArray<readonly [number, number]>): number | null {
  const total = buckets.length ? buckets[buckets.length - 1]![1] : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      // Past the last finite bound nothing is known but "slower than that": report the bound, as Prometheus does.
      if (!Number.isFinite(le)) return prevLe;
      const inBucket = count - prevCount;
      return inBucket > 0 ? prevLe + ((le - prevLe) * (rank - prevCount)) / inBucket : le;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** The sample between two cumulative readings (pure); counter resets count as zero traffic. */
export function sampleBetween(prev: CumulativeReading, cur: CumulativeReading, extra: { inFlight: number; readyReplicas: number; desiredReplicas: number | null }): ServiceSample {
  const secs = Math.max(0.001, (cur.at - prev.at) / 1000);
  const diff = (a: number, b: number) => Math.max(0, a - b);
  const prevBy = new Map(prev.buckets);
  const delta = cur.buckets.map(([le, c]) => [le, diff(c, prevBy.get(le) ?? 0)] as [number, number]);
  const ms = (v: number | null) => (v === null ? null : Math.round(v * 1e5) / 100);
  return {
    t: cur.at,
    rps: Math.round((diff(cur.requests, prev.requests) / secs) * 100) / 100,
    errorsPerSec: Math.round((diff(cur.errors, prev.errors) / secs) * 100) / 100,
    p50Ms: ms(histogramQuantile(0.5, delta)),
    p99Ms: ms(histogramQuantile(0.99, delta)),
    ...extra,
  };
}

/** What the route reads. */
export interface IsvcMetricsRouteDeps {
  client: LocalClient;
  subjectOf(req: unknown): unknown;
  gateway: Gateway;
  services: Map<string, ServiceState>;
  /** The registry the gateway's histogram is registered on. */
  registry: Registry;
  sampleMs?: number;
  historySize?: number;
}

const HISTOGRAM = 'capstan_gateway_request_duration_seconds';
const BASE = `/apis/${InferenceServiceKind.group}/${InferenceServiceKind.version}/namespaces/:namespace/${InferenceServiceKind.plural}/:name/metrics`;

async function bucketsByService(registry: Registry): Promise<Map<string, Map<number, number>>> {
  const out = new Map<string, Map<number, number>>();
  const metric = registry.getSingleMetric(HISTOGRAM);
  if (!metric) return out;
  const data = await metric.get();
  for (const v of data.values) {
    if (!(v as { metricName?: string }).metricName?.endsWith('_bucket')) continue;
    const service = String(v.labels.service ?? '');
    const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
    const m = out.get(service) ?? new Map<number, number>();
    m.set(le, (m.get(le) ?? 0) + v.value);
    out.set(service, m);
  }
  return out;
}

/**
 * Registers the route and starts sampling every `sampleMs` (default 2 s). Returns the function that stops the
 * sampler (pass it to ctx.onStop).
 */
export function registerIsvcMetricsRoutes(app: FastifyInstance, deps: IsvcMetricsRouteDeps): () => void {
  const sampleMs = deps.sampleMs ?? 2000;
  const size = deps.historySize ?? 150;
  const history = new Map<string, ServiceSample[]>();
  const last = new Map<string, CumulativeReading>();
  let running = false;
  const sample = async () => {
    if (running) return;
    running = true;
    try {
      const buckets = await bucketsByService(deps.registry);
      for (const [key, st] of deps.services) {
        const route = routeNameOf(st.namespace, st.name);
        const stats = deps.gateway.stats(route);
        const cur: CumulativeReading = { at: stats.at, requests: stats.requests, errors: stats.errors, buckets: [...(buckets.get(route) ?? new Map<number, number>())].sort((a, b) => a[0] - b[0]) };
        const prev = last.get(key);
        last.set(key, cur);
        if (!prev) continue;
        const h = history.get(key) ?? [];
        h.push(sampleBetween(prev, cur, { inFlight: stats.inFlight, readyReplicas: st.readyTotal(), desiredReplicas: st.autoscaler?.desired ?? null }));
        if (h.length > size) h.splice(0, h.length - size);
        history.set(key, h);
      }
      // Services that are gone take their history with them.
      for (const key of [...history.keys()]) if (!deps.services.has(key)) history.delete(key);
      for (const key of [...last.keys()]) if (!deps.services.has(key)) last.delete(key);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sample().catch(() => undefined), sampleMs);
  timer.unref();

  app.get(BASE, async (req) => {
    if (!deps.subjectOf(req)) throw new ApiError('Unauthorized', 'a bearer token is required');
    const { namespace, name } = req.params as { namespace: string; name: string };
    // 404 for a service that does not exist (and the caller's access to the project is checked like any GET)
    await deps.client.get(InferenceServiceKind, namespace, name);
    return { service: name, intervalSeconds: sampleMs / 1000, samples: history.get(`${namespace}/${name}`) ?? [] };
  });
  return () => clearInterval(timer);
}
