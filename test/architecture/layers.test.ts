/**
 * The layering rules of docs/ARCHITECTURE.md, enforced on the source: arrows point down only,
 * and the pure cores import nothing with I/O.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from '../support/repo-root.js';

const root = repoRoot();
const src = join(root, 'src');

function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else if (n.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Imports of a file that are not type-only: `import type` erases at compile time and carries no dependency at run time. */
function imports(file: string): Array<{ spec: string; typeOnly: boolean }> {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ spec: string; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[3], typeOnly: !!m[2] });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

/** The top folder under src/ (with serving split into its parts). */
function area(file: string): string {
  const rel = relative(src, file).split('/');
  if (rel[0] === 'serving' || rel[0] === 'runtime') return `${rel[0]}/${rel[1]}`;
  return rel[0];
}

/** What each area may import at run time (besides itself and npm packages). */
const ALLOWED: Record<string, string[]> = {
  api: [],
  onnx: [],
  store: ['api'],
  artifacts: ['api'],
  scheduler: [],
  autoscaler: [],
  sim: ['scheduler', 'api'],
  client: ['api', 'store'],
  controllers: ['api', 'client', 'store'],
  tuning: [],
};
const PURE = ['scheduler', 'autoscaler', 'tuning'];
/** Pure leaf modules any layer may use: Kubernetes quantities are vocabulary, kept beside the scheduler that needs them most. */
const SHARED_LEAVES = ['scheduler/quantity.ts', 'random/seeded-random.ts', 'tuning/algorithms.ts', 'tuning/median-stopping.ts', 'tuning/search-space.ts'];

test('lower layers never import higher ones; nothing imports the CLI', () => {
  const problems: string[] = [];
  for (const f of files(src)) {
    const from = area(f);
    for (const { spec, typeOnly } of imports(f)) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(f), spec);
      if (!target.startsWith(src)) continue;
      const targetTs = target.replace(/\.js$/, '.ts');
      const to = area(targetTs);
      if (to === from || SHARED_LEAVES.includes(relative(src, targetTs))) continue;
      if (to === 'cli' && from !== 'cli') problems.push(`${relative(root, f)} imports the CLI (${spec})`);
      const allowed = ALLOWED[from];
      if (allowed && !allowed.includes(to) && !typeOnly) problems.push(`${relative(root, f)} (${from}) imports ${to} (${spec})`);
    }
  }
  assert.deepEqual(problems, []);
});

test('pure cores import no node: modules and read no clock, randomness or environment', () => {
  const problems: string[] = [];
  for (const f of files(src).filter((x) => PURE.includes(area(x)))) {
    const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    for (const { spec } of imports(f)) if (spec.startsWith('node:')) problems.push(`${relative(root, f)} imports ${spec}`);
    for (const bad of ['Date.now(', 'new Date()', 'Math.random(', 'process.env', 'setTimeout(', 'setInterval(', 'performance.now(']) {
      if (text.includes(bad)) problems.push(`${relative(root, f)} uses ${bad}`);
    }
  }
  assert.deepEqual(problems, []);
});
