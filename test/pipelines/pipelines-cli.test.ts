/** `capstan pipelines upload pipeline.yaml` then `capstan pipelines run NAME -p k=v`, get, logs, versions; through a real CLI process. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineKind, PipelineRunKind } from '../../src/api/kinds/pipeline-kinds.js';
import { ProjectKind } from '../../src/api/kinds/project.js';
import type { PipelineRunStatus } from '../../src/api/kinds/pipeline-schemas.js';
import { capstanArgv } from '../support/spawn-capstan.js';
import { repoRoot } from '../support/repo-root.js';
import { startTrainingPlatform, waitFor, type TrainingTestPlatform } from '../training/training-platform.js';

let tp: TrainingTestPlatform;
let home: string;
before(async () => {
  tp = await startTrainingPlatform();
  home = mkdtempSync(join(tmpdir(), 'capstan-cli-home-'));
});
after(async () => tp.stop());

function capstan(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, capstanArgv(args), { cwd: repoRoot(), env: { ...process.env, HOME: home, CAPSTAN_SERVER: tp.url, CAPSTAN_TOKEN: tp.token }, timeout: 60_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end();
  });
}

test('upload, run with -p, get, logs, versions; a second upload is v2; a bad file names its field', async () => {
  const file = join(repoRoot(), 'examples', 'pipelines', 'kfp', 'params-and-deps.yaml');
  const up = await capstan(['pipelines', 'upload', file]);
  assert.equal(up.code, 0, up.err);
  assert.match(up.out, /pipelineversion\/add-pipeline-v1 created/);
  assert.match((await capstan(['pipelines', 'upload', file])).out, /add-pipeline-v2 created/);
  assert.match((await capstan(['pipelines', 'versions', 'add-pipeline'])).out, /add-pipeline-v1[\s\S]*add-pipeline-v2/);
  const r = await capstan(['pipelines', 'run', 'add-pipeline', '-p', 'a=10', '-p', 'b=5', '--name', 'cli-run']);
  assert.equal(r.code, 0, r.err);
  const s = await waitFor('cli-run done', async () => {
    const st = ((await tp.client.get(PipelineRunKind, 'default', 'cli-run')).status ?? {}) as PipelineRunStatus;
    return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
  }, 60_000);
  assert.equal(s.phase, 'Succeeded', s.message);
  assert.equal(s.pipelineVersion, 'add-pipeline-v2');
  const get = await capstan(['pipelines', 'get', 'cli-run']);
  assert.match(get.out, /double\tSucceeded\t1\t\t\{"Output":30\}/);
  const logs = await capstan(['pipelines', 'logs', 'cli-run', 'double']);
  assert.match(logs.out, /doubling 15 label=none/);
  const bad = await capstan(['pipelines', 'run', 'add-pipeline', '-p', 'zzz', '--name', 'x']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /-p zzz: give name=value/);
  const k8s = await capstan(['pipelines', 'upload', join(repoRoot(), 'examples', 'training', 'node-iris', 'trainingjob.yaml')]);
  assert.notEqual(k8s.code, 0);
  assert.match(k8s.err, /pipelineInfo: not a KFP v2 pipeline/);
});

test('Pipeline status shows the newest version; a project keeps only its retained number of finished runs', async () => {
  await waitFor('pipeline status', async () => {
    const st = (await tp.client.get(PipelineKind, 'default', 'add-pipeline')).status as { latestVersion?: string; versions?: number } | undefined;
    return st?.latestVersion === 'add-pipeline-v2' && st.versions === 2;
  });
  await tp.client.patch(ProjectKind, undefined, 'default', { metadata: { annotations: { 'capstan.dev/pipeline-runs-retained': '1' } } });
  const r = await capstan(['pipelines', 'run', 'add-pipeline', '-p', 'a=1', '--name', 'cli-run-2']);
  assert.equal(r.code, 0, r.err);
  await waitFor('the older finished run deleted', async () => !(await tp.client.tryGet(PipelineRunKind, 'default', 'cli-run')), 60_000);
  const left = (await tp.client.list(PipelineRunKind, { namespace: 'default' })).items.map((x) => x.metadata.name);
  assert.deepEqual(left, ['cli-run-2']);
});
