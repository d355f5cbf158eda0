/**
 * The InferenceService reconciler (local runtime): resolves the model, keeps one revision per (model digest,
 * runtime template), runs replicas through the local runtime, routes ready replicas in the gateway, drains what is
 * no longer wanted and writes status. Level-triggered: it reads the object and the world each time.
 */
import type { Logger } from 'pino';
import { LOCAL_CLUSTER_NAME, targetClusterOf } from '../../api/kinds/cluster.js';
import { InferenceServiceKind, type InferenceServiceSpec, type InferenceServiceStatus, type RevisionStatus } from '../../api/kinds/inference-service.js';
import { MODEL_VERSION_LABEL } from '../../api/kinds/model-version.js';
import { ModelKind, type ModelStatus } from '../../api/kinds/model.js';
import type { KubeObject } from '../../api/meta.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { ReconcileResult, Reconciler } from '../../controllers/runtime/controller.js';
import { splitKey } from '../../controllers/runtime/informer.js';
import type { EventRecorder } from '../../controllers/runtime/event-recorder.js';
import { parseModelRef } from '../../registry/model-ref.js';
import type { LocalRuntime } from '../../runtime/local/index.js';
import type { Gateway, GatewayRoute } from '../gateway/index.js';
import { buildStatus, type ObservedRevision } from './isvc-status.js';
import { ModelSourceError, type ModelResolver, type ModelSourceSpec, type ResolvedModel } from './model-resolver.js';
import { revisionHash, templateOf, type RevisionTemplate } from './replica-command.js';
import { RevisionReplicas, type ReplicaPaths, type RevisionModel } from './revision-replicas.js';
import { ServiceAutoscaler, scalerSettings } from './service-autoscaler.js';
import { ServiceState, routeNameOf } from './service-state.js';
import { effectiveTraffic, planTraffic } from './traffic-plan.js';

/** What the reconciler works with. */
export interface IsvcReconcilerDeps {
  client: ResourceClient;
  runtime: LocalRuntime;
  gateway: Gateway;
  resolver: ModelResolver;
  recorder: EventRecorder;
  log: Logger;
  paths: ReplicaPaths;
  /** The gateway's base URL once it listens. */
  gatewayUrl: () => string | undefined;
  /** In-memory state of every service, shared with the autoscaler loop and the log routes. */
  services: Map<string, ServiceState>;
  /** Queues a reconcile of a key. */
  enqueue: (key: string) => void;
  /** Told when a new revision starts rolling out (the audit log records it under the alias move's correlation id). */
  onRollout?: (service: KubeObject, revision: string, model: RevisionModel, correlationId: string | undefined) => void;
}

type Failure = { reason: string; message: string };

interface FetchJob {
  done: boolean;
  promise?: Promise<void>;
  path?: string;
  error?: unknown;
}

function failureOf(err: unknown): Failure {
  if (err instanceof ModelSourceError) return { reason: err.reason, message: err.message };
  return { reason: 'InternalError', message: (err as Error).message };
}

/** Reconciles InferenceServices on the local runtime. */
export class InferenceServiceReconciler implements Reconciler {
  readonly name = 'inferenceservice';
  /** Model fetches in flight, by revision name. */
  private readonly fetches = new Map<string, FetchJob>();

  constructor(private readonly d: IsvcReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const ns = namespace ?? 'default';
    const obj = await this.d.client.tryGet(InferenceServiceKind, ns, name);
    // A service sent to a Kubernetes cluster runs there; this machine tears down anything it had.
    if (!obj || obj.metadata.deletionTimestamp || targetClusterOf(obj) !== LOCAL_CLUSTER_NAME) return this.teardown(key);
    const spec = obj.spec as InferenceServiceSpec;
    const prev = (obj.status ?? {}) as InferenceServiceStatus;
    const p = spec.predictor;
    let st = this.d.services.get(key);
    if (!st) {
      st = new ServiceState(key, ns, name);
      st.enqueue = () => this.d.enqueue(key);
      this.d.services.set(key, st);
    }
    st.object = obj;
    const now = Date.now();

    let settings;
    try {
      settings = scalerSettings(p, obj.metadata.annotations ?? {});
    } catch (err) {
      return this.writeFailure(obj, prev, { reason: 'InvalidAutoscaling', message: (err as Error).message });
    }
    if (!st.autoscaler || st.autoscaler.differs(settings)) {
      // after a platform restart nothing runs yet: start from the replica count the status recorded (0 when it was
      // scaled to zero: it stays there until a request wakes it), and keep the record's reason
      const recorded = !st.autoscaler && prev.observedGeneration === obj.metadata.generation ? prev.autoscaler : undefined;
      st.autoscaler = new ServiceAutoscaler(settings, now, st.readyTotal(), recorded?.desiredReplicas);
      if (recorded && st.autoscaler.desired === recorded.desiredReplicas && st.readyTotal() === 0) {
        st.autoscaler.reason = recorded.reason;
        st.scaledAt = recorded.at;
      }
    }

    let predictorError: Failure | undefined;
    let latest: RevisionReplicas | undefined;
    try {
      latest = await this.revisionFor(st, { model: p.model, storageUri: p.storageUri }, templateOf(p));
    } catch (err) {
      predictorError = failureOf(err);
    }
    let canaryError: Failure | undefined;
    let canary: RevisionReplicas | undefined;
    if (spec.canary) {
      try {
        canary = await this.revisionFor(st, { model: spec.canary.model, storageUri: spec.canary.storageUri }, templateOf(p, spec.canary.resources));
      } catch (err) {
        canaryError = failureOf(err);
      }
    }

    // The stable revision is recorded in status; after a platform restart nothing runs here, so it is rebuilt from
    // its status record (model digest and template) rather than forgotten: a KServe canary split or a rollback to
    // canaryTrafficPercent 0 must not turn into 100% for the latest revision.
    const restoring = new Map<string, RevisionStatus>();
    let stable: string | undefined;
    if (prev.stableRevision !== undefined) {
      const restored = await this.restoreStable(st, prev, latest?.rev.name);
      if (restored === 'pending') {
        stable = prev.stableRevision;
        restoring.set(stable, (prev.revisions ?? []).find((r) => r.name === stable)!);
      } else if (restored) stable = restored.rev.name;
    }
    const latestName = latest?.rev.name ?? stable;
    const ready = st.readyMap();
    const plan = latestName === undefined ? undefined : planTraffic({
      latest: latestName,
      stable,
      canary: canary && spec.canary ? { revision: canary.rev.name, percent: spec.canary.trafficPercent } : undefined,
      latestPercent: p.canaryTrafficPercent,
      totalReplicas: st.autoscaler.desired,
      maxSurge: spec.rollout.maxSurge,
      maxUnavailable: spec.rollout.maxUnavailable,
      ready,
      existing: [...st.revisions.keys()],
    });

    // act: start what is wanted, route what is ready, then drain what is not wanted
    const limits = new Map<string, number>();
    for (const r of plan?.revisions ?? []) {
      const rr = st.revisions.get(r.name);
      if (!rr) continue;
      rr.scaleUp(r.desiredReplicas);
      limits.set(r.name, r.desiredReplicas);
    }
    const routedReady: Record<string, number> = {};
    for (const [n, lim] of limits) routedReady[n] = st.revisions.get(n)?.endpoints(lim).length ?? 0;
    const traffic = plan ? effectiveTraffic(plan.revisions, routedReady) : [];
    this.setRoute(st, spec, traffic.map((t) => ({ name: t.revision, percent: t.percent, endpoints: st.revisions.get(t.revision)?.endpoints(limits.get(t.revision)) ?? [] })));
    for (const [n, lim] of limits) {
      const rr = st.revisions.get(n);
      const extra = rr?.surplus(lim) ?? [];
      if (rr && extra.length > 0) st.track(rr.drain(extra));
    }
    for (const n of plan?.retire ?? []) this.retire(st, n);

    // observe and report
    const observed = new Map<string, ObservedRevision>();
    for (const [n, rr] of st.revisions) {
      const replicas = rr.statuses();
      observed.set(n, { name: n, model: rr.rev.model, configHash: rr.rev.configHash, template: { ...rr.rev.template }, replicas, ready: rr.readyCount(), loadError: st.loadErrorOf(rr, now, () => this.d.enqueue(key)) });
    }
    // a revision being restored keeps its record (the source of the restore) until it runs again
    for (const [n, r] of restoring) {
      if (!observed.has(n)) observed.set(n, { name: n, model: r.model, configHash: r.configHash, template: r.template ?? {}, replicas: [], ready: 0, problem: { reason: 'ModelDownloading', message: `fetching the model of ${n} again after a restart` } });
    }
    const status = buildStatus({
      prev,
      generation: obj.metadata.generation ?? 0,
      now: new Date(now).toISOString(),
      url: this.d.gatewayUrl(),
      routeName: routeNameOf(ns, name),
      latest: latest?.rev.name,
      plan,
      observed,
      traffic,
      predictorError,
      canaryError,
      totalDesired: st.autoscaler.desired,
      autoscaler: st.autoscaler.reason ? { metric: p.scaleMetric, desiredReplicas: st.autoscaler.desired, reason: st.autoscaler.reason, at: st.scaledAt ?? new Date(now).toISOString() } : undefined,
    });
    await this.writeStatus(obj, prev, status);
    await this.holdModelVersion(obj, st, plan?.stable);

    const settled = restoring.size === 0 && (plan?.revisions ?? []).every((r) => (st.revisions.get(r.name)?.readyCount() ?? 0) >= r.desiredReplicas) && !st.busy() && !predictorError && !canaryError && (plan?.retire.length ?? 0) === 0;
    const downloading = predictorError?.reason === 'ModelDownloading' || canaryError?.reason === 'ModelDownloading';
    return { requeueAfterMs: settled ? 15_000 : (predictorError || canaryError) && !downloading ? 5000 : 1000 };
  }

  /**
   * The stable revision recorded in status, running here: as it is, or rebuilt from its status record after a
   * restart. 'pending' while its model is fetched again; undefined when there is none or it cannot be rebuilt
   * (its model is gone or changed: a Warning event says so and the latest revision takes over).
   */
  private async restoreStable(st: ServiceState, prev: InferenceServiceStatus, latest: string | undefined): Promise<RevisionReplicas | 'pending' | undefined> {
    const name = prev.stableRevision!;
    const have = st.revisions.get(name);
    if (have) return have;
    if (name === latest) return undefined;
    const recorded = (prev.revisions ?? []).find((r) => r.name === name);
    const t = recorded?.template;
    if (!recorded || !t || (t.runtime !== 'onnx' && t.runtime !== 'custom')) return undefined;
    const m = recorded.model;
    // a registry model by its exact version (an alias may have moved meanwhile), a URI as it was, or no model (custom)
    const src: ModelSourceSpec = m.storageUri !== undefined ? { storageUri: m.storageUri } : m.ref !== undefined && m.version !== undefined ? { model: `${m.ref.split('@')[0]}@${m.version}` } : {};
    if (m.sha256 !== undefined && src.model === undefined && src.storageUri === undefined) return undefined;
    try {
      return await this.revisionFor(st, src, t as unknown as RevisionTemplate, { name, model: m });
    } catch (err) {
      if (err instanceof ModelSourceError && err.reason === 'ModelDownloading') return 'pending';
      if (st.object) void this.d.recorder.event(st.object, 'Warning', 'RevisionRestoreFailed', `stable revision ${name} could not be restored after a restart (${(err as Error).message}); ${latest ?? 'the latest revision'} takes its place`);
      return undefined;
    }
  }

  /**
   * The revision for a model + template, fetching and pinning the model the first time. With `restore`, the
   * revision must come out with the recorded name (same model digest and template), and keeps the recorded model.
   */
  private async revisionFor(st: ServiceState, src: ModelSourceSpec, template: RevisionTemplate, restore?: { name: string; model: RevisionModel }): Promise<RevisionReplicas> {
    const hasModel = src.model !== undefined || src.storageUri !== undefined;
    const resolved = hasModel ? await this.d.resolver.resolve(st.namespace, src) : undefined;
    const hash = revisionHash(resolved?.sha256, template);
    const name = `${st.name}-${hash.slice(0, 8)}`;
    if (restore && name !== restore.name) throw new ModelSourceError('ModelNotFound', `its model ${src.model ?? src.storageUri ?? ''} now has digest ${resolved?.sha256 ?? 'none'}, not ${restore.model.sha256 ?? 'none'}`);
    const have = st.revisions.get(name);
    if (have) return have;
    const modelPath = resolved ? await this.fetched(st, name, resolved) : undefined;
    const model: RevisionModel = restore ? restore.model : resolved ? { ...(resolved.ref ? { ref: resolved.ref } : {}), ...(resolved.modelVersion ? { modelVersion: resolved.modelVersion, version: resolved.version } : {}), ...(resolved.storageUri ? { storageUri: resolved.storageUri } : {}), sha256: resolved.sha256 } : {};
    const rr = new RevisionReplicas({ namespace: st.namespace, service: st.name, name, configHash: hash, template, model, modelPath }, this.d.runtime, this.d.paths);
    st.revisions.set(name, rr);
    if (st.object && !restore && this.d.onRollout) void this.reportRollout(st.object, name, model);
    if (st.object) void this.d.recorder.event(st.object, 'Normal', restore ? 'RevisionRestored' : 'RevisionCreated', `revision ${name} for ${model.modelVersion ?? model.storageUri ?? 'custom runtime'}${restore ? ' (the stable revision, restarted from its status record)' : ''}`);
    return rr;
  }

  /**
   * The cached model file of a new revision. Fetching runs in the background: a reconcile never waits on a long
   * download; it reports ModelDownloading and the fetch's end queues the next reconcile.
   */
  private async fetched(st: ServiceState, revision: string, resolved: ResolvedModel): Promise<string> {
    let job = this.fetches.get(revision);
    if (!job) {
      const j: FetchJob = { done: false };
      j.promise = this.d.resolver.acquire(resolved).then((p) => { j.path = p; }, (err: unknown) => { j.error = err; }).finally(() => {
        j.done = true;
        st.enqueue?.();
      });
      job = j;
      this.fetches.set(revision, job);
    }
    if (!job.done) await Promise.race([job.promise, new Promise((r) => setTimeout(r, 200))]);
    if (!job.done) throw new ModelSourceError('ModelDownloading', `fetching ${resolved.ref ?? resolved.storageUri ?? resolved.sha256} into the model cache`);
    this.fetches.delete(revision);
    if (job.error !== undefined) throw job.error;
    return job.path!;
  }

  /** Reports a new revision with the correlation id of the alias move that pointed its model here (when one did). */
  private async reportRollout(service: KubeObject, revision: string, model: RevisionModel): Promise<void> {
    let correlationId: string | undefined;
    try {
      const ref = model.ref ? parseModelRef(model.ref) : undefined;
      if (ref && ref.raw !== 'latest') {
        const m = await this.d.client.tryGet(ModelKind, service.metadata.namespace, ref.model);
        const target = (m?.status as ModelStatus | undefined)?.aliases?.[ref.raw];
        if (target && target.version === model.version) correlationId = target.correlationId;
      }
    } catch {
      // a reference that does not parse has no alias move to link to
    }
    this.d.onRollout!(service, revision, model, correlationId);
  }

  private setRoute(st: ServiceState, spec: InferenceServiceSpec, revisions: GatewayRoute['revisions']): void {
    const route: GatewayRoute = {
      revisions,
      ...(spec.predictor.containerConcurrency > 0 ? { containerConcurrency: spec.predictor.containerConcurrency } : {}),
      ...(spec.predictor.timeout !== undefined ? { timeoutMs: spec.predictor.timeout * 1000 } : {}),
      modelName: st.name,
      project: st.namespace,
      ...(spec.public ? { public: true } : {}),
    };
    const sig = JSON.stringify(route);
    if (sig === st.routeSig) return;
    this.d.gateway.setRoute(routeNameOf(st.namespace, st.name), route);
    st.routeSig = sig;
  }

  private retire(st: ServiceState, name: string): void {
    const rr = st.revisions.get(name);
    if (!rr || st.retiring.has(name)) return;
    st.retiring.add(name);
    st.track((async () => {
      await rr.stopAll();
      st.revisions.delete(name);
      st.retiring.delete(name);
      if (rr.rev.model.sha256) await this.d.resolver.release(rr.rev.model.sha256);
      st.enqueue?.();
    })());
    if (st.object) void this.d.recorder.event(st.object, 'Normal', 'RevisionRetired', `revision ${name} drained and stopped`);
  }

  private async writeStatus(obj: KubeObject, prev: InferenceServiceStatus, status: InferenceServiceStatus): Promise<void> {
    if (JSON.stringify(prev) === JSON.stringify(status)) return;
    await this.d.client.updateStatus(InferenceServiceKind, { ...obj, status });
  }

  private async writeFailure(obj: KubeObject, prev: InferenceServiceStatus, f: Failure): Promise<ReconcileResult> {
    const status = buildStatus({ prev, generation: obj.metadata.generation ?? 0, now: new Date().toISOString(), url: this.d.gatewayUrl(), routeName: routeNameOf(obj.metadata.namespace ?? 'default', obj.metadata.name), observed: new Map(), traffic: [], predictorError: f, totalDesired: 0 });
    await this.writeStatus(obj, prev, status);
    return { requeueAfterMs: 10_000 };
  }

  /** Tells the registry which ModelVersion this service holds (label capstan.dev/model-version). */
  private async holdModelVersion(obj: KubeObject, st: ServiceState, stable: string | undefined): Promise<void> {
    const mv = stable ? st.revisions.get(stable)?.rev.model.modelVersion : undefined;
    const cur = obj.metadata.labels?.[MODEL_VERSION_LABEL];
    if (mv === cur || (mv === undefined && cur === undefined)) return;
    await this.d.client.patch(InferenceServiceKind, st.namespace, st.name, { metadata: { labels: { [MODEL_VERSION_LABEL]: mv ?? null } } });
  }

  /** The object is gone: unroute, drain every replica, forget the service. */
  private async teardown(key: string): Promise<void> {
    const st = this.d.services.get(key);
    if (!st) return;
    this.d.services.delete(key);
    this.d.gateway.removeRoute(routeNameOf(st.namespace, st.name));
    await Promise.all([...st.revisions.values()].map(async (rr) => {
      await rr.stopAll();
      if (rr.rev.model.sha256) await this.d.resolver.release(rr.rev.model.sha256);
    }));
    this.d.log.info({ kind: 'InferenceService', namespace: st.namespace, name: st.name }, 'inference service removed: replicas stopped');
  }
}
