/**
 * Kubernetes HorizontalPodAutoscaler decision for resource metrics (cpu, memory), after
 * pkg/controller/podautoscaler (replica_calculator.go and normalizeDesiredReplicasWithBehaviors). Pure.
 */

/** One scaling policy: at most `value` pods, or `value` percent of the replicas, per `periodMs`. */
export interface HpaPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodMs: number;
}

/** Behaviour in one direction, as `spec.behavior.scaleUp/scaleDown` of autoscaling/v2. */
export interface HpaRules {
  stabilizationWindowMs: number;
  /** `Max` picks the policy allowing the largest change, `Min` the smallest, `Disabled` forbids this direction. */
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: readonly HpaPolicy[];
}

/** HPA tuning; `hpaConfig()` fills the Kubernetes defaults. */
export interface HpaConfig {
  metric: 'cpu' | 'memory';
  /** Target average per replica, in the same unit as `HpaObservation.value` (e.g. utilization 0.8, or bytes). */
  target: number;
  /** Ratios within 1 ± tolerance do not scale (Kubernetes default 0.1). */
  tolerance: number;
  minReplicas: number;
  maxReplicas: number;
  scaleUp: HpaRules;
  scaleDown: HpaRules;
}

/** Kubernetes defaults: scale up at once (max of +4 pods or +100% per 15 s), scale down after a 300 s stabilization window (up to 100% per 15 s). */
export function hpaConfig(overrides: Partial<HpaConfig> & Pick<HpaConfig, 'target'>): HpaConfig {
  const c: HpaConfig = {
    metric: 'cpu',
    tolerance: 0.1,
    minReplicas: 1,
    maxReplicas: 10,
    scaleUp: {
      stabilizationWindowMs: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodMs: 15_000 },
        { type: 'Percent', value: 100, periodMs: 15_000 },
      ],
    },
    scaleDown: { stabilizationWindowMs: 300_000, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodMs: 15_000 }] },
    ...overrides,
  };
  const check = (field: string, ok: boolean, want: string, got: unknown): void => {
    if (!ok) throw new RangeError(`hpa config ${field} must be ${want}, got ${String(got)}`);
  };
  check('metric', c.metric === 'cpu' || c.metric === 'memory', '"cpu" or "memory"', c.metric);
  check('target', c.target > 0, '> 0', c.target);
  check('tolerance', c.tolerance >= 0 && c.tolerance < 1, 'in [0, 1)', c.tolerance);
  check('minReplicas', Number.isInteger(c.minReplicas) && c.minReplicas >= 1, 'an integer >= 1', c.minReplicas);
  check('maxReplicas', Number.isInteger(c.maxReplicas) && c.maxReplicas >= c.minReplicas, 'an integer >= minReplicas', c.maxReplicas);
  for (const dir of ['scaleUp', 'scaleDown'] as const) {
    const r = c[dir];
    check(`${dir}.stabilizationWindowMs`, r.stabilizationWindowMs >= 0, '>= 0', r.stabilizationWindowMs);
    r.policies.forEach((p, i) => {
      check(`${dir}.policies[${i}].value`, p.value > 0, '> 0', p.value);
      check(`${dir}.policies[${i}].periodMs`, p.periodMs > 0, '> 0', p.periodMs);
    });
  }
  return Object.freeze(c);
}

/** What the HPA remembers: recent recommendations (for stabilization) and recent changes (for rate policies). */
export interface HpaState {
  recommendations: ReadonlyArray<{ t: number; replicas: number }>;
  scaleEvents: ReadonlyArray<{ t: number; delta: number }>;
}

/** Fresh HPA state. */
export function hpaInitialState(): HpaState {
  return { recommendations: [], scaleEvents: [] };
}

/** Current replicas and the average per-replica metric over them. */
export interface HpaObservation {
  currentReplicas: number;
  /** Average per ready replica; undefined when the metric is not available yet. */
  value: number | undefined;
}

/** One HPA decision. */
export interface HpaDecision {
  desired: number;
  newState: HpaState;
  reason: string;
}

const fmt = (x: number): string => String(Math.round(x * 1000) / 1000);

/** Decides the replica count: desired = ceil(current × value / target) outside the tolerance band, then stabilization, rate policies and bounds. */
export function hpaDecide(state: HpaState, observation: HpaObservation, config: HpaConfig, now: number): HpaDecision {
  const current = observation.currentReplicas;
  const value = observation.value;
  if (current === 0) {
    // Kubernetes treats 0 replicas as autoscaling disabled; we start the minimum instead so a service is never stuck.
    const desired = config.minReplicas;
    return { desired, newState: state, reason: `scaled 0 → ${desired}: no replicas running, starting the minimum` };
  }
  if (value === undefined || !Number.isFinite(value)) {
    const desired = Math.min(Math.max(current, config.minReplicas), config.maxReplicas);
    return { desired, newState: state, reason: `holding at ${desired}: no ${config.metric} metric available` };
  }
  const ratio = value / config.target;
  const within = Math.abs(1 - ratio) <= config.tolerance;
  const raw = within ? current : Math.ceil(ratio * current);
  const notes: string[] = [];
  if (within) notes.push(`within ${fmt(config.tolerance * 100)}% tolerance`);

  // Stabilization: only scale up to the lowest, and down to the highest, recommendation of the respective window.
  const keepMs = Math.max(config.scaleUp.stabilizationWindowMs, config.scaleDown.stabilizationWindowMs);
  const recommendations = [...state.recommendations.filter((r) => r.t > now - keepMs), { t: now, replicas: raw }];
  let upRec = raw;
  let downRec = raw;
  for (const r of recommendations) {
    if (r.t > now - config.scaleUp.stabilizationWindowMs) upRec = Math.min(upRec, r.replicas);
    if (r.t > now - config.scaleDown.stabilizationWindowMs) downRec = Math.max(downRec, r.replicas);
  }
  let stabilized = current;
  if (stabilized < upRec) stabilized = upRec;
  if (stabilized > downRec) stabilized = downRec;
  if (stabilized !== raw) notes.push(`stabilized from ${raw} over the ${stabilized > raw ? 'scale-down' : 'scale-up'} window`);

  let desired = stabilized;
  if (desired > current) {
    const limit = Math.min(config.maxReplicas, scaleUpLimit(current, state.scaleEvents, config.scaleUp, now));
    if (desired > limit) {
      notes.push(limit === config.maxReplicas ? `max ${config.maxReplicas}` : `scale-up policy allows ${limit}`);
      desired = limit;
    }
    if (desired < config.minReplicas) desired = config.minReplicas;
  } else if (desired < current) {
    const limit = Math.max(config.minReplicas, scaleDownLimit(current, state.scaleEvents, config.scaleDown, now));
    if (desired < limit) {
      notes.push(limit === config.minReplicas ? `min ${config.minReplicas}` : `scale-down policy allows ${limit}`);
      desired = limit;
    }
    if (desired > config.maxReplicas) desired = config.maxReplicas;
  } else {
    const bounded = Math.min(Math.max(desired, config.minReplicas), config.maxReplicas);
    if (bounded !== desired) notes.push(bounded > desired ? `min ${config.minReplicas}` : `max ${config.maxReplicas}`);
    desired = bounded;
  }

  const periodMs = Math.max(0, ...config.scaleUp.policies.map((p) => p.periodMs), ...config.scaleDown.policies.map((p) => p.periodMs));
  const events = state.scaleEvents.filter((e) => e.t > now - periodMs);
  const scaleEvents = desired !== current ? [...events, { t: now, delta: desired - current }] : events;
  const why = `${config.metric} ${fmt(value)} vs target ${fmt(config.target)} (ratio ${fmt(ratio)})${notes.length ? `, ${notes.join('; ')}` : ''}`;
  const reason = desired === current ? `holding at ${desired}: ${why}` : `scaled ${current} → ${desired}: ${why}`;
  return { desired, newState: { recommendations, scaleEvents }, reason };
}

function changeInPeriod(events: HpaState['scaleEvents'], periodMs: number, now: number, sign: 1 | -1): number {
  let sum = 0;
  for (const e of events) if (e.t > now - periodMs && Math.sign(e.delta) === sign) sum += Math.abs(e.delta);
  return sum;
}

function scaleUpLimit(current: number, events: HpaState['scaleEvents'], rules: HpaRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  if (rules.policies.length === 0) return Number.POSITIVE_INFINITY;
  let limit = rules.selectPolicy === 'Min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const p of rules.policies) {
    const periodStart = current - changeInPeriod(events, p.periodMs, now, 1);
    const proposed = p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
    limit = rules.selectPolicy === 'Min' ? Math.min(limit, proposed) : Math.max(limit, proposed);
  }
  return Math.max(limit, current);
}

function scaleDownLimit(current: number, events: HpaState['scaleEvents'], rules: HpaRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  if (rules.policies.length === 0) return 0;
  let limit = rules.selectPolicy === 'Min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const p of rules.policies) {
    const periodStart = current + changeInPeriod(events, p.periodMs, now, -1);
    const proposed = p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
    // For scale-down, the most permissive policy is the one allowing the lowest count.
    limit = rules.selectPolicy === 'Min' ? Math.max(limit, proposed) : Math.min(limit, proposed);
  }
  return Math.min(limit, current);
}
