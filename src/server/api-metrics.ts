/** The API server's Prometheus metrics: requests by route, verb and code, and latency. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Metrics of the API server, on a registry of its own. */
export class ApiMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'verb' | 'code'>;
  readonly duration: Histogram<'route' | 'verb'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    collectDefaultMetrics({ register: registry, prefix: 'capstan_process_' });
    this.requests = new Counter({ name: 'capstan_apiserver_requests_total', help: 'API requests by route, verb and HTTP code', labelNames: ['route', 'verb', 'code'], registers: [registry] });
    this.duration = new Histogram({
      name: 'capstan_apiserver_request_duration_seconds',
      help: 'API request latency by route and verb',
      labelNames: ['route', 'verb'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }
}
