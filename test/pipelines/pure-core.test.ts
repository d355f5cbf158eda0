/** The pipeline planner, compiler, placeholders and conditions are pure: no node: imports, clock, randomness or environment. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/repo-root.js';

const PURE = ['dag-planner.ts', 'kfp-ir-compiler.ts', 'kfp-ir-components.ts', 'placeholders.ts', 'cel-condition.ts', 'pipeline-model.ts', 'run-parameters.ts', 'recurring-schedule.ts'];

test('pure pipeline cores import no node: module and read no clock, randomness or environment', () => {
  const problems: string[] = [];
  for (const f of PURE) {
    const text = readFileSync(join(repoRoot(), 'src', 'pipelines', f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    if (/from\s+['"]node:/.test(text)) problems.push(`${f} imports a node: module`);
    for (const bad of ['Date.now(', 'new Date()', 'Math.random(', 'process.env', 'setTimeout(', 'setInterval(', 'performance.now(']) if (text.includes(bad)) problems.push(`${f} uses ${bad}`);
    for (const m of text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) if (!m[1]!.startsWith('./') && !m[1]!.startsWith('../api/')) problems.push(`${f} imports ${m[1]}`);
  }
  assert.deepEqual(problems, []);
});
