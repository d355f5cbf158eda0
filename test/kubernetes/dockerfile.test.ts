// There is no Docker engine on these machines, so the Dockerfile is checked as far as a shell
// can: it parses, every COPY source exists, its npm steps call scripts package.json defines, it
// runs as a non-root user with /data as its only writable volume; and the deploy manifests are
// schema-valid with a read-only root filesystem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { assertValidManifest } from './validate-manifest.js';

function repoRoot(): string {
  // Works from test/kubernetes (tsx) and dist/test/kubernetes (compiled).
  for (let dir = new URL('.', import.meta.url).pathname; dir !== '/'; dir = join(dir, '..')) if (existsSync(join(dir, 'Dockerfile')) && existsSync(join(dir, 'package.json'))) return dir;
  throw new Error('repo root not found');
}

interface Step { op: string; args: string; stage: number }

function parseDockerfile(text: string): Step[] {
  const steps: Step[] = [];
  let stage = -1;
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([A-Z]+)\s+(.*)$/.exec(line);
    assert.ok(m, `cannot parse Dockerfile line: ${line}`);
    if (m[1] === 'FROM') stage++;
    assert.ok(['FROM', 'WORKDIR', 'RUN', 'COPY', 'ENV', 'USER', 'VOLUME', 'EXPOSE', 'ENTRYPOINT', 'CMD'].includes(m[1]!), `unknown instruction ${m[1]}`);
    steps.push({ op: m[1]!, args: m[2]!, stage });
  }
  return steps;
}

test('Dockerfile: multi-stage on node:20-bookworm-slim, COPY sources exist, npm steps match package.json, non-root', () => {
  const root = repoRoot();
  const steps = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
  const froms = steps.filter((s) => s.op === 'FROM');
  assert.equal(froms.length, 2);
  for (const f of froms) assert.match(f.args, /^node:20-bookworm-slim\b/);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  for (const s of steps.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
    const parts = s.args.split(/\s+/);
    for (const src of parts.slice(0, -1)) assert.ok(existsSync(join(root, src)), `COPY source ${src} exists`);
  }
  const runs = steps.filter((s) => s.op === 'RUN').map((s) => s.args).join(' && ');
  for (const m of runs.matchAll(/npm run ([\w:-]+)/g)) assert.ok(pkg.scripts[m[1]!], `npm run ${m[1]} is a package.json script`);
  assert.match(runs, /npm ci\b/);
  assert.match(runs, /npm prune --omit=dev/);
  assert.ok(existsSync(join(root, 'package-lock.json')), 'npm ci needs the lock file');
  const final = steps.filter((s) => s.stage === 1);
  assert.equal(final.find((s) => s.op === 'USER')?.args, '10001');
  assert.match(final.find((s) => s.op === 'VOLUME')?.args ?? '', /\/data/);
  assert.ok(!final.some((s) => s.op === 'RUN' && /npm (ci|install)/.test(s.args)), 'the runtime stage installs nothing');
  const ignore = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
  assert.ok(ignore.includes('node_modules') && ignore.includes('dist'), '.dockerignore keeps host builds out');
});

test('deploy/kubernetes: every manifest is schema-valid; the pod runs non-root with a read-only root filesystem', () => {
  const dir = join(repoRoot(), 'deploy/kubernetes');
  const kust = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] };
  for (const r of kust.resources) assert.ok(existsSync(join(dir, r)), `${r} exists`);
  const objs = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; rules?: any[] }));
  for (const o of objs) assertValidManifest(o);
  const dep = objs.find((o) => o.kind === 'Deployment')!;
  const c = dep.spec.template.spec.containers[0];
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(dep.spec.template.spec.securityContext.runAsUser, 10001);
  assert.deepEqual(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath).sort(), ['/data', '/tmp']);
  const role = objs.find((o) => o.kind === 'ClusterRole')!;
  const verbs = role.rules!.flatMap((r: { verbs: string[] }) => r.verbs);
  assert.ok(!verbs.includes('*'), 'no wildcard verbs');
  // Registry-token Secrets are written and deleted by name; the runtime never reads, lists or watches Secrets.
  const secretVerbs = role.rules!.filter((r: { resources: string[] }) => r.resources.includes('secrets')).flatMap((r: { verbs: string[] }) => r.verbs).sort();
  assert.deepEqual(secretVerbs, ['create', 'delete', 'patch']);
});
