/** docs/errors.md lists every Status reason the code can produce, with its HTTP code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATUS_REASONS } from '../../src/api/errors.js';
import { repoRoot } from '../support/repo-root.js';

test('every Status reason is documented with its HTTP code', () => {
  const doc = readFileSync(join(repoRoot(), 'docs/errors.md'), 'utf8');
  for (const [reason, code] of Object.entries(STATUS_REASONS)) {
    assert.match(doc, new RegExp(`\\| \`${reason}\` \\| ${code} \\|`), `docs/errors.md lacks a row for ${reason} (${code})`);
  }
});
