/** Builds an InferenceService's status (conditions, revisions, traffic) from what the controller observed (pure). */
import { setCondition } from '../../api/conditions.js';
import type { InferenceServiceStatus, RevisionStatus } from '../../api/kinds/inference-service.js';
import type { Condition } from '../../api/meta.js';
import type { ProcessStatus } from '../../runtime/local/index.js';
import type { PlannedRevision, RevisionRole, TrafficPlan } from './traffic-plan.js';

/** What the controller saw of one revision. */
export interface ObservedRevision {
  name: string;
  model: RevisionStatus['model'];
  configHash: string;
  template: Record<string, unknown>;
  replicas: Array<{ index: number; status: ProcessStatus }>;
  ready: number;
  /** A replica's model failed to load (from the model server's metadata answer). */
  loadError?: string;
  /** Why the revision cannot run yet (e.g. its model is fetched again after a restart). */
  problem?: { reason: string; message: string };
}

/** Inputs of buildStatus. */
export interface StatusInput {
  prev: InferenceServiceStatus;
  generation: number;
  now: string;
  url?: string;
  routeName: string;
  latest?: string;
  plan?: TrafficPlan;
  observed: ReadonlyMap<string, ObservedRevision>;
  traffic: Array<{ revision: string; percent: number; role: RevisionRole }>;
  /** Resolution failure of the predictor's / canary's model. */
  predictorError?: { reason: string; message: string };
  canaryError?: { reason: string; message: string };
  totalDesired: number;
  autoscaler?: InferenceServiceStatus['autoscaler'];
}

function cond(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** Why a revision is not ready, from its replicas (CrashLoopBackOff beats BackOff beats starting). */
function revisionProblem(o: ObservedRevision | undefined, desired: number): { reason: string; message: string } | undefined {
  if (!o) return { reason: 'RevisionStarting', message: 'fetching the model and starting replicas' };
  if (o.problem) return { ...o.problem };
  if (o.loadError) return { reason: 'ModelLoadFailed', message: o.loadError };
  const bad = o.replicas.map((r) => r.status).find((s) => s.reason === 'CrashLoopBackOff') ?? o.replicas.map((r) => r.status).find((s) => s.phase === 'BackOff' || s.phase === 'Failed');
  if (bad) return { reason: bad.reason ?? 'BackOff', message: `replica ${bad.id.split('/').pop()}: ${bad.message ?? 'restarting'}` };
  if (o.ready < Math.max(1, desired)) return { reason: 'ReplicasStarting', message: `${o.ready}/${desired} replicas ready` };
  return undefined;
}

/** The next status; the caller writes it only when it differs from the previous one. */
export function buildStatus(s: StatusInput): InferenceServiceStatus {
  let conditions = s.prev.conditions ?? [];
  const planned = new Map<string, PlannedRevision>((s.plan?.revisions ?? []).map((r) => [r.name, r]));
  const revisions: RevisionStatus[] = [];
  for (const [name, o] of s.observed) {
    const p = planned.get(name);
    revisions.push({
      name,
      role: p?.role ?? 'retiring',
      model: o.model,
      configHash: o.configHash,
      template: o.template,
      desiredReplicas: p?.desiredReplicas ?? 0,
      readyReplicas: o.ready,
      replicas: o.replicas.map(({ index, status }) => ({
        index,
        state: status.phase,
        ready: status.ready,
        restarts: status.restarts,
        ...(status.pid !== undefined ? { pid: status.pid } : {}),
        ...(status.port !== undefined ? { port: status.port } : {}),
        ...(status.reason ? { reason: status.reason } : {}),
      })),
      ...(revisionProblem(o, p?.desiredReplicas ?? 0) && p && p.desiredReplicas > 0 ? { reason: revisionProblem(o, p.desiredReplicas)!.reason } : {}),
    });
  }

  const stableName = s.plan?.stable;
  const latestObs = s.latest ? s.observed.get(s.latest) : undefined;
  const latestPlan = s.latest ? planned.get(s.latest) : undefined;
  const stableServing = stableName !== undefined && (s.observed.get(stableName)?.ready ?? 0) > 0;
  const scaledToZero = s.totalDesired === 0 && !s.predictorError;

  let predictor: Condition;
  if (s.predictorError) {
    const still = stableServing && stableName !== s.latest ? `; still serving revision ${stableName}` : '';
    predictor = cond('PredictorReady', false, s.predictorError.reason, s.predictorError.message + still);
  } else if (scaledToZero) {
    predictor = cond('PredictorReady', true, 'ScaledToZero', 'scaled to zero: the next request wakes a replica');
  } else {
    const problem = revisionProblem(latestObs, latestPlan?.desiredReplicas ?? s.totalDesired);
    if (problem && s.plan?.phase === 'RollingOut' && stableServing) problem.message = `rolling out ${s.latest}: ${problem.message}; ${stableName} serves meanwhile`;
    predictor = problem ? cond('PredictorReady', false, problem.reason, problem.message) : cond('PredictorReady', true, 'ReplicasReady', `${latestObs?.ready ?? 0} replicas of ${s.latest} ready`);
  }
  conditions = setCondition(conditions, predictor, s.now);

  const routed = s.traffic.filter((t) => (s.observed.get(t.revision)?.ready ?? 0) > 0);
  const routes = routed.length > 0
    ? cond('RoutesReady', true, 'TrafficRouted', s.traffic.map((t) => `${t.revision} ${Math.round(t.percent * 10) / 10}%`).join(', '))
    : scaledToZero
      ? cond('RoutesReady', true, 'ScaledToZero', 'the gateway holds requests while a replica starts')
      : cond('RoutesReady', false, 'NoReadyReplicas', 'no revision has a ready replica yet');
  conditions = setCondition(conditions, routes, s.now);

  if (s.canaryError || s.plan?.revisions.some((r) => r.role === 'canary')) {
    const c = s.plan?.revisions.find((r) => r.role === 'canary');
    const problem = s.canaryError ?? (c ? revisionProblem(s.observed.get(c.name), c.desiredReplicas) : undefined);
    conditions = setCondition(conditions, problem ? cond('CanaryReady', false, problem.reason, problem.message) : cond('CanaryReady', true, 'ReplicasReady', `canary ${c?.name} takes ${c?.percent}%`), s.now);
  } else {
    conditions = conditions.filter((c) => c.type !== 'CanaryReady');
  }

  const ready = predictor.status === 'True' && routes.status === 'True';
  const readyCond = ready
    ? cond('Ready', true, s.plan?.phase === 'Canary' ? 'CanaryServing' : scaledToZero ? 'ScaledToZero' : 'Serving', `serving at ${s.url ?? '(gateway starting)'}/v2/models/${s.routeName}/infer`)
    : cond('Ready', false, predictor.status === 'False' ? predictor.reason ?? 'NotReady' : routes.reason ?? 'NotReady', predictor.status === 'False' ? predictor.message ?? '' : routes.message ?? '');
  conditions = setCondition(conditions, readyCond, s.now);

  const versions = new Set<string>();
  for (const t of s.traffic) {
    const m = s.observed.get(t.revision)?.model;
    if (m) versions.add(m.modelVersion ?? m.storageUri ?? m.sha256 ?? '');
  }
  let previous = s.prev.previousRevision;
  if (stableName && s.prev.stableRevision && stableName !== s.prev.stableRevision) {
    const old = (s.prev.revisions ?? []).find((r) => r.name === s.prev.stableRevision);
    if (old) previous = { name: old.name, model: old.model };
  }
  const out: InferenceServiceStatus = {
    ...(s.url ? { url: s.url } : {}),
    routeName: s.routeName,
    observedGeneration: s.generation,
    conditions,
    ...(stableName ? { stableRevision: stableName } : {}),
    ...(s.latest ? { latestRevision: s.latest } : {}),
    ...(previous ? { previousRevision: previous } : {}),
    revisions,
    traffic: s.traffic.map((t) => ({ revision: t.revision, percent: Math.round(t.percent * 100) / 100, role: t.role })),
    modelVersions: [...versions].filter((v) => v !== ''),
    ...(s.autoscaler ? { autoscaler: s.autoscaler } : {}),
  };
  return out;
}
