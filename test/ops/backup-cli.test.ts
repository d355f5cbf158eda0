/**
 * `capstan backup create|list|verify|restore` as a user runs them (the real CLI, child
 * processes) on a SQLite data dir: round trip, and the clear one-line errors with exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/api/meta.js';
import { sqlitePath } from '../../src/ops/store-location.js';
import { ObjectStore } from '../../src/store/object-store.js';
import { SqliteBackend } from '../../src/store/sqlite-backend.js';
import { repoRoot } from '../support/repo-root.js';
import { capstanArgv } from '../support/spawn-capstan.js';

function capstan(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, capstanArgv(args), { cwd: repoRoot(), encoding: 'utf8', env: { ...process.env, CAPSTAN_DATA_DIR: '', CAPSTAN_DATABASE_URL: '' }, timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('capstan backup: create, list, verify, restore; non-empty target and missing backup are clear errors', async () => {
  const root = mkdtempSync(join(tmpdir(), 'capstan-backup-cli-'));
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    const b = new SqliteBackend({ path: sqlitePath(src) });
    await b.migrate();
    const s = new ObjectStore(b);
    const info = { resource: 'capstan.dev/things', kind: 'Thing', apiVersion: 'capstan.dev/v1alpha1', namespaced: true };
    for (let i = 0; i < 5; i++) await s.create(info, { apiVersion: info.apiVersion, kind: 'Thing', metadata: { name: `t${i}`, namespace: 'default' } as KubeObject['metadata'] });
    await b.close();
    const target = join(root, 'target');

    const created = capstan(['backup', 'create', '--data-dir', src, '--to', target]);
    assert.equal(created.code, 0, created.err);
    const id = /backup (\S+): 5 objects/.exec(created.out)?.[1];
    assert.ok(id, created.out);
    const listed = capstan(['backup', 'list', '--from', target]);
    assert.match(listed.out, new RegExp(`${id}\\t\\S+\\t<all>\\t5\\t0`));
    assert.match(capstan(['backup', 'verify', '--from', target]).out, new RegExp(`backup ${id} is intact: 5 objects`));

    const dst = join(root, 'dst');
    const restored = capstan(['backup', 'restore', '--from', target, '--data-dir', dst]);
    assert.equal(restored.code, 0, restored.err);
    assert.match(restored.out, /restored .*: 5 objects/);
    const r = new SqliteBackend({ path: sqlitePath(dst) });
    assert.equal(await r.countObjects(), 5);
    await r.close();

    const again = capstan(['backup', 'restore', '--from', target, '--data-dir', dst]);
    assert.equal(again.code, 1);
    assert.match(again.err, /^error: restore target .* is not empty \(5 objects\)/);
    const missing = capstan(['backup', 'restore', '--from', target, '--id', 'nope', '--data-dir', join(root, 'x')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /backup "nope" not found/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
