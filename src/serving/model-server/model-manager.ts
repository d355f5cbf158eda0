/**
 * Owns every model version of the process: loads a repository in parallel (a broken model is
 * reported unavailable with its reason, others still serve), reloads/unloads on request, and
 * resolves `model[/version]` for the protocol front ends.
 */
import type { Logger } from 'pino';
import { readModelConfig, resolveModelConfig, type ModelConfig } from './model-config.js';
import { listModelVersions, listRepositoryModels, selectVersions, type ModelSource } from './model-repository.js';
import { ModelVersion } from './model-version.js';
import { InferError } from './infer-error.js';
import type { RuntimeOptions } from './ort-session.js';
import type { ModelServerMetrics } from './metrics.js';

/** State of a model version, as the repository index reports it. */
export interface ModelVersionState {
  name: string;
  version: string;
  state: 'READY' | 'UNAVAILABLE' | 'LOADING' | 'UNLOADING';
  reason: string;
}

interface ModelEntry {
  versions: Map<string, ModelVersion>;
  states: ModelVersionState[];
}

/** Where models come from. */
export interface ModelSources {
  repository?: string;
  models?: ModelSource[];
}

/** The model registry of one server process. */
export class ModelManager {
  private readonly models = new Map<string, ModelEntry>();

  constructor(
    private readonly sources: ModelSources,
    private readonly runtime: RuntimeOptions,
    private readonly metrics: ModelServerMetrics,
    private readonly log: Logger,
  ) {}

  /** Every model source: the repository's subdirectories plus explicitly given models. */
  async listSources(): Promise<ModelSource[]> {
    const fromRepo = this.sources.repository ? await listRepositoryModels(this.sources.repository) : [];
    return [...fromRepo, ...(this.sources.models ?? [])];
  }

  /** Loads every model in parallel; never throws for a broken model. */
  async loadAll(): Promise<void> {
    const sources = await this.listSources();
    await Promise.all(sources.map((s) => this.loadSource(s)));
  }

  /** (Re)loads one model by name; throws NotFound if no source has that name. */
  async load(name: string): Promise<ModelVersionState[]> {
    const source = (await this.listSources()).find((s) => s.name === name);
    if (!source) throw new InferError('NotFound', `model '${name}' is not in the model repository`);
    return this.loadSource(source);
  }

  /** Unloads every version of a model after its in-flight requests finish. */
  async unload(name: string): Promise<void> {
    const entry = this.models.get(name);
    if (!entry) throw new InferError('NotFound', `model '${name}' is not loaded`);
    this.models.delete(name);
    await Promise.all([...entry.versions.values()].map((v) => v.unload()));
    this.log.info({ event: 'model_unloaded', model: name }, 'model unloaded');
  }

  /** The version to serve: the given one, or the highest ready version. */
  resolve(name: string, version?: string): ModelVersion {
    const entry = this.models.get(name);
    if (!entry) throw new InferError('NotFound', `unknown model '${name}'`);
    if (version) {
      const v = entry.versions.get(version);
      if (v) return v;
      const st = entry.states.find((s) => s.version === version);
      if (st) throw new InferError('NotReady', `model '${name}' version ${version} is not ready: ${st.reason || st.state}`);
      throw new InferError('NotFound', `unknown version '${version}' of model '${name}'`);
    }
    let best: ModelVersion | undefined;
    for (const v of entry.versions.values()) if (!best || Number(v.version) > Number(best.version)) best = v;
    if (!best) {
      const reason = entry.states.map((s) => s.reason).filter(Boolean).join('; ');
      throw new InferError('NotReady', `model '${name}' has no ready version${reason ? `: ${reason}` : ''}`);
    }
    return best;
  }

  /** Versions of a model known to the server (ready or not). */
  versionsOf(name: string): string[] {
    // Versions load in parallel and finish in any order; report them ascending.
    return (this.models.get(name)?.states ?? []).filter((s) => s.version !== '').map((s) => s.version).sort((a, b) => Number(a) - Number(b));
  }

  /** Whether the model (or version) exists in the server's view at all. */
  has(name: string): boolean {
    return this.models.has(name);
  }

  /** Every loaded version, by model name then version (for statistics). */
  loadedVersions(name?: string): ModelVersion[] {
    const out: ModelVersion[] = [];
    for (const [n, e] of [...this.models.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      if (name !== undefined && n !== name) continue;
      out.push(...[...e.versions.values()].sort((a, b) => Number(a.version) - Number(b.version)));
    }
    return out;
  }

  /** Names of models with at least one ready version. */
  readyModelNames(): string[] {
    return [...this.models.entries()].filter(([, e]) => e.versions.size > 0).map(([n]) => n).sort();
  }

  /** True when every known model has all its versions ready (Triton's strict readiness). */
  allReady(): boolean {
    for (const e of this.models.values()) if (e.states.some((s) => s.state !== 'READY')) return false;
    return true;
  }

  /** Repository index: every model on disk or loaded, with state and reason. */
  async index(readyOnly: boolean): Promise<ModelVersionState[]> {
    const out: ModelVersionState[] = [];
    const seen = new Set<string>();
    for (const [name, e] of this.models) {
      seen.add(name);
      out.push(...e.states);
    }
    for (const s of await this.listSources().catch(() => [])) {
      if (!seen.has(s.name)) out.push({ name: s.name, version: '', state: 'UNAVAILABLE', reason: 'unloaded' });
    }
    const r = readyOnly ? out.filter((s) => s.state === 'READY') : out;
    return r.sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  }

  /** Waits for every queue to empty. */
  async drain(): Promise<void> {
    await Promise.all([...this.models.values()].flatMap((e) => [...e.versions.values()].map((v) => v.drain())));
  }

  /** Drains and frees every session. */
  async close(): Promise<void> {
    const entries = [...this.models.values()];
    this.models.clear();
    await Promise.all(entries.flatMap((e) => [...e.versions.values()].map((v) => v.unload().catch(() => {}))));
  }

  private async loadSource(source: ModelSource): Promise<ModelVersionState[]> {
    const name = source.name;
    const versions = new Map<string, ModelVersion>();
    const states: ModelVersionState[] = [];
    let config: ModelConfig;
    let paths: Array<{ version: number; path: string }>;
    try {
      if (source.file) {
        config = resolveModelConfig({});
        paths = [{ version: 1, path: source.file }];
      } else {
        config = await readModelConfig(source.dir!);
        const all = await listModelVersions(source.dir!);
        const chosen = new Set(selectVersions(all.map((a) => a.version), config.versionPolicy));
        paths = all.filter((a) => chosen.has(a.version));
        if (paths.length === 0) throw new Error(`no version directory with model.onnx matches the version policy`);
      }
    } catch (err) {
      const reason = (err as Error).message;
      this.log.error({ event: 'model_load_failed', model: name, reason }, 'model failed to load');
      states.push({ name, version: '', state: 'UNAVAILABLE', reason });
      this.swap(name, { versions, states });
      return states;
    }
    await Promise.all(paths.map(async ({ version, path }) => {
      const v = String(version);
      try {
        const mv = await ModelVersion.load(name, v, path, config, this.runtime, this.metrics.forModel(name, v), this.log);
        versions.set(v, mv);
        states.push({ name, version: v, state: 'READY', reason: '' });
        this.log.info({ event: 'model_loaded', model: name, version: v, maxBatchSize: mv.maxBatchSize }, 'model version ready');
      } catch (err) {
        const reason = (err as Error).message;
        states.push({ name, version: v, state: 'UNAVAILABLE', reason });
        this.log.error({ event: 'model_load_failed', model: name, version: v, reason }, 'model version failed to load');
      }
    }));
    this.swap(name, { versions, states });
    return states;
  }

  private swap(name: string, entry: ModelEntry): void {
    const old = this.models.get(name);
    this.models.set(name, entry);
    // Old sessions finish what they have queued, then are freed.
    if (old) for (const v of old.versions.values()) void v.unload().catch(() => {});
  }
}
