/**
 * The ModelRegistrar backed by the model registry: the job's output is stored in the registry's
 * blob store and registered as the next version of the model, with the job's metrics, params and
 * lineage. The registry module keeps its service private, so this builds a ModelRegistry over the
 * same blob store (same data dir, same S3 settings): both see the same blobs and objects.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { PlatformContext } from '../server/platform-module.js';
import { ModelRegistry } from '../registry/model-registry.js';
import { parseRegisterRequest } from '../registry/register-request.js';
import { DEFAULT_REGISTRY_OPTIONS, openRegistryBlobStore, registryOptionsFromEnv } from '../registry/registry-options.js';
import { listDirectory } from '../registry/transfer-client.js';
import type { ModelRegistrar, TrainingOutputRegistration } from './model-registrar.js';

/** The registrar the platform uses. */
export function registryRegistrar(ctx: PlatformContext): ModelRegistrar {
  let registry: ModelRegistry | undefined;
  // Opened on first use: most servers never finish a job that registers anything.
  const open = () => {
    const opts = { ...DEFAULT_REGISTRY_OPTIONS, ...registryOptionsFromEnv(ctx.cfg.environment) };
    registry ??= new ModelRegistry({ client: ctx.client, store: openRegistryBlobStore(ctx.cfg.dataDir, { s3: opts.s3 }), log: ctx.log.child({ component: 'training-registrar' }), maxInspectBytes: opts.maxInspectBytes });
    return registry;
  };
  return {
    async register(reg: TrainingOutputRegistration) {
      const r = open();
      const put = async (file: string) => (await r.store.put(createReadStream(file))).sha256;
      const body: Record<string, unknown> = {
        metrics: reg.metrics,
        params: reg.params,
        lineage: reg.lineage,
        description: reg.description,
        reason: reg.lineage.experiment ? `best trial ${reg.lineage.trial ?? ''} of Experiment ${reg.lineage.experiment}` : `trained by TrainingJob ${reg.lineage.trainingJob}`,
      };
      if (statSync(reg.sourcePath).isDirectory()) {
        const files = await listDirectory(reg.sourcePath);
        body.files = await Promise.all(files.map(async (f) => ({ path: f.rel, sha256: await put(f.abs), mode: f.mode & 0o111 ? 0o755 : 0o644 })));
      } else {
        body.file = { path: basename(reg.sourcePath), sha256: await put(reg.sourcePath) };
      }
      const req = parseRegisterRequest(reg.model, body);
      const { object } = await r.register(reg.namespace, reg.model, req, 'system:trainingjob-controller');
      const spec = object.spec as { version?: string };
      return { name: object.metadata.name, version: String(spec.version ?? '') };
    },
  };
}
