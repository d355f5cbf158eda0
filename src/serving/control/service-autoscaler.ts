/**
 * Per-service autoscaling state: feeds the gateway's load counters to the KPA (concurrency, rps) or replica
 * usage to the HPA (cpu, memory) and keeps the desired replica count with the sentence that explains it.
 */
import { parseDurationMs } from '../../api/duration.js';
import {
  hpaConfig,
  hpaDecide,
  hpaInitialState,
  kpaConfig,
  kpaDecide,
  kpaInitialState,
  sampleFromCounters,
  type HpaConfig,
  type HpaState,
  type KpaConfig,
  type KpaState,
  type LoadCounters,
} from '../../autoscaler/index.js';
import type { PredictorSpec } from '../../api/kinds/inference-service.js';

/** Replicas when maxReplicas is not set: a laptop should not grow without bound. */
export const DEFAULT_MAX_REPLICAS = 10;

/** The scaler a service uses, with its settings. */
export type ScalerSettings = { kind: 'kpa'; config: KpaConfig; initial: number } | { kind: 'hpa'; config: HpaConfig; initial: number };

export { parseDurationMs };

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Scaler settings from the predictor and Knative-style annotations (`autoscaling.knative.dev/window`,
 * `…/panic-window-percentage`, `…/target-utilization-percentage`, `…/scale-to-zero-pod-retention-period`,
 * `…/scale-down-delay`, `…/initial-scale`; `capstan.dev/scale-down-stabilization` for cpu/memory).
 * Throws RangeError naming the field when a value is out of range.
 */
export function scalerSettings(p: PredictorSpec, annotations: Record<string, string> = {}): ScalerSettings {
  const a = (k: string): string | undefined => annotations[`autoscaling.knative.dev/${k}`];
  const max = p.maxReplicas ?? Math.max(DEFAULT_MAX_REPLICAS, p.minReplicas);
  const initial = Math.min(max, Math.max(p.minReplicas, num(a('initial-scale')) ?? 1));
  if (p.scaleMetric === 'cpu' || p.scaleMetric === 'memory') {
    const stab = parseDurationMs(annotations['capstan.dev/scale-down-stabilization']);
    const base = hpaConfig({ target: 1 });
    const config = hpaConfig({
      metric: p.scaleMetric,
      target: p.scaleTarget ?? 80,
      minReplicas: Math.max(1, p.minReplicas),
      maxReplicas: max,
      ...(stab !== undefined ? { scaleDown: { ...base.scaleDown, stabilizationWindowMs: stab } } : {}),
    });
    return { kind: 'hpa', config, initial: Math.max(1, initial) };
  }
  const target = p.scaleTarget ?? (p.scaleMetric === 'rps' ? 100 : p.containerConcurrency > 0 ? p.containerConcurrency : 10);
  const util = num(a('target-utilization-percentage'));
  const config = kpaConfig({
    metric: p.scaleMetric,
    target,
    minReplicas: p.minReplicas,
    maxReplicas: max,
    ...(parseDurationMs(a('window')) !== undefined ? { stableWindowMs: parseDurationMs(a('window')) } : {}),
    ...(num(a('panic-window-percentage')) !== undefined ? { panicWindowPercent: num(a('panic-window-percentage')) } : {}),
    ...(util !== undefined ? { targetUtilization: util / 100 } : {}),
    ...(parseDurationMs(a('scale-to-zero-pod-retention-period')) !== undefined ? { scaleToZeroGracePeriodMs: parseDurationMs(a('scale-to-zero-pod-retention-period')) } : {}),
    ...(parseDurationMs(a('scale-down-delay')) !== undefined ? { scaleDownDelayMs: parseDurationMs(a('scale-down-delay')) } : {}),
  });
  return { kind: 'kpa', config, initial };
}

/** One scaling decision that changed the count. */
export interface ScaleChange {
  from: number;
  to: number;
  reason: string;
}

/** Resource readings of a service's replicas for the HPA: average utilization in percent of the request. */
export interface UsageReading {
  cpuPercent?: number;
  memoryPercent?: number;
}

/** The autoscaler of one service (state kept in memory; losing it is safe, see kpaInitialState). */
export class ServiceAutoscaler {
  desired: number;
  reason = '';
  private kpa: KpaState | undefined;
  private hpa: HpaState | undefined;
  private prev: LoadCounters | undefined;
  private readonly key: string;
  /** False until a replica was ready: like Knative's initial scale, a new service is not scaled before it ever served. */
  private activated: boolean;

  /**
   * `recorded`: the count the status recorded before a platform restart (spec unchanged), used when no replica is
   * ready; 0 keeps a service that was scaled to zero at zero (a request wakes it) instead of the initial scale.
   */
  constructor(readonly settings: ScalerSettings, now: number, readyReplicas: number, recorded?: number) {
    this.key = JSON.stringify(settings);
    const start = readyReplicas > 0 ? readyReplicas : recorded;
    this.desired = start !== undefined ? Math.min(Math.max(start, settings.config.minReplicas), settings.config.maxReplicas) : settings.initial;
    // without data the KPA holds its last decision: make that our starting count, not the ready count
    if (settings.kind === 'kpa') this.kpa = { ...kpaInitialState(settings.config, start ?? 0, now), lastDesired: this.desired };
    else this.hpa = hpaInitialState();
    this.activated = (start ?? 0) > 0;
  }

  /** True when these settings differ from the ones this autoscaler was built with. */
  differs(s: ScalerSettings): boolean {
    return JSON.stringify(s) !== this.key;
  }

  /** A request arrived while no replica is ready: wake to at least one replica now. */
  wake(): ScaleChange | undefined {
    if (this.desired > 0) return undefined;
    const to = this.settings.kind === 'kpa' ? Math.max(1, this.settings.config.activationScale) : 1;
    const change = { from: this.desired, to, reason: `scaled 0 → ${to}: request arrived while scaled to zero` };
    this.desired = to;
    this.reason = change.reason;
    return change;
  }

  /** One tick: returns the change when the desired count moved. */
  tick(counters: LoadCounters, readyReplicas: number, usage: UsageReading, now: number): ScaleChange | undefined {
    const from = this.desired;
    if (!this.activated) {
      if (readyReplicas === 0 && from > 0) {
        this.prev = counters;
        return undefined;
      }
      this.activated = true;
    }
    if (this.settings.kind === 'kpa' && this.kpa) {
      const samples = this.prev ? [sampleFromCounters(this.prev, counters)] : [];
      this.prev = counters;
      const d = kpaDecide(this.kpa, samples, this.settings.config, now, readyReplicas);
      this.kpa = d.newState;
      this.desired = d.desired;
      if (d.desired !== from) this.reason = d.reason;
    } else if (this.settings.kind === 'hpa' && this.hpa) {
      const value = this.settings.config.metric === 'cpu' ? usage.cpuPercent : usage.memoryPercent;
      const d = hpaDecide(this.hpa, { currentReplicas: from, value }, this.settings.config, now);
      this.hpa = d.newState;
      this.desired = d.desired;
      if (d.desired !== from) this.reason = d.reason;
    }
    return this.desired !== from ? { from, to: this.desired, reason: this.reason } : undefined;
  }
}
