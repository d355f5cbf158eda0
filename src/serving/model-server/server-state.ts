/** Process-wide serving state shared by the HTTP and gRPC front ends. */
import type { ModelManager } from './model-manager.js';
import type { ModelServerMetrics } from './metrics.js';
import type { TensorMetadata } from './infer-types.js';
import { InferError, badRequest } from './infer-error.js';
import { modelConfigView, type ModelConfigView } from './model-config-view.js';
import type { ModelStatistics } from './model-stats.js';

/** Name and version reported by server metadata. */
export const SERVER_NAME = 'capstan';
/** Server version reported by server metadata. */
export const SERVER_VERSION = '0.1.0';
/** Protocol extensions this server implements. */
export const SERVER_EXTENSIONS = ['binary_tensor_data', 'model_repository', 'model_configuration', 'parameters', 'schedule_policy', 'statistics'];

/** Counters and flags both front ends consult. */
export class ServerState {
  shuttingDown = false;
  loaded = false;
  private active = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly manager: ModelManager, readonly metrics: ModelServerMetrics) {}

  /** Live = the process answers; ready = loaded, not draining, every model ready. */
  get live(): boolean { return true; }
  /** See live. */
  get ready(): boolean { return this.loaded && !this.shuttingDown && this.manager.allReady(); }

  /** Marks a request as started; call the returned function exactly once when it is answered. */
  begin(): () => void {
    this.active++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      if (this.active === 0) {
        const w = this.waiters;
        this.waiters = [];
        for (const r of w) r();
      }
    };
  }

  /** Resolves when no request is being handled. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** OIP model metadata for `name[/version]`. */
  modelMetadata(name: string, version?: string): { name: string; versions: string[]; platform: string; inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
    const mv = this.manager.resolve(name, version);
    const md = mv.metadata();
    return { name, versions: this.manager.versionsOf(name), platform: 'onnxruntime_onnx', inputs: md.inputs, outputs: md.outputs };
  }

  /** (Re)loads a model from the repository; BadRequest when no version of it could load. */
  async loadModel(name: string): Promise<void> {
    const states = await this.manager.load(name);
    const failed = states.filter((s) => s.state !== 'READY');
    if (failed.length > 0 && failed.length === states.length) {
      throw badRequest(`failed to load model '${name}': ${failed.map((f) => f.reason).join('; ')}`);
    }
  }

  /** Effective Triton-style configuration of `name[/version]`. */
  modelConfig(name: string, version?: string): ModelConfigView {
    return modelConfigView(this.manager.resolve(name, version));
  }

  /** Triton statistics of every loaded version, of one model, or of one version; unknown names are NotFound. */
  modelStatistics(name?: string, version?: string): { model_stats: ModelStatistics[] } {
    if (name === undefined) return { model_stats: this.manager.loadedVersions().map((v) => v.statistics()) };
    if (version !== undefined) return { model_stats: [this.manager.resolve(name, version).statistics()] };
    this.manager.resolve(name);
    return { model_stats: this.manager.loadedVersions(name).map((v) => v.statistics()) };
  }

  /** Whether `name[/version]` is ready; throws NotFound for unknown names/versions. */
  modelReady(name: string, version?: string): boolean {
    try {
      this.manager.resolve(name, version);
      return true;
    } catch (err) {
      if (err instanceof InferError && err.code === 'NotReady') return false;
      throw err;
    }
  }
}
