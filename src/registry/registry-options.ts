/** The registry module's settings: parsed once at install (from its options, then CAPSTAN_* variables). */
import { join } from 'node:path';
import { FsBlobStore, S3BlobStore, type BlobStore, type S3BlobStoreOptions } from '../artifacts/index.js';

/** What the registry module can be configured with. */
export interface RegistryOptions {
  /** Use this store instead of opening one (tests inject faults this way). */
  blobStore?: BlobStore;
  s3?: S3BlobStoreOptions;
  /** Unreferenced blobs younger than this are kept (an upload whose version is not registered yet). */
  gcGraceMs: number;
  /** How often the collector runs; 0 disables the periodic run. */
  gcIntervalMs: number;
  /** ONNX files up to this size are opened to read their signature; larger ones are stored unread. */
  maxInspectBytes: number;
  /** Largest single uploaded file. */
  maxArtifactBytes: number;
  /** How often the in-use controller re-checks every version's holders. */
  inUseResyncMs: number;
}

/** Defaults: 1 h grace, GC every 10 min, inspect ONNX up to 128 MiB, files up to 64 GiB. */
export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = Object.freeze({
  gcGraceMs: 60 * 60_000,
  gcIntervalMs: 10 * 60_000,
  maxInspectBytes: 128 * 1024 * 1024,
  maxArtifactBytes: 64 * 1024 ** 3,
  inUseResyncMs: 30_000,
});

function num(env: NodeJS.ProcessEnv, key: string, scale: number): number | undefined {
  const v = env[key];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid configuration: ${key} must be a non-negative number, got "${v}"`);
  return n * scale;
}

/**
 * Registry settings from CAPSTAN_S3_* and CAPSTAN_REGISTRY_* variables (pure: the environment is
 * passed in by the module's install, the one place it is read).
 */
export function registryOptionsFromEnv(env: NodeJS.ProcessEnv): Partial<RegistryOptions> {
  const out: Partial<RegistryOptions> = {};
  const grace = num(env, 'CAPSTAN_REGISTRY_GC_GRACE_SECONDS', 1000);
  const every = num(env, 'CAPSTAN_REGISTRY_GC_INTERVAL_SECONDS', 1000);
  if (grace !== undefined) out.gcGraceMs = grace;
  if (every !== undefined) out.gcIntervalMs = every;
  const bucket = env.CAPSTAN_S3_BUCKET;
  if (bucket) {
    const id = env.CAPSTAN_S3_ACCESS_KEY_ID;
    const secret = env.CAPSTAN_S3_SECRET_ACCESS_KEY;
    out.s3 = {
      bucket,
      ...(env.CAPSTAN_S3_PREFIX ? { prefix: env.CAPSTAN_S3_PREFIX } : {}),
      ...(env.CAPSTAN_S3_ENDPOINT ? { endpoint: env.CAPSTAN_S3_ENDPOINT } : {}),
      region: env.CAPSTAN_S3_REGION || 'us-east-1',
      forcePathStyle: env.CAPSTAN_S3_FORCE_PATH_STYLE === 'true' || env.CAPSTAN_S3_FORCE_PATH_STYLE === '1',
      ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret } } : {}),
    };
  }
  return out;
}

/** The registry's filesystem blob store for a data directory: `<dataDir>/blobs` (holding `blobs/sha256/…` and `tmp/`). */
export function openRegistryBlobStore(dataDir: string, opts: { s3?: S3BlobStoreOptions } = {}): BlobStore {
  if (opts.s3) return new S3BlobStore(opts.s3);
  return new FsBlobStore({ root: join(dataDir, 'blobs') });
}
