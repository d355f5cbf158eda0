/**
 * The registry's write paths: register a version whose blobs are already stored (atomically: the
 * object is created only after every blob is verified), move and roll back aliases (one
 * optimistic-concurrency status write holding pointer and history), and find a version's holders.
 */
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { ApiError, invalid } from '../api/errors.js';
import type { Kind } from '../api/kind.js';
import { EventKind } from '../api/kinds/event.js';
import {
  MAX_MODEL_VERSION_NAME,
  MODEL_LABEL,
  MODEL_VERSION_LABEL,
  ModelVersionKind,
  modelVersionName,
  semverProblem,
  versionNameProblem,
  type ModelArtifact,
  type ModelVersionSpec,
} from '../api/kinds/model-version.js';
import { ModelKind, type ModelStatus } from '../api/kinds/model.js';
import { DNS1123_SUBDOMAIN, type KubeObject } from '../api/meta.js';
import { ProjectKind } from '../api/kinds/project.js';
import type { LocalClient } from '../client/local-client.js';
import { serializeManifest, validateManifestPath, type BlobStore, type ManifestFile } from '../artifacts/index.js';
import { normaliseMode } from '../artifacts/manifest.js';
import { applyAliasMove, nextVersion, rollbackTarget } from './alias-history.js';
import { inspectArtifact } from './artifact-inspection.js';
import { aliasNameProblem } from './model-ref.js';
import type { RegisterRequest } from './register-request.js';
import { registryApiError } from './registry-errors.js';
import { listModelVersions, type ModelVersionObject } from './resolve-model-ref.js';

const RETRIES = 8;

/** What the registry service is built from. */
export interface ModelRegistryDeps {
  client: LocalClient;
  store: BlobStore;
  log: Logger;
  maxInspectBytes: number;
  now?: () => Date;
}

/** The URL path of a version's artifact on the API server. */
export function artifactUri(namespace: string, name: string): string {
  return `/apis/${ModelVersionKind.apiVersion}/namespaces/${namespace}/${ModelVersionKind.plural}/${name}/artifact`;
}

function isReason(err: unknown, reason: ApiError['reason']): boolean {
  return err instanceof ApiError && err.reason === reason;
}

/** The registry service behind the HTTP routes (and usable in-process by other controllers). */
export class ModelRegistry {
  private readonly now: () => Date;

  constructor(private readonly deps: ModelRegistryDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The in-process client the registry writes through. */
  get client(): LocalClient {
    return this.deps.client;
  }

  /** The blob store holding every artifact. */
  get store(): BlobStore {
    return this.deps.store;
  }

  /** 404 unless the project exists (uploads check this before reading a byte). */
  async requireProject(namespace: string): Promise<void> {
    if (!(await this.deps.client.tryGet(ProjectKind, undefined, namespace))) throw new ApiError('NotFound', `project "${namespace}" not found`, { name: namespace, kind: 'Project' });
  }

  /** Checks the artifact's blobs and builds its spec (storing a manifest for a directory). */
  private async buildArtifact(namespace: string, req: RegisterRequest): Promise<{ artifact: Omit<ModelArtifact, 'uri'>; files: ManifestFile[] }> {
    const entries = req.file ? [{ ...req.file, mode: 0o644 as const }] : req.files!;
    const files: ManifestFile[] = [];
    for (const [i, f] of entries.entries()) {
      const field = req.file ? 'file.path' : `files[${i}].path`;
      try {
        validateManifestPath(f.path, field);
        if (req.file && f.path.includes('/')) throw invalid('ModelVersion', '', [{ field, message: 'a file name must not contain "/"' }]);
      } catch (err) {
        throw registryApiError(err, field);
      }
      let size: number;
      try {
        size = (await this.deps.store.stat(f.sha256)).size;
      } catch (err) {
        const shaField = req.file ? 'file.sha256' : `files[${i}].sha256`;
        if ((err as { code?: string }).code === 'NotFound') {
          throw invalid('ModelVersion', '', [{ field: shaField, message: `blob ${f.sha256} was not uploaded (or was collected); upload it first` }]);
        }
        throw registryApiError(err, shaField);
      }
      files.push({ path: f.path, sha256: f.sha256, size, mode: normaliseMode(f.mode ?? 0o644) });
    }
    const totalSize = files.reduce((a, f) => a + f.size, 0);
    if (req.file) return { artifact: { sha256: files[0].sha256, size: totalSize, layout: 'file', files }, files };
    let manifest: Buffer;
    try {
      manifest = serializeManifest(files); // refuses duplicates and file/directory clashes
    } catch (err) {
      throw registryApiError(err, 'files');
    }
    const put = await this.deps.store.put(Readable.from([manifest])).catch((err: unknown) => {
      throw registryApiError(err);
    });
    void namespace;
    return { artifact: { sha256: put.sha256, size: totalSize, layout: 'directory', files: [...files].sort((a, b) => (a.path < b.path ? -1 : 1)) }, files };
  }

  /** Creates the Model when it does not exist; 409 when it is being deleted. */
  private async ensureModel(namespace: string, model: string): Promise<KubeObject> {
    const cur = await this.deps.client.tryGet(ModelKind, namespace, model);
    if (cur) {
      if (cur.metadata.deletionTimestamp) throw new ApiError('Conflict', `model ${model} is being deleted`, { kind: 'Model', name: model });
      return cur;
    }
    try {
      return await this.deps.client.create(ModelKind, { apiVersion: ModelKind.apiVersion, kind: 'Model', metadata: { name: model, namespace }, spec: {} });
    } catch (err) {
      if (isReason(err, 'AlreadyExists')) return this.deps.client.get(ModelKind, namespace, model);
      throw err;
    }
  }

  /**
   * Registers a version of `model` whose blobs are stored. Same version with the same bytes →
   * the existing object (created=false); with other bytes → 409. Without a version, the next
   * patch is taken, retrying when a concurrent push takes it first.
   */
  async register(namespace: string, model: string, req: RegisterRequest, by: string): Promise<{ object: ModelVersionObject; created: boolean }> {
    if (model.length > 253 || !DNS1123_SUBDOMAIN.test(model)) throw invalid('Model', model, [{ field: 'metadata.name', message: 'must be a lowercase DNS-1123 name' }]);
    if (req.version !== undefined) {
      const p = semverProblem(req.version) ?? versionNameProblem(req.version);
      if (p) throw invalid('ModelVersion', model, [{ field: 'version', message: p }]);
    }
    req.aliases.forEach((a, i) => {
      const p = aliasNameProblem(a);
      if (p) throw invalid('ModelVersion', model, [{ field: `aliases[${i}]`, message: p }]);
    });
    await this.requireProject(namespace);
    const { artifact, files } = await this.buildArtifact(namespace, req);
    const inspection = await inspectArtifact(this.deps.store, req.format, files, this.deps.maxInspectBytes);
    const modelObj = await this.ensureModel(namespace, model);

    for (let attempt = 0; ; attempt++) {
      const version = req.version ?? nextVersion((await listModelVersions(this.deps.client, namespace, model)).map((v) => v.spec.version));
      const name = modelVersionName(model, version);
      if (name.length > MAX_MODEL_VERSION_NAME) {
        throw invalid('ModelVersion', name, [{ field: 'version', message: `the version's object name ${name} is longer than ${MAX_MODEL_VERSION_NAME} characters (it must fit a label value); use a shorter model name or version` }]);
      }
      const spec: ModelVersionSpec = {
        model,
        version,
        format: req.format,
        ...(req.description ? { description: req.description } : {}),
        artifact: { uri: artifactUri(namespace, name), ...artifact },
        ...(inspection.signature ? { signature: inspection.signature } : {}),
        metrics: req.metrics,
        params: req.params,
        tags: inspection.note ? { ...req.tags, 'capstan.dev/inspection': inspection.note.slice(0, 1024) } : req.tags,
        lineage: req.lineage,
      };
      const obj = {
        apiVersion: ModelVersionKind.apiVersion,
        kind: ModelVersionKind.kind,
        metadata: {
          name,
          namespace,
          labels: { [MODEL_LABEL]: model },
          annotations: { 'capstan.dev/registered-by': by },
          ownerReferences: [{ apiVersion: ModelKind.apiVersion, kind: 'Model', name: model, uid: modelObj.metadata.uid }],
        },
        spec,
      };
      let created: ModelVersionObject;
      try {
        created = (await this.deps.client.create(ModelVersionKind, obj)) as ModelVersionObject;
      } catch (err) {
        if (!isReason(err, 'AlreadyExists')) throw err;
        const existing = (await this.deps.client.tryGet(ModelVersionKind, namespace, name)) as ModelVersionObject | undefined;
        if (existing && existing.spec.model !== model) {
          // Only names stored before versionNameProblem() existed can be read two ways.
          throw new ApiError('Conflict', `model ${model} version ${version} cannot be registered: its object name ${name} is taken by version ${existing.spec.version} of model ${existing.spec.model}`, {
            kind: 'ModelVersion',
            name,
            causes: [{ reason: 'FieldValueDuplicate', field: 'version', message: `${name} is a version of model ${existing.spec.model}` }],
          });
        }
        if (existing && !existing.metadata.deletionTimestamp && existing.spec.artifact.sha256 === artifact.sha256) {
          await this.moveAliases(namespace, model, req, version, by);
          return { object: existing, created: false };
        }
        if (req.version !== undefined || attempt >= RETRIES) {
          const why = existing?.metadata.deletionTimestamp
            ? 'is being deleted'
            : `is already registered with artifact sha256 ${existing?.spec.artifact.sha256 ?? '?'}; a registered version's artifact is immutable: push it as a new version`;
          throw new ApiError('Conflict', `model ${model} version ${version} ${why}`, {
            kind: 'ModelVersion',
            name,
            causes: [{ reason: 'FieldValueDuplicate', field: 'version', message: `version ${version} exists with other bytes` }],
          });
        }
        continue; // a concurrent push without --version took this number: take the next
      }
      // GC may have listed references before this create and deleted a blob that looked orphaned
      for (const sha of new Set([artifact.sha256, ...files.map((f) => f.sha256)])) {
        if (!(await this.deps.store.has(sha))) {
          await this.deps.client.delete(ModelVersionKind, namespace, name).catch(() => undefined);
          throw new ApiError('Conflict', `blob ${sha} was collected while version ${version} was being registered; push again`);
        }
      }
      await this.moveAliases(namespace, model, req, version, by);
      this.deps.log.info({ kind: 'ModelVersion', namespace, name, sha256: artifact.sha256, size: artifact.size, by }, 'model version registered');
      return { object: created, created: true };
    }
  }

  private async moveAliases(namespace: string, model: string, req: RegisterRequest, version: string, by: string): Promise<void> {
    for (const a of req.aliases) await this.moveAlias(namespace, model, a, version, by, req.reason || `pushed ${version}`);
  }

  /**
   * Points `alias` at `to` (null removes it) in one status write with optimistic concurrency,
   * appending the move to the history. `expectedFrom` makes it a compare-and-swap (409 if the
   * alias moved meanwhile). Returns the updated Model.
   */
  async moveAlias(namespace: string, model: string, alias: string, to: string | null, by: string, reason: string, opts: { rollback?: boolean; expectedFrom?: string | null; correlationId?: string } = {}): Promise<KubeObject> {
    const p = aliasNameProblem(alias);
    if (p) throw invalid('Model', model, [{ field: 'alias', message: p }]);
    if (to !== null) {
      const sp = semverProblem(to);
      if (sp) throw invalid('Model', model, [{ field: 'version', message: sp }]);
    }
    for (let i = 0; ; i++) {
      const cur = await this.deps.client.get(ModelKind, namespace, model);
      if (to !== null) {
        const mv = await this.deps.client.tryGet(ModelVersionKind, namespace, modelVersionName(model, to));
        // spec.model is the identity: a name stored before versionNameProblem() may be another model's
        if (!mv || mv.metadata.deletionTimestamp || (mv.spec as ModelVersionSpec).model !== model) {
          throw invalid('Model', model, [{ field: 'version', message: `model ${model} has no version ${to}; an alias can only point at a registered version` }]);
        }
      }
      const status = (cur.status ?? {}) as ModelStatus;
      const from = status.aliases?.[alias]?.version ?? null;
      if (opts.expectedFrom !== undefined && opts.expectedFrom !== from) {
        throw new ApiError('Conflict', `alias ${alias} of model ${model} points at ${from ?? 'nothing'}, not ${opts.expectedFrom ?? 'nothing'}: it moved meanwhile`, { kind: 'Model', name: model });
      }
      if (to === null && from === null) throw new ApiError('NotFound', `model ${model} has no alias "${alias}"`, { kind: 'Model', name: model });
      const next = applyAliasMove(status, { alias, to, by, reason, rollback: opts.rollback, correlationId: opts.correlationId }, this.now().toISOString());
      if (!next.move) return cur;
      try {
        const updated = await this.deps.client.updateStatus(ModelKind, { ...cur, status: next.status });
        this.deps.log.info({ kind: 'Model', namespace, name: model, alias, from, to, by, reason }, 'alias moved');
        return updated;
      } catch (err) {
        if (isReason(err, 'Conflict') && i < RETRIES) continue;
        throw err;
      }
    }
  }

  /** Moves `alias` back to the version it pointed at before (walking further back on repeats). */
  async rollbackAlias(namespace: string, model: string, alias: string, by: string, reason: string, correlationId?: string): Promise<KubeObject> {
    const cur = await this.deps.client.get(ModelKind, namespace, model);
    const status = (cur.status ?? {}) as ModelStatus;
    const from = status.aliases?.[alias]?.version;
    if (from === undefined) throw new ApiError('NotFound', `model ${model} has no alias "${alias}"`, { kind: 'Model', name: model });
    const target = rollbackTarget(status.aliasHistory ?? [], alias);
    if (target === undefined) throw new ApiError('Conflict', `alias ${alias} of model ${model} has no earlier version to roll back to`, { kind: 'Model', name: model });
    return this.moveAlias(namespace, model, alias, target, by, reason || `rollback from ${from}`, { rollback: true, expectedFrom: from, correlationId });
  }

  /** Objects in the project labelled `capstan.dev/model-version=<name>`, as `Kind/name` (sorted). */
  async holdersOf(namespace: string, versionName: string): Promise<string[]> {
    const out: string[] = [];
    for (const k of holderKinds(this.deps.client.kinds.all())) {
      const page = await this.deps.client.list(k, { namespace, labelSelector: `${MODEL_VERSION_LABEL}=${versionName}` });
      for (const o of page.items) out.push(`${k.kind}/${o.metadata.name}`);
    }
    return out.sort();
  }

  /** Every digest a ModelVersion references (artifacts and their files), across all projects. */
  async referencedDigests(): Promise<Set<string>> {
    const refs = new Set<string>();
    let cont: string | undefined;
    do {
      const page = await this.deps.client.list(ModelVersionKind, { limit: 1000, continue: cont });
      for (const o of page.items) {
        const a = (o.spec as ModelVersionSpec | undefined)?.artifact;
        if (!a) continue;
        refs.add(a.sha256);
        for (const f of a.files ?? []) refs.add(f.sha256);
      }
      cont = page.continue;
    } while (cont);
    return refs;
  }
}

/** Kinds whose objects may hold a version: every namespaced kind except events and the registry's own. */
export function holderKinds(all: readonly Kind[]): Kind[] {
  return all.filter((k) => k.namespaced && k.resource !== EventKind.resource && k.resource !== ModelVersionKind.resource && k.resource !== ModelKind.resource);
}
