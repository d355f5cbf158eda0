/** The registry capability's platform module: its routes, guards, controllers and the GC job. */
import { Counter } from 'prom-client';
import { ModelVersionKind } from '../api/kinds/model-version.js';
import { ModelKind } from '../api/kinds/model.js';
import type { PlatformModule } from '../server/platform-module.js';
import { registerArtifactRoutes } from './artifact-routes.js';
import { ModelInUseController, heldVersionKeys } from './in-use-controller.js';
import { ModelRegistry, holderKinds } from './model-registry.js';
import { ModelStatusController, modelKeyOfVersion } from './model-status-controller.js';
import { RegistryGcJob } from './registry-gc.js';
import { registerRegistryRoutes } from './registry-routes.js';
import { DEFAULT_REGISTRY_OPTIONS, openRegistryBlobStore, registryOptionsFromEnv, type RegistryOptions } from './registry-options.js';
import { installWriteGuards } from './write-guards.js';

/** The registry module with options (tests inject a faulty blob store or a short GC grace). */
export function createRegistryModule(overrides: Partial<RegistryOptions> = {}, envOverride?: NodeJS.ProcessEnv): PlatformModule {
  return {
    name: 'registry',
    install(ctx) {
      // the module's install is where its settings are read, once: env first, explicit options win
      const env = envOverride ?? ctx.cfg.environment;
      const opts: RegistryOptions = { ...DEFAULT_REGISTRY_OPTIONS, ...registryOptionsFromEnv(env), ...overrides };
      const store = opts.blobStore ?? openRegistryBlobStore(ctx.cfg.dataDir, { s3: opts.s3 });
      const log = ctx.log.child({ component: 'registry' });
      const registry = new ModelRegistry({ client: ctx.client, store, log, maxInspectBytes: opts.maxInspectBytes });
      const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [ctx.metrics] });
      const pushes = counter('capstan_registry_pushes_total', 'Version registrations by result', ['result']);
      const uploadedBytes = counter('capstan_registry_uploaded_bytes_total', 'Artifact bytes received');
      const downloads = counter('capstan_registry_downloads_total', 'Artifact downloads started');
      const gcDeleted = counter('capstan_registry_gc_deleted_blobs_total', 'Blobs deleted by the garbage collector');
      const gcFreed = counter('capstan_registry_gc_freed_bytes_total', 'Bytes freed by the garbage collector');

      registerRegistryRoutes(ctx.app, { registry, subjectOf: ctx.subjectOf, correlationOf: ctx.correlationOf, pushes });
      registerArtifactRoutes(ctx.app, { registry, maxArtifactBytes: opts.maxArtifactBytes, subjectOf: ctx.subjectOf, uploadedBytes, downloads });
      installWriteGuards(ctx.app, registry);

      const versions = ctx.manager.informer(ModelVersionKind);
      ctx.manager.add(new ModelInUseController(registry, ctx.recorder('registry-controller'), log), {
        primary: versions,
        watches: holderKinds(ctx.kinds.all()).map((k) => ({ informer: ctx.manager.informer(k), map: heldVersionKeys })),
        concurrency: 2,
        resyncMs: opts.inUseResyncMs,
      });
      ctx.manager.add(new ModelStatusController(ctx.client), {
        primary: ctx.manager.informer(ModelKind),
        watches: [{ informer: versions, map: modelKeyOfVersion }],
        concurrency: 1,
      });

      const gc = new RegistryGcJob(registry, { graceMs: opts.gcGraceMs, intervalMs: opts.gcIntervalMs, log, deleted: gcDeleted, freed: gcFreed });
      ctx.onStarted(() => {
        log.info({ store: store.description, gcGraceMs: opts.gcGraceMs, gcIntervalMs: opts.gcIntervalMs }, 'model registry ready');
        gc.start();
      });
      ctx.onStop(() => gc.stop());
    },
  };
}

/** Installs the registry with its default settings (and CAPSTAN_S3_* / CAPSTAN_REGISTRY_* from the environment). */
export const registryModule: PlatformModule = createRegistryModule();
