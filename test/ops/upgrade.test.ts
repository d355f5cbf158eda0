/**
 * Upgrades at start, on a real platform: a store from before schema versions were recorded is
 * backed up into <dataDir>/backups and migrated; a store written by a newer Capstan is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { KubeObject } from '../../src/api/meta.js';
import { DirBackupTarget } from '../../src/ops/backup-target.js';
import { listBackups, verifyBackup } from '../../src/ops/restore.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startPlatform } from '../../src/server/platform.js';
import { ObjectStore } from '../../src/store/object-store.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';
import { STORE_SCHEMA_VERSION } from '../../src/store/store-ops.js';

const Thing = { resource: 'capstan.dev/things', kind: 'Thing', apiVersion: 'capstan.dev/v1alpha1', namespaced: true };

test('an old store is backed up, then migrated; a newer one is refused', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-upgrade-'));
  try {
    // A version-1 store: written without migrate(), as binaries before schema versions did.
    const old = new SqliteBackend({ path: join(dataDir, 'capstan.db') });
    await new ObjectStore(old).create(Thing, { apiVersion: Thing.apiVersion, kind: 'Thing', metadata: { name: 'kept', namespace: 'default' } as KubeObject['metadata'] });
    assert.equal(await old.schemaVersion(), 1);
    await old.close();

    const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
    const p = await startPlatform(cfg, { modules: [] }, pino({ level: 'silent' }));
    await p.stop();
    const target = new DirBackupTarget(join(dataDir, 'backups'));
    const backups = await listBackups(target);
    assert.equal(backups.length, 1);
    assert.match(backups[0].id, /^pre-upgrade-v1-v2-/);
    assert.equal((await verifyBackup(target, backups[0].id)).objects, 1);
    const after = new SqliteBackend({ path: join(dataDir, 'capstan.db') });
    assert.equal(await after.schemaVersion(), STORE_SCHEMA_VERSION);
    assert.ok(await after.get({ resource: Thing.resource, namespace: 'default', name: 'kept' }));
    // Pretend a newer Capstan wrote it since.
    await after.setMeta('schema_version', String(STORE_SCHEMA_VERSION + 1));
    await after.close();
    await assert.rejects(startPlatform(cfg, { modules: [] }, pino({ level: 'silent' })), /newer Capstan \(schema version 3; this binary supports up to 2\)/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
