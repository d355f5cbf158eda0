/**
 * Capstan's two pipeline extensions into the registry and serving: a task may register an output
 * artifact as the next ModelVersion of a model (lineage: run, task's job, input artifacts), and a
 * task may point an InferenceService at a model version (creating it, or rolling it to the new
 * version). Both run in the controller after the task's process succeeded.
 */
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Logger } from 'pino';
import { InferenceServiceKind } from '../api/kinds/inference-service.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import { ModelRegistry } from '../registry/model-registry.js';
import { parseRegisterRequest } from '../registry/register-request.js';
import { DEFAULT_REGISTRY_OPTIONS, openRegistryBlobStore, type RegistryOptions } from '../registry/registry-options.js';
import { listDirectory } from '../registry/transfer-client.js';

/** Registers files as model versions, with pipeline lineage. */
export class PipelineModelSteps {
  private registry: ModelRegistry | undefined;

  constructor(private readonly d: { client: LocalClient; dataDir: string; s3?: RegistryOptions['s3']; log: Logger }) {}

  private open(): ModelRegistry {
    // Opened on first use: most runs register nothing.
    this.registry ??= new ModelRegistry({ client: this.d.client, store: openRegistryBlobStore(this.d.dataDir, { s3: this.d.s3 }), log: this.d.log, maxInspectBytes: DEFAULT_REGISTRY_OPTIONS.maxInspectBytes });
    return this.registry;
  }

  /** Registers `sourcePath` as the next version of `model`; returns `model@version`. */
  async register(a: { namespace: string; model: string; sourcePath: string; run: string; task: string; job: string; inputs: string[]; metrics?: Record<string, number> }): Promise<string> {
    const r = this.open();
    const put = async (file: string) => (await r.store.put(createReadStream(file))).sha256;
    const body: Record<string, unknown> = {
      lineage: { pipelineRun: a.run, trainingJob: a.job, ...(a.inputs.length ? { dataset: a.inputs.join(',').slice(0, 2048) } : {}) },
      params: { pipelineTask: a.task },
      metrics: a.metrics ?? {},
      description: `Registered by PipelineRun ${a.run}, task ${a.task}`,
      reason: `pipeline run ${a.run}`,
    };
    if (statSync(a.sourcePath).isDirectory()) {
      const files = await listDirectory(a.sourcePath);
      body.files = await Promise.all(files.map(async (f) => ({ path: f.rel, sha256: await put(f.abs), mode: f.mode & 0o111 ? 0o755 : 0o644 })));
    } else body.file = { path: basename(a.sourcePath).includes('.') ? basename(a.sourcePath) : `${basename(a.sourcePath)}.onnx`, sha256: await put(a.sourcePath) };
    const { object } = await r.register(a.namespace, a.model, parseRegisterRequest(a.model, body), 'system:pipelinerun-controller');
    return `${a.model}@${String((object.spec as { version?: string }).version ?? '')}`;
  }

  /** Creates the InferenceService on `modelRef`, or moves an existing one to it (its rollout rules apply). */
  async deploy(run: KubeObject, service: string, modelRef: string): Promise<string> {
    const ns = run.metadata.namespace!;
    const cur = await this.d.client.tryGet(InferenceServiceKind, ns, service);
    if (!cur) {
      const createdBy = run.metadata.annotations?.['capstan.dev/created-by'];
      await this.d.client.create(InferenceServiceKind, {
        apiVersion: 'capstan.dev/v1alpha1',
        kind: 'InferenceService',
        metadata: { name: service, namespace: ns, labels: { 'capstan.dev/pipeline-run': run.metadata.name }, ...(createdBy ? { annotations: { 'capstan.dev/created-by': createdBy } } : {}) },
        spec: { predictor: { model: modelRef } },
      });
      return `created InferenceService ${service} on ${modelRef}`;
    }
    await this.d.client.patch(InferenceServiceKind, ns, service, { spec: { predictor: { model: modelRef } } });
    return `rolled InferenceService ${service} to ${modelRef}`;
  }
}
