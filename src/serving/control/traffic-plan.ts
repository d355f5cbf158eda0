/**
 * Pure rollout and traffic planning for one InferenceService: which revisions run, how many replicas each wants,
 * which share of traffic each gets, and when the latest revision becomes the stable one. No I/O, no clock.
 */

/** A revision's role in the plan. */
export type RevisionRole = 'stable' | 'canary' | 'rolling' | 'retiring';

/** What the planner reads. */
export interface TrafficPlanInput {
  /** The revision the predictor spec asks for now. */
  latest: string;
  /** The revision that served all traffic before (status.stableRevision); undefined on the first deploy. */
  stable?: string;
  /** spec.canary: a second revision with a fixed share. */
  canary?: { revision: string; percent: number };
  /** predictor.canaryTrafficPercent (KServe): the latest revision's share while the stable one keeps the rest. */
  latestPercent?: number;
  /** Replicas the service wants in total (autoscaler decision, already within min/max). */
  totalReplicas: number;
  /** rollout.maxSurge / maxUnavailable as counts or percents. */
  maxSurge: number | string;
  maxUnavailable: number | string;
  /** Ready replicas per revision now. */
  ready: Readonly<Record<string, number>>;
  /** Revisions that exist now (running or draining). */
  existing: readonly string[];
}

/** One revision in the plan. */
export interface PlannedRevision {
  name: string;
  role: RevisionRole;
  desiredReplicas: number;
  /** Share of traffic it should get when it has ready replicas. */
  percent: number;
}

/** The plan: revisions to run (with replicas and shares), the stable revision to record, revisions to drain. */
export interface TrafficPlan {
  revisions: PlannedRevision[];
  stable: string;
  retire: string[];
  /** What is going on, for status conditions. */
  phase: 'Serving' | 'RollingOut' | 'Canary';
}

/** A count or percent of `total`, rounded up (surge) or down (unavailable) as Kubernetes does. */
export function resolveCount(v: number | string, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.replace('%', ''));
  const x = (pct * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

function split(total: number, percent: number): number {
  // a revision that gets any traffic needs at least one replica whenever the service is awake
  if (total === 0 || percent === 0) return 0;
  return Math.max(1, Math.ceil((total * percent) / 100));
}

/** Plans revisions, replicas and traffic (pure). */
export function planTraffic(input: TrafficPlanInput): TrafficPlan {
  const { latest, totalReplicas: total } = input;
  const ready = (n: string): number => input.ready[n] ?? 0;
  const out: PlannedRevision[] = [];
  let stable = input.stable ?? latest;
  let phase: TrafficPlan['phase'] = 'Serving';

  if (stable === latest) {
    out.push({ name: latest, role: 'stable', desiredReplicas: total, percent: 100 });
  } else if (input.latestPercent !== undefined && input.latestPercent < 100) {
    // KServe canary: both run, the latest takes its share until promoted (percent 100 or removed)
    const p = input.latestPercent;
    phase = 'Canary';
    out.push({ name: stable, role: 'stable', desiredReplicas: split(total, 100 - p), percent: 100 - p });
    out.push({ name: latest, role: 'canary', desiredReplicas: Math.max(split(total, p), total > 0 ? 1 : 0), percent: p });
  } else if (total === 0 || ready(latest) >= Math.max(1, total)) {
    // nothing to keep warm, or the new revision is complete: it becomes stable and the old one drains
    stable = latest;
    out.push({ name: latest, role: 'stable', desiredReplicas: total, percent: 100 });
  } else {
    // rolling update: new replicas come up in surges; old ones go as new ones turn ready
    phase = 'RollingOut';
    const surge = resolveCount(input.maxSurge, total, true);
    const unavailable = resolveCount(input.maxUnavailable, total, false);
    const step = Math.max(1, surge + unavailable);
    const newWanted = Math.min(total, ready(latest) + step);
    const oldWanted = Math.max(0, Math.min(total, total - ready(latest) - unavailable));
    const r = ready(latest);
    const o = Math.min(ready(stable), oldWanted);
    // traffic follows ready replicas, as a Service over both Deployments' ready pods would
    const newPct = r + o === 0 ? 0 : (100 * r) / (r + o);
    out.push({ name: stable, role: 'stable', desiredReplicas: oldWanted, percent: 100 - newPct });
    out.push({ name: latest, role: 'rolling', desiredReplicas: newWanted, percent: newPct });
  }

  if (input.canary && !out.some((r) => r.name === input.canary!.revision)) {
    const p = input.canary.percent;
    if (phase === 'Serving') phase = 'Canary';
    for (const r of out) {
      r.percent = (r.percent * (100 - p)) / 100;
      if (r.role === 'stable') r.desiredReplicas = Math.min(r.desiredReplicas, split(total, 100 - p));
    }
    out.push({ name: input.canary.revision, role: 'canary', desiredReplicas: Math.max(split(total, p), total > 0 ? 1 : 0), percent: p });
  }

  const keep = new Set(out.map((r) => r.name));
  const retire = input.existing.filter((n) => !keep.has(n));
  return { revisions: out, stable, retire, phase };
}

/** Shares as the gateway should apply them now: revisions without ready replicas drop out and their share goes to the rest. */
export function effectiveTraffic(plan: readonly PlannedRevision[], ready: Readonly<Record<string, number>>): Array<{ revision: string; percent: number; role: RevisionRole }> {
  const live = plan.filter((r) => r.percent > 0 && (ready[r.name] ?? 0) > 0);
  const sum = live.reduce((s, r) => s + r.percent, 0);
  if (live.length === 0 || sum === 0) {
    // nothing ready: keep the intended shares (requests wait for a wake-up)
    return plan.filter((r) => r.percent > 0).map((r) => ({ revision: r.name, percent: r.percent, role: r.role }));
  }
  return live.map((r) => ({ revision: r.name, percent: (r.percent * 100) / sum, role: r.role }));
}
