/** Prometheus metrics of the model server, registered on a Registry passed in (rendered by prom-client). */
import type { Registry } from 'prom-client';
import { LocalCounter, LocalGauge, LocalHistogram, type CounterChild, type GaugeChild, type HistogramChild } from './local-metrics.js';

/** Per model+version metric children, cached so the hot path does no label lookups. */
export interface ModelMetrics {
  success: CounterChild;
  failure: CounterChild;
  queueSeconds: HistogramChild;
  computeSeconds: HistogramChild;
  batchSize: HistogramChild;
  inFlight: GaugeChild;
  queueDepth: GaugeChild;
  /** Memory held by the version (bytes, estimated at load). */
  memoryBytes: GaugeChild;
  /** Requests refused at once, by reason. */
  rejected: Record<'expected_wait' | 'queue_full', CounterChild>;
}

/** All model-server metrics. */
export class ModelServerMetrics {
  readonly requests: LocalCounter;
  readonly requestSeconds: LocalHistogram;
  readonly queueSeconds: LocalHistogram;
  readonly computeSeconds: LocalHistogram;
  readonly batchSize: LocalHistogram;
  readonly inFlight: LocalGauge;
  readonly queueDepth: LocalGauge;
  readonly rejected: LocalCounter;
  readonly memoryBytes: LocalGauge;

  constructor(readonly registry: Registry) {
    const latency = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    const mv = ['model', 'version'];
    this.requests = new LocalCounter('capstan_inference_requests_total', 'Inference requests by outcome (success|failure)', [...mv, 'outcome'], registry);
    this.requestSeconds = new LocalHistogram('capstan_inference_request_duration_seconds', 'Time from request received to response sent', [...mv, 'protocol'], latency, registry);
    this.queueSeconds = new LocalHistogram('capstan_inference_queue_duration_seconds', 'Time a request waited in the batch queue', mv, latency, registry);
    this.computeSeconds = new LocalHistogram('capstan_inference_compute_duration_seconds', 'Time onnxruntime spent on a batch', mv, latency, registry);
    this.batchSize = new LocalHistogram('capstan_inference_batch_size', 'Rows per executed batch', mv, [1, 2, 4, 8, 16, 32, 64, 128, 256], registry);
    this.inFlight = new LocalGauge('capstan_inference_in_flight_requests', 'Requests accepted and not yet answered', mv, registry);
    this.queueDepth = new LocalGauge('capstan_inference_queue_depth', 'Requests waiting in the batch queue', mv, registry);
    this.memoryBytes = new LocalGauge('capstan_model_memory_bytes', 'Memory a loaded model version holds (RSS growth at load, at least its file size)', mv, registry);
    this.rejected = new LocalCounter('capstan_inference_rejected_total', 'Requests refused at once (503/UNAVAILABLE): expected queue wait over the budget, or queue full', [...mv, 'reason'], registry);
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
      memoryBytes: this.memoryBytes.labels(l),
      rejected: {
        expected_wait: this.rejected.labels({ ...l, reason: 'expected_wait' }),
        queue_full: this.rejected.labels({ ...l, reason: 'queue_full' }),
      },
    };
  }
}
