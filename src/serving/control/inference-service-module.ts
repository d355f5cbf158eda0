/**
 * The inference-services capability's platform module: the gateway (on cfg.gatewayPort), the local runtime that
 * runs replicas, the model cache, the InferenceService controller, the autoscaler loop and the log route.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { InferenceServiceKind, type InferenceServiceSpec } from '../../api/kinds/inference-service.js';
import { ModelVersionKind, type ModelVersionSpec } from '../../api/kinds/model-version.js';
import { ModelKind } from '../../api/kinds/model.js';
import type { KubeObject } from '../../api/meta.js';
import { ModelCache, type BlobStore } from '../../artifacts/index.js';
import { openRegistryBlobStore, registryOptionsFromEnv } from '../../registry/registry-options.js';
import { LocalRuntime, ProcessLedger } from '../../runtime/local/index.js';
import type { PlatformModule } from '../../server/platform-module.js';
import { Gateway } from '../gateway/index.js';
import { autoscaleTick, wakeService, type AutoscaleLoopDeps } from './autoscale-loop.js';
import { inferAuthorizer } from './infer-authorizer.js';
import { InferenceServiceReconciler } from './isvc-reconciler.js';
import { registerIsvcLogRoutes } from './isvc-log-routes.js';
import { registerIsvcMetricsRoutes } from './isvc-metrics-routes.js';
import { registerIsvcProxyRoutes } from './isvc-proxy-routes.js';
import { ModelResolver } from './model-resolver.js';
import { repoRootDir } from './replica-command.js';
import type { ServiceState } from './service-state.js';

/** Settings of the module (tests and benchmarks shorten the loop). */
export interface InferenceServiceModuleOptions {
  /** Autoscaler tick (default 2 s). */
  autoscaleIntervalMs?: number;
  /** Model cache size limit (default 10 GiB; CAPSTAN_MODEL_CACHE_BYTES). */
  modelCacheBytes?: number;
  /** How long the gateway holds requests for a service waking from zero (default 60 s). */
  wakeTimeoutMs?: number;
  /** Grace for replicas when the platform stops (default 5 s). */
  stopGraceMs?: number;
}

function modelOfRef(ref: string | undefined): string | undefined {
  return ref === undefined ? undefined : ref.split('@')[0];
}

/** Keys of the services that follow a registry model (so an alias move or a new version re-resolves them). */
function followersOf(isvcs: () => KubeObject[]): (obj: KubeObject) => string[] {
  return (obj) => {
    const model = obj.kind === 'ModelVersion' ? (obj.spec as ModelVersionSpec | undefined)?.model : obj.metadata.name;
    return isvcs()
      .filter((s) => {
        if (s.metadata.namespace !== obj.metadata.namespace) return false;
        const spec = s.spec as InferenceServiceSpec;
        return modelOfRef(spec.predictor.model) === model || modelOfRef(spec.canary?.model) === model;
      })
      .map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
  };
}

/** The module with options. */
export function createInferenceServiceModule(opts: InferenceServiceModuleOptions = {}): PlatformModule {
  return {
    name: 'inference-services',
    async install(ctx) {
      const log = ctx.log.child({ component: 'inference-services' });
      const services = new Map<string, ServiceState>();
      const envBytes = Number(ctx.cfg.environment.CAPSTAN_MODEL_CACHE_BYTES ?? '');
      const cache = new ModelCache({ root: join(ctx.cfg.dataDir, 'model-cache'), maxBytes: opts.modelCacheBytes ?? (envBytes > 0 ? envBytes : 10 * 1024 ** 3) });
      await cache.open();
      let registryStore: BlobStore | undefined;
      try {
        registryStore = openRegistryBlobStore(ctx.cfg.dataDir, { s3: registryOptionsFromEnv(ctx.cfg.environment).s3 });
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'registry artifact store unavailable: registry models cannot be served');
      }
      const resolver = new ModelResolver({ cache, client: ctx.client, registryStore, downloadDir: join(ctx.cfg.dataDir, 'model-cache-downloads') });
      const recorder = ctx.recorder('inferenceservice-controller');
      const gateway = new Gateway({ logger: ctx.log.child({ component: 'gateway' }), registry: ctx.metrics, wakeTimeoutMs: opts.wakeTimeoutMs, authorize: inferAuthorizer(ctx.authenticate, ctx.authorizer) });
      let gatewayUrl: string | undefined;
      let enqueue: (key: string) => void = () => undefined;
      const keyOfProcess = (id: string): string => id.split('/').slice(0, 2).join('/');
      // Replicas a crashed previous run left behind go before any new one starts (their lifeline normally took them).
      const ledger = new ProcessLedger(join(ctx.cfg.dataDir, 'run', 'inference-services'));
      const reaped = (await ledger.reap()).filter((r) => r.action === 'killed');
      if (reaped.length > 0) log.warn({ replicas: reaped.map((r) => r.id), pids: reaped.flatMap((r) => r.pids) }, 'killed replica processes left by a previous run');
      const runtime = new LocalRuntime({
        ledger,
        inheritedEnv: ctx.cfg.environment,
        onChange: (s) => enqueue(keyOfProcess(s.id)),
        onEvent: (e) => {
          const obj = services.get(keyOfProcess(e.id))?.object;
          if (obj) void recorder.event(obj, e.type, e.reason, e.message);
        },
      });
      const logRoot = join(ctx.cfg.dataDir, 'logs', 'inferenceservices');
      const paths = { logRoot, workRoot: join(ctx.cfg.dataDir, 'serving'), repoRoot: repoRootDir() };
      const reconciler = new InferenceServiceReconciler({
        client: ctx.client, runtime, gateway, resolver, recorder, log, paths, services,
        gatewayUrl: () => gatewayUrl,
        enqueue: (key) => enqueue(key),
        onRollout: (svc, revision, model, correlationId) =>
          ctx.audit.record({
            time: new Date().toISOString(),
            user: 'system:controller:inferenceservice',
            verb: 'rollout',
            resource: InferenceServiceKind.resource,
            kind: InferenceServiceKind.kind,
            namespace: svc.metadata.namespace,
            name: svc.metadata.name,
            uid: svc.metadata.uid,
            source: 'controller',
            outcome: 'success',
            code: 200,
            correlationId: correlationId ?? randomUUID(),
            diff: { revision, model: model.modelVersion ?? model.storageUri ?? model.ref ?? 'custom' },
          }),
      });
      const isvcInformer = ctx.manager.informer(InferenceServiceKind);
      const follow = followersOf(() => isvcInformer.list());
      const controller = ctx.manager.add(reconciler, {
        primary: isvcInformer,
        watches: [
          { informer: ctx.manager.informer(ModelKind), map: follow },
          { informer: ctx.manager.informer(ModelVersionKind), map: follow },
        ],
        concurrency: 4,
        resyncMs: 30_000,
      });
      enqueue = (key) => controller.queue.add(key);

      registerIsvcProxyRoutes(ctx.app, { client: ctx.client, subjectOf: ctx.subjectOf, credentialOf: ctx.credentialOf });
      ctx.onStop(registerIsvcMetricsRoutes(ctx.app, { client: ctx.client, subjectOf: ctx.subjectOf, gateway, services, registry: ctx.metrics }));
      registerIsvcLogRoutes(ctx.app, {
        client: ctx.client,
        services,
        subjectOf: ctx.subjectOf,
        logFile: (ns, svc, rev, i) => join(logRoot, ns, svc, `${rev}-${i}.log`),
      });

      const loop: AutoscaleLoopDeps = { services, gateway, runtime, recorder, log };
      let timer: NodeJS.Timeout | undefined;
      ctx.onStarted(async () => {
        try {
          const port = await gateway.listen(ctx.cfg.gatewayPort, ctx.cfg.host);
          const host = ctx.cfg.host === '0.0.0.0' ? '127.0.0.1' : ctx.cfg.host.includes(':') ? `[${ctx.cfg.host}]` : ctx.cfg.host;
          gatewayUrl = `http://${host}:${port}`;
          log.info({ url: gatewayUrl }, 'inference gateway listening');
        } catch (err) {
          log.error({ err: (err as Error).message, port: ctx.cfg.gatewayPort }, 'inference gateway could not listen: services will not be reachable');
        }
        gateway.onDemand((svc) => wakeService(loop, svc));
        timer = setInterval(() => {
          try {
            autoscaleTick(loop);
          } catch (err) {
            log.error({ err: (err as Error).message }, 'autoscaler tick failed');
          }
        }, opts.autoscaleIntervalMs ?? 2000);
        timer.unref();
        for (const o of isvcInformer.list()) enqueue(`${o.metadata.namespace}/${o.metadata.name}`);
      });
      ctx.onStop(async () => {
        if (timer) clearInterval(timer);
        await runtime.stopAll(opts.stopGraceMs ?? 5000);
        await gateway.close();
        await cache.close();
      });
    },
  };
}

/** Installs the inference-services capability with its default settings. */
export const inferenceServiceModule: PlatformModule = createInferenceServiceModule();

