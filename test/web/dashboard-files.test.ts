/** The static file mapping under /ui/: files, the app shell for client routes, nothing outside the root. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveUiPath } from '../../src/web/dashboard-files.js';

test('resolveUiPath serves files, falls back to the shell for routes, refuses escapes', () => {
  const root = mkdtempSync(join(tmpdir(), 'capstan-ui-'));
  try {
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<html>');
    writeFileSync(join(root, 'assets', 'index-abc.js'), '');
    assert.deepEqual(resolveUiPath(root, 'assets/index-abc.js'), { file: 'assets/index-abc.js', immutable: true });
    assert.deepEqual(resolveUiPath(root, 'index.html'), { file: 'index.html', immutable: false });
    assert.deepEqual(resolveUiPath(root, ''), { shell: true });
    assert.deepEqual(resolveUiPath(root, 'p/default/models/digits'), { shell: true });
    assert.deepEqual(resolveUiPath(root, 'p/default/modelversions/digits-v1.2.0'), { shell: true }, 'object names may hold dots');
    assert.deepEqual(resolveUiPath(root, 'favicon.ico'), { missing: true });
    assert.deepEqual(resolveUiPath(root, 'assets/missing.js'), { missing: true });
    assert.deepEqual(resolveUiPath(root, '../package.json'), { missing: true });
    assert.deepEqual(resolveUiPath(root, 'assets/../../x'), { missing: true });
    assert.deepEqual(resolveUiPath(root, 'a\0b'), { missing: true });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
