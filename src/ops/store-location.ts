/**
 * Where a platform keeps its state, for the offline tools (backup, restore): the store (SQLite in
 * the data dir, or PostgreSQL), and the artifact blob store (the data dir's, or S3). A whole
 * restore into SQLite builds the database beside its final path and renames it into place, so
 * a failed restore leaves no database behind.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../artifacts/blob-store.js';
import type { S3BlobStoreOptions } from '../artifacts/s3-blob-store.js';
import { openRegistryBlobStore } from '../registry/registry-options.js';
import type { StorageBackend } from '../store/backend.js';
import { SqliteBackend } from '../store/sqlite-backend.js';
import type { S3Connection } from './backup-target.js';

/** A platform's state, as configured. */
export interface StoreLocation {
  dataDir: string;
  databaseUrl?: string;
  /** The registry's S3 settings when artifacts live in S3. */
  artifactsS3?: S3BlobStoreOptions;
}

/** The SQLite file of a data dir. */
export function sqlitePath(dataDir: string): string {
  return join(dataDir, 'capstan.db');
}

/** Opens the store (migrating nothing: callers decide). */
export async function openStore(loc: StoreLocation, path?: string): Promise<StorageBackend> {
  if (loc.databaseUrl) {
    const { PostgresBackend } = await import('../store/postgres-backend.js');
    return PostgresBackend.open({ connectionString: loc.databaseUrl, poolSize: 4 });
  }
  await mkdir(loc.dataDir, { recursive: true, mode: 0o700 });
  return new SqliteBackend({ path: path ?? sqlitePath(loc.dataDir) });
}

/** The artifact blob store of a location. */
export function openArtifacts(loc: StoreLocation): BlobStore {
  return openRegistryBlobStore(loc.dataDir, { s3: loc.artifactsS3 });
}

/**
 * Runs a whole-platform restore into a location. PostgreSQL: into the (empty) schema, in one
 * transaction. SQLite: into `capstan.db.restoring`, renamed to `capstan.db` only on success; an
 * existing database must hold no objects.
 */
export async function withRestoreStore<T>(loc: StoreLocation, fn: (b: StorageBackend) => Promise<T>, notEmpty: (n: number) => Error): Promise<T> {
  if (loc.databaseUrl) {
    const b = await openStore(loc);
    try {
      await b.migrate();
      return await fn(b);
    } finally {
      await b.close();
    }
  }
  const final = sqlitePath(loc.dataDir);
  if (existsSync(final)) {
    const cur = await openStore(loc);
    const n = await cur.countObjects().finally(() => cur.close());
    if (n > 0) throw notEmpty(n);
  }
  const tmp = `${final}.restoring`;
  const clean = async (p: string) => {
    for (const s of ['', '-wal', '-shm']) await rm(`${p}${s}`, { force: true });
  };
  await clean(tmp);
  const b = await openStore(loc, tmp);
  let ok = false;
  try {
    await b.migrate();
    const r = await fn(b);
    ok = true;
    return r;
  } finally {
    await b.close();
    if (ok) {
      await clean(final);
      await rename(tmp, final);
    } else {
      await clean(tmp);
    }
  }
}

/** S3 connection settings for backup targets from the CAPSTAN_S3_* variables (pure: the caller passes the environment). */
export function backupS3FromEnv(env: NodeJS.ProcessEnv): S3Connection {
  const id = env.CAPSTAN_S3_ACCESS_KEY_ID;
  const secret = env.CAPSTAN_S3_SECRET_ACCESS_KEY;
  return {
    ...(env.CAPSTAN_S3_ENDPOINT ? { endpoint: env.CAPSTAN_S3_ENDPOINT } : {}),
    region: env.CAPSTAN_S3_REGION || 'us-east-1',
    forcePathStyle: env.CAPSTAN_S3_FORCE_PATH_STYLE === undefined ? true : env.CAPSTAN_S3_FORCE_PATH_STYLE === 'true' || env.CAPSTAN_S3_FORCE_PATH_STYLE === '1',
    ...(id && secret ? { credentials: { accessKeyId: id, secretAccessKey: secret } } : {}),
  };
}
