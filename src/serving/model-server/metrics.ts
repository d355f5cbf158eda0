/** Prometheus metrics of the model server, registered on a Registry passed in. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Per model+version metric children, cached so the hot path does no label lookups. */
export interface ModelMetrics {
  success: Counter.Internal;
  failure: Counter.Internal;
  queueSeconds: Histogram.Internal<string>;
  computeSeconds: Histogram.Internal<string>;
  batchSize: Histogram.Internal<string>;
  inFlight: Gauge.Internal<string>;
  queueDepth: Gauge.Internal<string>;
}

/** All model-server metrics. */
export class ModelServerMetrics {
  readonly requests: Counter<string>;
  readonly requestSeconds: Histogram<string>;
  readonly queueSeconds: Histogram<string>;
  readonly computeSeconds: Histogram<string>;
  readonly batchSize: Histogram<string>;
  readonly inFlight: Gauge<string>;
  readonly queueDepth: Gauge<string>;

  constructor(readonly registry: Registry) {
    const latency = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.requests = new Counter({
      name: 'capstan_inference_requests_total', help: 'Inference requests by outcome (success|failure)',
      labelNames: ['model', 'version', 'outcome'], registers: [registry],
    });
    this.requestSeconds = new Histogram({
      name: 'capstan_inference_request_duration_seconds', help: 'Time from request received to response sent',
      labelNames: ['model', 'version', 'protocol'], buckets: latency, registers: [registry],
    });
    this.queueSeconds = new Histogram({
      name: 'capstan_inference_queue_duration_seconds', help: 'Time a request waited in the batch queue',
      labelNames: ['model', 'version'], buckets: latency, registers: [registry],
    });
    this.computeSeconds = new Histogram({
      name: 'capstan_inference_compute_duration_seconds', help: 'Time onnxruntime spent on a batch',
      labelNames: ['model', 'version'], buckets: latency, registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'capstan_inference_batch_size', help: 'Rows per executed batch',
      labelNames: ['model', 'version'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256], registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'capstan_inference_in_flight_requests', help: 'Requests accepted and not yet answered',
      labelNames: ['model', 'version'], registers: [registry],
    });
    this.queueDepth = new Gauge({
      name: 'capstan_inference_queue_depth', help: 'Requests waiting in the batch queue',
      labelNames: ['model', 'version'], registers: [registry],
    });
  }

  /** Metric children for one model version. */
  forModel(model: string, version: string): ModelMetrics {
    const l = { model, version };
    return {
      success: this.requests.labels({ ...l, outcome: 'success' }),
      failure: this.requests.labels({ ...l, outcome: 'failure' }),
      queueSeconds: this.queueSeconds.labels(l),
      computeSeconds: this.computeSeconds.labels(l),
      batchSize: this.batchSize.labels(l),
      inFlight: this.inFlight.labels(l),
      queueDepth: this.queueDepth.labels(l),
    };
  }
}
