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

/**
 * The top folder under src/ (serving and runtime split into their parts; files directly in
 * src/runtime/ are the compute-target interface every runtime implements: area `runtime`).
 */
function area(file: string): string {
  const rel = relative(src, file).split('/');
  if ((rel[0] === 'serving' || rel[0] === 'runtime') && rel.length > 2) return `${rel[0]}/${rel[1]}`;
  return rel[0]!.replace(/\.ts$/, '');
}

/**
 * What each area may import at run time (besides itself and npm packages): a rule for every
 * folder under src/. A new folder fails the test below until it gets its line here.
 */
const ALLOWED: Record<string, string[]> = {
  api: [],
  onnx: [],
  random: [],
  store: ['api'],
  artifacts: ['api'],
  scheduler: [],
  autoscaler: [],
  sim: ['scheduler', 'api', 'random'],
  client: ['api', 'store'],
  controllers: ['api', 'client', 'store'],
  queueing: ['api', 'client', 'controllers', 'scheduler', 'store'],
  registry: ['api', 'artifacts', 'client', 'controllers', 'onnx', 'store'],
  // The compute-target interface and the pure rendezvous env, shared by both runtimes.
  runtime: ['api'],
  'runtime/local': ['api', 'runtime'],
  'runtime/kubernetes': ['api', 'client', 'controllers', 'queueing', 'runtime', 'scheduler'],
  training: ['api', 'artifacts', 'client', 'controllers', 'onnx', 'queueing', 'random', 'registry', 'runtime', 'runtime/local', 'runtime/kubernetes'],
  'serving/model-server': ['api', 'onnx'],
  'serving/gateway': ['api'],
  'serving/control': ['api', 'artifacts', 'autoscaler', 'client', 'controllers', 'queueing', 'registry', 'runtime', 'runtime/local', 'runtime/kubernetes', 'serving/gateway'],
  web: ['api', 'client'],
  server: ['api', 'artifacts', 'client', 'controllers', 'queueing', 'registry', 'runtime', 'runtime/local', 'runtime/kubernetes', 'scheduler', 'serving/control', 'serving/gateway', 'store', 'tenancy', 'training', 'web', 'experiments', 'ops', 'pipelines'],
  cli: ['api', 'artifacts', 'client', 'controllers', 'onnx', 'queueing', 'random', 'registry', 'runtime', 'runtime/local', 'runtime/kubernetes', 'scheduler', 'server', 'serving/control', 'serving/gateway', 'serving/model-server', 'sim', 'store', 'tenancy', 'training', 'web', 'ops', 'pipelines', 'experiments', 'tuning'],
  // The lead's tenancy core (pure: subjects, rules, decisions).
  tenancy: [],
  ops: ['api', 'artifacts', 'client', 'controllers', 'registry', 'store'],
  pipelines: ['api', 'artifacts', 'client', 'controllers', 'registry', 'store'],
  // Hyperparameter search: pure algorithms, and the Experiment controller over training.
  tuning: [],
  experiments: ['api', 'client', 'controllers', 'training', 'tuning'],
};
/** The only places that read process.env: the CLI (entry point) and the server's config. */
const ENV_READERS = (rel: string): boolean => rel.startsWith('src/cli/') || rel === 'src/server/config.ts';
const PURE = ['scheduler', 'autoscaler', 'tuning'];
/** Pure leaf modules any layer may use: Kubernetes quantities are vocabulary, kept beside the scheduler that needs them most. */
const SHARED_LEAVES = ['scheduler/quantity.ts', 'random/seeded-random.ts', 'tuning/algorithms.ts', 'tuning/median-stopping.ts', 'tuning/search-space.ts'];

/** Run-time (not type-only) imports between areas: from → to → the first import seen. */
function areaGraph(): Map<string, Map<string, string>> {
  const g = new Map<string, Map<string, string>>();
  for (const f of files(src)) {
    const from = area(f);
    for (const { spec, typeOnly } of imports(f)) {
      if (!spec.startsWith('.') || typeOnly) continue;
      const targetTs = resolve(dirname(f), spec).replace(/\.js$/, '.ts');
      if (!targetTs.startsWith(src)) continue;
      const to = area(targetTs);
      if (to === from || SHARED_LEAVES.includes(relative(src, targetTs))) continue;
      if (!g.has(from)) g.set(from, new Map());
      if (!g.get(from)!.has(to)) g.get(from)!.set(to, `${relative(root, f)} imports ${spec}`);
    }
  }
  return g;
}

test('every folder under src/ has a layering rule', () => {
  const missing = [...new Set(files(src).map(area))].filter((a) => !(a in ALLOWED)).sort();
  assert.deepEqual(missing, [], `these folders have no rule in ALLOWED (test/architecture/layers.test.ts): ${missing.join(', ')}; add a line saying which areas each may import`);
});

test('no import cycles between folders', () => {
  const g = areaGraph();
  // Tarjan's strongly connected components: any component with more than one area is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) {
        const edges = comp.flatMap((a) => comp.filter((b) => g.get(a)?.has(b)).map((b) => `  ${a} → ${b}: ${g.get(a)!.get(b)}`));
        cycles.push(`${comp.sort().join(' ↔ ')}\n${edges.join('\n')}`);
      }
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  assert.deepEqual(cycles, [], `import cycles between folders:\n${cycles.join('\n')}`);
});

test('process.env is read only in the CLI and src/server/config.ts', () => {
  const problems: string[] = [];
  for (const f of files(src)) {
    const rel = relative(root, f);
    if (ENV_READERS(rel)) continue;
    // Comments and string literals are not reads (a pod's init script is a string).
    const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
    if (/process\.env\b/.test(code)) problems.push(`${rel} reads process.env: take it from ServerConfig (cfg.environment) instead`);
  }
  assert.deepEqual(problems, []);
});

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
