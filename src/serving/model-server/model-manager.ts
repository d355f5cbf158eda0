/**
 * Owns every model version of the process: loads a repository in parallel (a broken model is
 * reported unavailable with its reason, others still serve), reloads/unloads on request, and
 * resolves `model[/version]` for the protocol front ends. Density: with a memory budget, models
 * load one at a time, each one's memory is measured, and least recently used idle models are
 * evicted to make room (model-eviction.ts); with a budget or load-on-demand, a model of the
 * repository that is not loaded is loaded by its first inference request.
 */
import type { Logger } from 'pino';
import { readModelConfig, resolveModelConfig, type ModelConfig } from './model-config.js';
import { listModelVersions, listRepositoryModels, selectVersions, type ModelSource } from './model-repository.js';
import { ModelVersion } from './model-version.js';
import { InferError } from './infer-error.js';
import type { RuntimeOptions } from './ort-session.js';
import type { ModelServerMetrics } from './metrics.js';
import { chooseEvictions, type ResidentModel } from './model-eviction.js';
import { stat } from 'node:fs/promises';

/** Bytes of the model files: the floor of what their sessions hold (weights). */
async function estimateBytes(paths: string[]): Promise<number> {
  let n = 0;
  for (const p of paths) n += (await stat(p).catch(() => ({ size: 0 }))).size;
  return n;
}

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
  /** Recency for LRU eviction (the manager's use counter). */
  lastUsed: number;
}

/** Where models come from. */
export interface ModelSources {
  repository?: string;
  models?: ModelSource[];
}

/** Density settings. */
export interface ModelDensityOptions {
  /** Memory the loaded models may hold together (bytes); undefined = no limit, no eviction. */
  memoryBudgetBytes?: number;
  /** Load nothing at start; each model loads on its first inference request. */
  loadOnDemand?: boolean;
}

/** The model registry of one server process. */
export class ModelManager {
  private readonly models = new Map<string, ModelEntry>();
  private useCounter = 0;
  /** Loads in progress by model name (concurrent first requests share one load). */
  private readonly loading = new Map<string, Promise<ModelVersionState[]>>();
  /** With a budget, loads run one at a time so each one's memory growth is its own. */
  private loadChain: Promise<unknown> = Promise.resolve();
  private readonly evicted = new Set<string>();
  private calibrationChain: Promise<unknown> = Promise.resolve();
  /** Serializes calibrations (session-tuning.ts): parallel loads would time each other's runs. */
  private readonly exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = this.calibrationChain.then(fn);
    this.calibrationChain = run.catch(() => {});
    return run;
  };

  constructor(
    private readonly sources: ModelSources,
    private readonly runtime: RuntimeOptions,
    private readonly metrics: ModelServerMetrics,
    private readonly log: Logger,
    private readonly density: ModelDensityOptions = {},
  ) {}

  /** Whether models not loaded are loaded by their first inference request. */
  get loadsOnDemand(): boolean {
    return this.density.loadOnDemand === true || this.density.memoryBudgetBytes !== undefined;
  }

  /** Memory held by loaded models (bytes, as measured at load). */
  residentBytes(): number {
    let n = 0;
    for (const e of this.models.values()) for (const v of e.versions.values()) n += v.memoryBytes;
    return n;
  }

  /**
   * The version to run an inference on: like resolve(), but a model of the repository that is not
   * loaded (never, or evicted) is loaded first when loading on demand.
   */
  async resolveForInference(name: string, version?: string): Promise<ModelVersion> {
    if (this.models.has(name) || !this.loadsOnDemand) return this.resolve(name, version);
    let p = this.loading.get(name);
    if (!p) {
      p = this.load(name).finally(() => this.loading.delete(name));
      this.loading.set(name, p);
    }
    await p;
    return this.resolve(name, version);
  }

  /** Every model source: the repository's subdirectories plus explicitly given models. */
  async listSources(): Promise<ModelSource[]> {
    const fromRepo = this.sources.repository ? await listRepositoryModels(this.sources.repository) : [];
    return [...fromRepo, ...(this.sources.models ?? [])];
  }

  /** Loads every model (in parallel; one at a time with a budget; none when loading on demand); never throws for a broken model. */
  async loadAll(): Promise<void> {
    if (this.density.loadOnDemand) return;
    const sources = await this.listSources();
    await Promise.all(sources.map((s) => this.loadSource(s).catch((err) => {
      // Only the memory budget throws here: the model stays unloaded (loaded on demand later).
      this.log.warn({ event: 'model_not_loaded', model: s.name, reason: (err as Error).message }, 'model not loaded at start');
    })));
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
    entry.lastUsed = ++this.useCounter;
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
      if (!seen.has(s.name)) out.push({ name: s.name, version: '', state: 'UNAVAILABLE', reason: this.evicted.has(s.name) ? 'evicted (memory budget)' : 'unloaded' });
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

  private loadSource(source: ModelSource): Promise<ModelVersionState[]> {
    if (this.density.memoryBudgetBytes === undefined) return this.loadSourceNow(source);
    const run = this.loadChain.then(() => this.loadSourceNow(source));
    this.loadChain = run.catch(() => {});
    return run;
  }

  /** Evicts least recently used idle models until `neededBytes` more fit the budget; NotReady (503) when they cannot. */
  private async makeRoom(name: string, neededBytes: number): Promise<void> {
    const budget = this.density.memoryBudgetBytes;
    if (budget === undefined) return;
    const resident: ResidentModel[] = [...this.models.entries()].filter(([n]) => n !== name).map(([n, e]) => ({
      name: n, lastUsed: e.lastUsed,
      bytes: [...e.versions.values()].reduce((a, v) => a + v.memoryBytes, 0),
      busy: [...e.versions.values()].some((v) => v.busy),
    }));
    const victims = chooseEvictions(resident, budget, neededBytes);
    if (!victims) {
      throw new InferError('NotReady', `model '${name}' (~${Math.round(neededBytes / 2 ** 20)} MiB) does not fit the memory budget of ${Math.round(budget / 2 ** 20)} MiB: the loaded models are in use; retry later`);
    }
    for (const v of victims) {
      this.log.info({ event: 'model_evicted', model: v, for: name }, 'model evicted (memory budget, least recently used)');
      await this.unload(v);
      this.evicted.add(v);
    }
  }

  private async loadSourceNow(source: ModelSource): Promise<ModelVersionState[]> {
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
      this.swap(name, { versions, states, lastUsed: ++this.useCounter });
      return states;
    }
    await this.makeRoom(name, await estimateBytes(paths.map((p) => p.path)));
    await Promise.all(paths.map(async ({ version, path }) => {
      const v = String(version);
      try {
        const rssBefore = process.memoryUsage().rss;
        const mv = await ModelVersion.load(name, v, path, config, this.runtime, this.metrics.forModel(name, v), this.log, this.exclusive);
        // RSS growth is the version's own when loads are serialized (with a budget); the file size is a floor.
        mv.memoryBytes = Math.max(process.memoryUsage().rss - rssBefore, await estimateBytes([path]));
        this.metrics.forModel(name, v).memoryBytes.set(mv.memoryBytes);
        versions.set(v, mv);
        states.push({ name, version: v, state: 'READY', reason: '' });
        this.log.info({ event: 'model_loaded', model: name, version: v, maxBatchSize: mv.maxBatchSize, threads: mv.tuning.threads, sessionThread: mv.tuning.sessionThread, memoryBytes: mv.memoryBytes }, 'model version ready');
      } catch (err) {
        const reason = (err as Error).message;
        states.push({ name, version: v, state: 'UNAVAILABLE', reason });
        this.log.error({ event: 'model_load_failed', model: name, version: v, reason }, 'model version failed to load');
      }
    }));
    this.evicted.delete(name);
    this.swap(name, { versions, states, lastUsed: ++this.useCounter });
    return states;
  }

  private swap(name: string, entry: ModelEntry): void {
    const old = this.models.get(name);
    this.models.set(name, entry);
    // Old sessions finish what they have queued, then are freed.
    if (old) for (const v of old.versions.values()) void v.unload().catch(() => {});
  }
}
