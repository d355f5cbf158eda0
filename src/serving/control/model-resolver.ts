/**
 * Turns a predictor's model (a registry reference or a storageUri) into a local file in the sha256-keyed model
 * cache, so every replica of every revision loads the same verified bytes and a model is fetched once.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../api/errors.js';
import { blobFetcher, directoryFetcher, type BlobStore, type CacheFetcher, type ModelCache } from '../../artifacts/index.js';
import type { ResourceClient } from '../../client/resource-client.js';
import { resolveModelRef } from '../../registry/index.js';

/** Why a model could not be made available (becomes a condition reason). */
export type ModelSourceReason = 'ModelNotFound' | 'ModelFetchFailed' | 'UnsupportedModelFormat' | 'ModelDownloading';

/** A model that could not be resolved or fetched, with the reason for the status condition. */
export class ModelSourceError extends Error {
  constructor(readonly reason: ModelSourceReason, message: string) {
    super(message);
    this.name = 'ModelSourceError';
  }
}

/** Where a model comes from, as the spec says it. */
export interface ModelSourceSpec {
  model?: string;
  storageUri?: string;
}

/** A model resolved to an immutable digest (not fetched yet). */
export interface ResolvedModel {
  sha256: string;
  ref?: string;
  /** The ModelVersion object name and version, for registry models. */
  modelVersion?: string;
  version?: string;
  storageUri?: string;
  fetcher: CacheFetcher;
  /** Registry directory artifacts: the .onnx file inside the directory. */
  innerFile?: string;
}

/** What the resolver needs. */
export interface ModelResolverDeps {
  cache: ModelCache;
  client: ResourceClient;
  /** The registry's blob store (where ModelVersion artifacts live). */
  registryStore?: BlobStore;
  /** Scratch space for http(s) downloads before they are moved into the cache. */
  downloadDir: string;
}

async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** Resolves model sources to digests and local paths through the model cache. */
export class ModelResolver {
  private readonly fileDigests = new Map<string, { key: string; sha256: string }>();
  private readonly urlDigests = new Map<string, Promise<{ sha256: string; tmp: string }>>();
  private readonly urlSettled = new Set<string>();

  constructor(private readonly deps: ModelResolverDeps) {}

  /** The digest of the model the spec names now (a registry alias may move between calls). */
  async resolve(namespace: string, src: ModelSourceSpec): Promise<ResolvedModel> {
    if (src.model !== undefined) return this.fromRegistry(namespace, src.model);
    if (src.storageUri !== undefined) return this.fromUri(src.storageUri);
    throw new ModelSourceError('ModelNotFound', 'no model: give predictor.model or predictor.storageUri');
  }

  /** Fetches (once) and pins the model in the cache; returns the local file to serve. Pair with release(). */
  async acquire(m: ResolvedModel): Promise<string> {
    try {
      const p = await this.deps.cache.acquire(m.sha256, m.fetcher);
      return m.innerFile ? join(p, m.innerFile) : p;
    } catch (err) {
      throw new ModelSourceError('ModelFetchFailed', `fetching model ${m.ref ?? m.storageUri ?? m.sha256}: ${(err as Error).message}`);
    }
  }

  /** Drops a pin taken by acquire(). */
  async release(sha256: string): Promise<void> {
    await this.deps.cache.release(sha256).catch(() => undefined);
  }

  private async fromRegistry(namespace: string, ref: string): Promise<ResolvedModel> {
    let mv;
    try {
      mv = await resolveModelRef(this.deps.client, namespace, ref);
    } catch (err) {
      if (err instanceof ApiError) throw new ModelSourceError('ModelNotFound', `model reference "${ref}" does not resolve: ${err.message}`);
      throw err;
    }
    if (mv.spec.format !== 'onnx') throw new ModelSourceError('UnsupportedModelFormat', `${mv.metadata.name} has format ${mv.spec.format}; the onnx runtime serves only onnx (use runtime: custom)`);
    const store = this.deps.registryStore;
    if (!store) throw new ModelSourceError('ModelFetchFailed', 'the model registry has no artifact store configured');
    const a = mv.spec.artifact;
    const base = { sha256: a.sha256, ref, modelVersion: mv.metadata.name, version: mv.spec.version };
    if (a.layout === 'file') return { ...base, fetcher: blobFetcher(store) };
    const onnx = a.files.filter((f) => f.path.endsWith('.onnx'));
    if (onnx.length !== 1) throw new ModelSourceError('UnsupportedModelFormat', `${mv.metadata.name} is a directory with ${onnx.length} .onnx files; the onnx runtime needs exactly one`);
    return { ...base, fetcher: directoryFetcher(store), innerFile: onnx[0].path };
  }

  private async fromUri(uri: string): Promise<ResolvedModel> {
    const u = new URL(uri);
    if (u.protocol === 'file:') {
      const path = fileURLToPath(u);
      let st;
      try {
        st = await fsp.stat(path);
      } catch {
        throw new ModelSourceError('ModelNotFound', `storageUri ${uri}: no such file`);
      }
      if (!st.isFile()) throw new ModelSourceError('UnsupportedModelFormat', `storageUri ${uri} is not a file (give the .onnx file)`);
      // hashing is the expensive part: redo it only when the file changed
      const key = `${st.size}:${st.mtimeMs}`;
      let memo = this.fileDigests.get(path);
      if (memo?.key !== key) {
        memo = { key, sha256: await sha256OfFile(path) };
        this.fileDigests.set(path, memo);
      }
      const sha256 = memo.sha256;
      return { sha256, storageUri: uri, fetcher: (_sha, dest) => copyVerified(path, dest, sha256) };
    }
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      let pending = this.urlDigests.get(uri);
      if (!pending) {
        pending = this.download(uri);
        this.urlDigests.set(uri, pending);
        pending.then(() => this.urlSettled.add(uri), () => this.urlDigests.delete(uri));
      }
      // a reconcile must not wait on a long download: report it and look again later
      if (!this.urlSettled.has(uri)) {
        const outcome = await Promise.race([
          pending.then(() => 'done' as const, (err: unknown) => ({ err })),
          new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 200)),
        ]);
        if (outcome === 'waiting') throw new ModelSourceError('ModelDownloading', `downloading ${uri}`);
        if (outcome !== 'done') throw outcome.err;
      }
      const { sha256, tmp } = await pending;
      return {
        sha256,
        storageUri: uri,
        fetcher: async (_sha, dest) => {
          // the download may have been moved into the cache already and evicted since: fetch again
          if (await fsp.rename(tmp, dest).then(() => true, () => false)) return;
          const again = await this.download(uri);
          if (again.sha256 !== sha256) throw new Error(`content at ${uri} changed (sha256 ${again.sha256}, expected ${sha256})`);
          await fsp.rename(again.tmp, dest);
        },
      };
    }
    throw new ModelSourceError('ModelNotFound', `storageUri ${uri}: unsupported scheme`);
  }

  private async download(uri: string): Promise<{ sha256: string; tmp: string }> {
    await fsp.mkdir(this.deps.downloadDir, { recursive: true });
    const tmp = join(this.deps.downloadDir, `${createHash('sha256').update(uri).digest('hex').slice(0, 16)}-${process.hrtime.bigint()}`);
    let res: Response;
    try {
      res = await fetch(uri, { signal: AbortSignal.timeout(300_000) });
    } catch (err) {
      throw new ModelSourceError('ModelFetchFailed', `storageUri ${uri}: ${(err as Error).message}`);
    }
    if (res.status === 404) throw new ModelSourceError('ModelNotFound', `storageUri ${uri}: HTTP 404`);
    if (!res.ok || !res.body) throw new ModelSourceError('ModelFetchFailed', `storageUri ${uri}: HTTP ${res.status}`);
    const h = createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (c: Buffer) => h.update(c));
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw new ModelSourceError('ModelFetchFailed', `storageUri ${uri}: ${(err as Error).message}`);
    }
    return { sha256: h.digest('hex'), tmp };
  }
}

async function copyVerified(src: string, dest: string, sha256: string): Promise<void> {
  await fsp.copyFile(src, dest);
  const got = await sha256OfFile(dest);
  if (got !== sha256) throw new Error(`${src} changed while it was copied (sha256 ${got}, expected ${sha256})`);
}
