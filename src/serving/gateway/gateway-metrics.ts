/** Prometheus metrics of the gateway, registered on the Registry the caller passes in. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The gateway's metric handles. */
export interface GatewayMetrics {
  requests: Counter<'service' | 'revision' | 'code'>;
  duration: Histogram<'service' | 'revision'>;
  inFlight: Gauge<'service'>;
  queued: Gauge<'service'>;
  retries: Counter<'service'>;
}

/** Creates and registers the gateway metrics on `registry`. */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    requests: new Counter({ name: 'capstan_gateway_requests_total', help: 'Requests answered by the gateway, by service, revision and HTTP status code', labelNames: ['service', 'revision', 'code'], registers }),
    duration: new Histogram({
      name: 'capstan_gateway_request_duration_seconds',
      help: 'Time from request arrival to the end of the response, including time queued while a service scales from zero',
      labelNames: ['service', 'revision'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    inFlight: new Gauge({ name: 'capstan_gateway_in_flight_requests', help: 'Requests in flight (forwarded or queued) per service', labelNames: ['service'], registers }),
    queued: new Gauge({ name: 'capstan_gateway_queued_requests', help: 'Requests waiting for a scaled-to-zero service to get ready replicas', labelNames: ['service'], registers }),
    retries: new Counter({ name: 'capstan_gateway_retries_total', help: 'Requests retried on another replica after a connection failure before any response byte', labelNames: ['service'], registers }),
  };
}
