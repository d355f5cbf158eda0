/**
 * Knative Pod Autoscaler (KPA) decision, after knative/serving pkg/autoscaler/scaling/autoscaler.go and the
 * bounds / scale-to-zero handling of pkg/reconciler/autoscaling/kpa/scaler.go. Pure: state in, state out.
 */
import {
  emptyMetricWindow,
  recordLoad,
  windowAverage,
  type LoadSample,
  type MetricWindowState,
} from './metric-window.js';

/** What the KPA scales on: in-flight requests per replica, or requests per second per replica. */
export type KpaMetric = 'concurrency' | 'rps';

/** KPA tuning; `kpaConfig()` fills Knative's defaults. Durations in milliseconds. */
export interface KpaConfig {
  metric: KpaMetric;
  /** Per-replica target of the metric (Knative `autoscaling.knative.dev/target`). */
  target: number;
  /** Fraction of `target` to aim for, leaving headroom for bursts (Knative default 0.7). */
  targetUtilization: number;
  stableWindowMs: number;
  /** Panic window as a percentage of the stable window (Knative default 10 → 6 s). */
  panicWindowPercent: number;
  /** Panic when the panic-window desired count is at least this many times the ready count (2 = 200%). */
  panicThreshold: number;
  /** At most this many times the ready count in one decision. */
  maxScaleUpRate: number;
  /** At least ready / this in one decision. */
  maxScaleDownRate: number;
  /** A scale-down only happens once the lower count has been wanted for this long (0 = immediately). */
  scaleDownDelayMs: number;
  /** How long the service must be idle (desired 0) before the last replica goes away. */
  scaleToZeroGracePeriodMs: number;
  minReplicas: number;
  /** 0 means unbounded. */
  maxReplicas: number;
  /** When waking from zero, start at least this many replicas. */
  activationScale: number;
  /** Bucket width of the metric window. */
  bucketMs: number;
}

/** Knative's defaults, overridden by `overrides`; throws RangeError naming the field when a value is out of range. */
export function kpaConfig(overrides: Partial<KpaConfig> = {}): KpaConfig {
  const c: KpaConfig = {
    metric: 'concurrency',
    target: 100,
    targetUtilization: 0.7,
    stableWindowMs: 60_000,
    panicWindowPercent: 10,
    panicThreshold: 2,
    maxScaleUpRate: 1000,
    maxScaleDownRate: 2,
    scaleDownDelayMs: 0,
    scaleToZeroGracePeriodMs: 30_000,
    minReplicas: 0,
    maxReplicas: 0,
    activationScale: 1,
    bucketMs: 1000,
    ...overrides,
  };
  const check = (field: keyof KpaConfig, ok: boolean, want: string): void => {
    if (!ok) throw new RangeError(`kpa config ${field} must be ${want}, got ${String(c[field])}`);
  };
  check('metric', c.metric === 'concurrency' || c.metric === 'rps', '"concurrency" or "rps"');
  check('target', c.target > 0, '> 0');
  check('targetUtilization', c.targetUtilization > 0 && c.targetUtilization <= 1, 'in (0, 1]');
  check('stableWindowMs', c.stableWindowMs >= 6000, '>= 6000');
  check('panicWindowPercent', c.panicWindowPercent >= 1 && c.panicWindowPercent <= 100, 'in [1, 100]');
  check('panicThreshold', c.panicThreshold >= 1.1, '>= 1.1');
  check('maxScaleUpRate', c.maxScaleUpRate > 1, '> 1');
  check('maxScaleDownRate', c.maxScaleDownRate > 1, '> 1');
  check('scaleDownDelayMs', c.scaleDownDelayMs >= 0, '>= 0');
  check('scaleToZeroGracePeriodMs', c.scaleToZeroGracePeriodMs >= 0, '>= 0');
  check('minReplicas', Number.isInteger(c.minReplicas) && c.minReplicas >= 0, 'an integer >= 0');
  check('maxReplicas', Number.isInteger(c.maxReplicas) && c.maxReplicas >= 0 && (c.maxReplicas === 0 || c.maxReplicas >= c.minReplicas), 'an integer >= minReplicas (or 0 for unbounded)');
  check('activationScale', Number.isInteger(c.activationScale) && c.activationScale >= 1, 'an integer >= 1');
  check('bucketMs', c.bucketMs > 0 && c.bucketMs <= c.stableWindowMs, 'in (0, stableWindowMs]');
  return Object.freeze(c);
}

/** Everything the KPA remembers between decisions. */
export interface KpaState {
  window: MetricWindowState;
  /** Last time the panic-window load was over the threshold; null when not panicking. */
  panicSince: number | null;
  /** Highest count decided during this panic: panic never scales down. */
  maxPanicReplicas: number;
  /** Recent decisions, for the scale-down delay (max over the delay window). */
  recentDesired: ReadonlyArray<{ t: number; desired: number }>;
  /** When the load-based recommendation first became 0 in the current idle stretch; null while busy. */
  idleSince: number | null;
  /** The previous decision, null before the first. */
  lastDesired: number | null;
}

/**
 * Fresh state. As Knative does after an autoscaler restart, a service already running more than one replica starts
 * in panic mode so that lost metric history cannot cause a sudden scale-down.
 */
export function kpaInitialState(config: KpaConfig, readyReplicas: number, now: number): KpaState {
  const panic = readyReplicas > 1;
  return {
    window: emptyMetricWindow(config.bucketMs, config.stableWindowMs),
    panicSince: panic ? now : null,
    maxPanicReplicas: panic ? readyReplicas : 0,
    recentDesired: [],
    idleSince: null,
    lastDesired: null,
  };
}

/** One KPA decision: the replica count to run, the state to keep, and a sentence explaining it. */
export interface KpaDecision {
  desired: number;
  newState: KpaState;
  reason: string;
  /** Observed averages, for status and dashboards. */
  observed: { stable: number; panic: number; panicking: boolean };
}

const fmt = (x: number): string => String(Math.abs(x) < 1 ? Math.round(x * 100) / 100 : Math.round(x * 10) / 10);

/**
 * Decides the replica count at `now` from new `samples` and the current number of ready replicas.
 * Order follows Knative: window averages → stable/panic desired counts clamped by the rate limits → panic
 * hysteresis → scale-down delay → min/max bounds → scale-to-zero grace.
 */
export function kpaDecide(
  state: KpaState,
  samples: readonly LoadSample[],
  config: KpaConfig,
  now: number,
  readyReplicas: number,
): KpaDecision {
  const window = recordLoad(state.window, samples, now);
  const from = state.lastDesired ?? readyReplicas;
  const stable = windowAverage(window, config.stableWindowMs, now);
  const panicWindowMs = Math.max(config.bucketMs, (config.stableWindowMs * config.panicWindowPercent) / 100);
  const panic = windowAverage(window, panicWindowMs, now);
  const pick = (w: typeof stable): number => (config.metric === 'rps' ? w.rps : w.concurrency);
  const observed = { stable: pick(stable), panic: pick(panic), panicking: state.panicSince !== null };

  if (!stable.hasData) {
    // Knative makes no decision without data; holding the previous count is the equivalent for a pure function.
    const desired = clamp(from, config);
    return {
      desired,
      newState: { ...state, window, lastDesired: desired },
      reason: `holding at ${desired}: no ${config.metric} data in the last ${config.stableWindowMs / 1000} s`,
      observed,
    };
  }

  const target = Math.max(0.01, config.target * config.targetUtilization);
  // With zero ready replicas the rates are computed against 1, so waking from zero is never rate-limited to zero.
  const ready = Math.max(1, readyReplicas);
  const maxUp = Math.ceil(config.maxScaleUpRate * ready);
  const maxDown = Math.floor(ready / config.maxScaleDownRate);
  const stableWanted = Math.ceil(observed.stable / target);
  const panicWanted = Math.ceil(observed.panic / target);
  let stableCount = Math.min(Math.max(stableWanted, maxDown), maxUp);
  let panicCount = Math.min(Math.max(panicWanted, maxDown), maxUp);
  if (config.activationScale > 1) {
    if (stableWanted > 0) stableCount = Math.max(stableCount, config.activationScale);
    if (panicWanted > 0) panicCount = Math.max(panicCount, config.activationScale);
  }

  const overThreshold = panicWanted / ready >= config.panicThreshold;
  let panicSince = state.panicSince;
  let maxPanicReplicas = state.maxPanicReplicas;
  let mode: 'stable' | 'panic' = 'stable';
  if (overThreshold) {
    panicSince = now; // entering or extending: panic lasts at least a stable window after the last surge
  } else if (panicSince !== null && panicSince + config.stableWindowMs < now) {
    panicSince = null;
    maxPanicReplicas = 0;
  }
  let desired = stableCount;
  const notes: string[] = [];
  if (panicSince !== null) {
    mode = 'panic';
    desired = Math.max(stableCount, panicCount);
    if (desired > maxPanicReplicas) maxPanicReplicas = desired;
    else if (desired < maxPanicReplicas) notes.push(`not scaling down to ${desired} while panicking`);
    desired = maxPanicReplicas;
  }
  const wanted = mode === 'panic' ? Math.max(stableWanted, panicWanted) : stableWanted;
  if (desired > wanted && mode === 'stable' && stableWanted < maxDown) notes.push(`scale-down limited to ÷${config.maxScaleDownRate} per step`);
  if (desired < wanted) notes.push(`scale-up limited to ×${config.maxScaleUpRate} per step`);

  let recentDesired = state.recentDesired;
  if (config.scaleDownDelayMs > 0) {
    recentDesired = [...recentDesired.filter((r) => r.t > now - config.scaleDownDelayMs), { t: now, desired }];
    const delayed = Math.max(...recentDesired.map((r) => r.desired));
    if (delayed > desired) {
      notes.push(`scale-down to ${desired} delayed ${config.scaleDownDelayMs / 1000} s`);
      desired = delayed;
    }
  }

  const bounded = clamp(desired, config);
  if (bounded !== desired) notes.push(bounded > desired ? `min ${config.minReplicas}` : `max ${config.maxReplicas}`);
  desired = bounded;

  let idleSince = state.idleSince;
  if (desired === 0) {
    idleSince ??= now;
    const idleFor = now - idleSince;
    if (idleFor < config.scaleToZeroGracePeriodMs && from > 0) {
      // As Knative does, keep one replica for the rest of the grace period rather than dropping to zero at once.
      desired = 1;
      notes.push(`idle ${fmt(idleFor / 1000)} s of ${fmt(config.scaleToZeroGracePeriodMs / 1000)} s grace before scaling to zero`);
    } else if (from > 0) {
      notes.push(`idle for ${fmt(idleFor / 1000)} s`);
    }
  } else {
    idleSince = null;
  }

  const value = mode === 'panic' ? Math.max(observed.panic, observed.stable) : observed.stable;
  const unit = config.metric === 'rps' ? 'rps' : 'concurrency';
  const why = `${mode}, observed ${unit} ${fmt(value)} over target ${fmt(target)}${notes.length ? ` (${notes.join('; ')})` : ''}`;
  const reason = desired === from ? `holding at ${desired}: ${why}` : `scaled ${from} → ${desired}: ${why}`;
  return {
    desired,
    newState: { window, panicSince, maxPanicReplicas, recentDesired, idleSince, lastDesired: desired },
    reason,
    observed: { ...observed, panicking: panicSince !== null },
  };
}

function clamp(n: number, c: KpaConfig): number {
  let x = Math.max(n, c.minReplicas);
  if (c.maxReplicas > 0) x = Math.min(x, c.maxReplicas);
  return x;
}
