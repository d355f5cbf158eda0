/**
 * Upgrades at start: the store's recorded schema version is compared with this binary's. Newer
 * is refused (an older binary must not write a store it does not understand); older is migrated,
 * after an objects-only backup into `<dataDir>/backups` when the store holds data (artifact blobs
 * are content-addressed and never rewritten by a migration, so they need no copy).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { StorageBackend } from '../store/backend.js';
import { NewerSchemaError, STORE_SCHEMA_VERSION } from '../store/store-ops.js';
import { createBackup, newBackupId } from './backup.js';
import { DirBackupTarget } from './backup-target.js';

/** What prepareStore did. */
export interface PrepareResult {
  from: number;
  to: number;
  /** The pre-upgrade backup's id and directory, when one was taken. */
  backup?: { id: string; dir: string };
}

/** Checks and migrates the store before anything else uses it. */
export async function prepareStore(backend: StorageBackend, opts: { dataDir: string; log: Logger; now: Date }): Promise<PrepareResult> {
  const from = await backend.schemaVersion();
  if (from > STORE_SCHEMA_VERSION) throw new NewerSchemaError(from, STORE_SCHEMA_VERSION);
  if (from === STORE_SCHEMA_VERSION) return { from, to: from };
  let backup: PrepareResult['backup'];
  if (from > 0 && (await backend.countObjects()) > 0) {
    const dir = join(opts.dataDir, 'backups');
    const id = `pre-upgrade-v${from}-v${STORE_SCHEMA_VERSION}-${newBackupId(opts.now)}`;
    opts.log.warn({ from, to: STORE_SCHEMA_VERSION, dir, id }, 'store schema is older than this binary: backing it up before migrating');
    await createBackup({ backend, target: new DirBackupTarget(dir), now: opts.now, id, log: opts.log });
    backup = { id, dir };
  }
  const r = await backend.migrate();
  if (from > 0) opts.log.warn({ from: r.from, to: r.to }, 'store schema migrated');
  return { ...r, backup };
}
