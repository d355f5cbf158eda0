/** Pipelines through the real platform: KFP IR uploaded, runs whose tasks are TrainingJobs through the queue, outputs, artifacts, cache, cancel, retry. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineKind, PipelineRunKind, PipelineVersionKind } from '../../src/api/kinds/pipeline-kinds.js';
import type { PipelineRunStatus } from '../../src/api/kinds/pipeline-schemas.js';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import { parseIrDocument } from '../../src/pipelines/ir-document.js';
import { repoRoot } from '../support/repo-root.js';
import { startTrainingPlatform, waitFor, type TrainingTestPlatform } from '../training/training-platform.js';

let tp: TrainingTestPlatform;
let scratch: string;
before(async () => {
  tp = await startTrainingPlatform();
  scratch = mkdtempSync(join(tmpdir(), 'capstan-pl-'));
});
after(async () => {
  await tp.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function upload(file: string, name: string): Promise<void> {
  const r = parseIrDocument(readFileSync(join(repoRoot(), 'examples', 'pipelines', 'kfp', file), 'utf8'));
  assert.ok(r.ok);
  await tp.client.create(PipelineKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Pipeline', metadata: { name, namespace: 'default' }, spec: {} });
  await tp.client.create(PipelineVersionKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineVersion', metadata: { name: `${name}-v1`, namespace: 'default', labels: { 'capstan.dev/pipeline': name } }, spec: { pipeline: name, ...r.doc } });
}

async function run(name: string, pipeline: string, parameters: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  await tp.client.create(PipelineRunKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineRun', metadata: { name, namespace: 'default' }, spec: { pipeline, parameters, ...extra } });
}

async function until(name: string, phases: string[], timeoutMs = 60_000): Promise<PipelineRunStatus> {
  return waitFor(`${name} in ${phases.join('/')}`, async () => {
    const s = ((await tp.client.get(PipelineRunKind, 'default', name)).status ?? {}) as PipelineRunStatus;
    return s.phase && phases.includes(s.phase) ? s : undefined;
  }, timeoutMs);
}

test('parameters and dependencies: each task a TrainingJob through the queue; a second run hits the cache', async () => {
  await upload('params-and-deps.yaml', 'add');
  await run('add-1', 'add', { a: '4' });
  const s = await until('add-1', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Succeeded', s.message);
  assert.equal(s.tasks!.add!.outputs!.parameters!.Output, 7);
  assert.equal(s.tasks!.double!.outputs!.parameters!.Output, 14);
  assert.equal(s.tasks!.double!.cacheHit, false);
  const job = await tp.client.get(TrainingJobKind, 'default', s.tasks!.double!.job!);
  assert.equal(job.metadata.ownerReferences?.[0]?.kind, 'PipelineRun');
  assert.deepEqual((job.spec as { replicaSpecs: { Step: { template: { args: string[] } } } }).replicaSpecs.Step.template.args.slice(2, 4), ['7', 'label=none']);
  const log = await tp.client.request<string>('GET', `/apis/capstan.dev/v1alpha1/namespaces/default/trainingjobs/${s.tasks!.double!.job}/log`);
  assert.match(String(log.body), /doubling 7 label=none/);
  await run('add-2', 'add', { a: 4 });
  const again = await until('add-2', ['Succeeded', 'Failed']);
  assert.equal(again.tasks!.add!.cacheHit, true);
  assert.equal(again.tasks!.double!.cacheHit, true);
  assert.equal(again.tasks!.double!.outputs!.parameters!.Output, 14);
  // Per-run opt-out, and invalidation of one task's entry.
  const inv = await tp.client.request<{ removed: boolean }>('DELETE', '/apis/capstan.dev/v1alpha1/namespaces/default/pipelineruns/add-1/cache?task=double');
  assert.equal(inv.body.removed, true);
  await run('add-3', 'add', { a: 4 });
  const third = await until('add-3', ['Succeeded', 'Failed']);
  assert.equal(third.tasks!.add!.cacheHit, true);
  assert.equal(third.tasks!.double!.cacheHit, false);
  await run('add-4', 'add', { a: 4 }, { cache: false });
  const fourth = await until('add-4', ['Succeeded', 'Failed']);
  assert.equal(fourth.tasks!.add!.cacheHit, undefined);
});

test('bad input: IR that does not compile is a 422 naming the field; a version never changes; bad parameters fail the run naming them', async () => {
  const r = parseIrDocument(readFileSync(join(repoRoot(), 'examples', 'pipelines', 'kfp', 'params-and-deps.yaml'), 'utf8'));
  assert.ok(r.ok);
  const spec = JSON.parse(JSON.stringify(r.doc.pipelineSpec));
  spec.components['comp-double'].inputDefinitions.parameters.x.parameterType = 'STRING';
  await assert.rejects(
    tp.client.create(PipelineVersionKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineVersion', metadata: { name: 'bad-v1', namespace: 'default' }, spec: { pipeline: 'bad', pipelineSpec: spec } }),
    (err: { code?: number; status?: number; message: string; causes?: Array<{ field?: string }> }) => /type mismatch/.test(JSON.stringify(err)) && /spec\.pipelineSpec\.root\.dag\.tasks\.double\.inputs\.parameters\.x/.test(JSON.stringify(err)),
  );
  const v = await tp.client.get(PipelineVersionKind, 'default', 'add-v1');
  await assert.rejects(tp.client.update(PipelineVersionKind, { ...v, spec: { ...(v.spec as object), description: 'changed' } }), /immutable/);
  await run('add-bad', 'add', { a: 'four' });
  const s = await until('add-bad', ['Failed']);
  assert.match(s.message!, /spec\.parameters\.a: "four" is not a NUMBER_INTEGER/);
});

test('artifacts flow between tasks through the content-addressed store; a deleted artifact is never a cache hit', async () => {
  await upload('artifacts.yaml', 'art');
  await run('art-1', 'art', { n: 7 });
  const s = await until('art-1', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Succeeded', s.message);
  assert.equal(s.tasks!['count-lines']!.outputs!.parameters!.lines, 7);
  const a = s.tasks!['make-data']!.outputs!.artifacts!.data as { digest: string; uri: string };
  assert.match(a.uri, /^capstan-artifact:\/\/sha256\/[0-9a-f]{64}$/);
  rmSync(join(tp.dataDir, 'pipelines', 'artifacts', 'blobs'), { recursive: true, force: true });
  await run('art-2', 'art', { n: 7 });
  const t = await until('art-2', ['Succeeded', 'Failed']);
  assert.equal(t.phase, 'Succeeded', t.message);
  assert.equal(t.tasks!['make-data']!.cacheHit, false, 'the cached artifact is gone: the task runs again');
});

test('if/elif/else and parallelFor with parallelism and fan-in', async () => {
  await upload('condition.yaml', 'cond');
  await run('cond-tails', 'cond', { side: 'tails' });
  const c = await until('cond-tails', ['Succeeded', 'Failed']);
  assert.equal(c.phase, 'Succeeded', c.message);
  assert.equal(c.tasks!['condition-branches-1/condition-3/say-2']!.outputs!.parameters!.Output, 'tails');
  assert.equal(c.tasks!['condition-branches-1/condition-2']!.reason, 'ConditionFalse');
  await upload('loop.yaml', 'loop');
  await run('loop-1', 'loop', { xs: '[1, 2, 3, 4, 5]' });
  const l = await until('loop-1', ['Succeeded', 'Failed']);
  assert.equal(l.phase, 'Succeeded', l.message);
  assert.equal(l.tasks!.total!.outputs!.parameters!.Output, 55);
  // parallelism 2: never more than two squares overlapped.
  const spans = Object.entries(l.tasks!).filter(([id]) => id.endsWith('/square')).map(([, t]) => [Date.parse(t.startTime!), Date.parse(t.endTime!)] as const);
  for (const [s0] of spans) assert.ok(spans.filter(([a, b]) => a <= s0 && s0 < b).length <= 2);
});

test('retries, ignoreUpstreamFailure, exit handler, retry-from-failed', async () => {
  await upload('exit-handler-retry.yaml', 'exit');
  const counter = join(scratch, 'counter');
  await run('exit-1', 'exit', { counter });
  const s = await until('exit-1', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Failed');
  assert.equal(s.tasks!['exit-handler-1/flaky']!.attempts, 3);
  assert.equal(s.tasks!['exit-handler-1/flaky']!.phase, 'Succeeded');
  assert.equal(s.tasks!['exit-handler-1/maybe-fail']!.phase, 'Failed');
  assert.equal(s.tasks!['exit-handler-1/cleanup']!.phase, 'Succeeded');
  assert.equal(s.tasks!.report!.outputs!.parameters!.state, 'FAILED');
  // Retry from failed: the finished flaky task is not run again.
  await tp.client.patch(PipelineRunKind, 'default', 'exit-1', { spec: { retry: 1 } });
  await waitFor('retry observed', async () => ((await tp.client.get(PipelineRunKind, 'default', 'exit-1')).status as PipelineRunStatus).observedRetry === 1);
  const r = await until('exit-1', ['Succeeded', 'Failed']);
  assert.equal(r.tasks!['exit-handler-1/flaky']!.attempts, 3, 'flaky kept');
  assert.equal(readFileSync(counter, 'utf8').trim(), '3');
  assert.equal(r.tasks!['exit-handler-1/maybe-fail']!.phase, 'Failed');
  assert.notEqual(r.tasks!.report!.endTime, s.tasks!.report!.endTime, 'the exit handler ran again with the new outcome');
});

test('a step that never ends is stopped by its timeout; cancel stops a running task', async () => {
  await upload('timeout.yaml', 'hang');
  await run('hang-1', 'hang', {});
  const s = await until('hang-1', ['Failed'], 30_000);
  assert.equal(s.tasks!.hang!.reason, 'DeadlineExceeded');
  await tp.client.create(PipelineVersionKind, {
    apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineVersion', metadata: { name: 'hang-v2', namespace: 'default', labels: { 'capstan.dev/pipeline': 'hang' } },
    spec: { pipeline: 'hang', pipelineSpec: (await tp.client.get(PipelineVersionKind, 'default', 'hang-v1')).spec && ((await tp.client.get(PipelineVersionKind, 'default', 'hang-v1')).spec as { pipelineSpec: object }).pipelineSpec },
  });
  await run('hang-2', 'hang', {}, { pipelineVersion: 'hang-v2' });
  const job = await waitFor('hang-2 running', async () => {
    const st = ((await tp.client.get(PipelineRunKind, 'default', 'hang-2')).status ?? {}) as PipelineRunStatus;
    return st.tasks?.hang?.job;
  });
  await tp.client.patch(PipelineRunKind, 'default', 'hang-2', { spec: { cancel: true } });
  const c = await until('hang-2', ['Cancelled'], 20_000);
  assert.equal(c.tasks!.hang!.phase, 'Cancelled');
  await waitFor('job deleted', async () => !(await tp.client.list(TrainingJobKind, { namespace: 'default' })).items.some((j) => j.metadata.name === job));
});

test('retention: deleting a run deletes its files, cache entries and the artifacts nothing else references', async () => {
  const { FsBlobStore } = await import('../../src/artifacts/index.js');
  const store = new FsBlobStore({ root: join(tp.dataDir, 'pipelines', 'artifacts') });
  await run('art-del', 'art', { n: 11 });
  const s = await until('art-del', ['Succeeded', 'Failed']);
  assert.equal(s.phase, 'Succeeded', s.message);
  const digest = (s.tasks!['make-data']!.outputs!.artifacts!.data as { digest: string }).digest;
  assert.equal(await store.has(digest), true);
  const runObj = await tp.client.get(PipelineRunKind, 'default', 'art-del');
  await tp.client.delete(PipelineRunKind, 'default', 'art-del');
  await waitFor('run gone', async () => !(await tp.client.tryGet(PipelineRunKind, 'default', 'art-del')));
  assert.equal(await store.has(digest), false, 'the run\'s own artifact is deleted');
  const { existsSync } = await import('node:fs');
  assert.equal(existsSync(join(tp.dataDir, 'pipelines', 'runs', 'default', runObj.metadata.uid)), false);
  // A re-run cannot hit a cache entry of the deleted run: it runs the task again.
  await run('art-del-2', 'art', { n: 11 });
  const again = await until('art-del-2', ['Succeeded', 'Failed']);
  assert.equal(again.tasks!['make-data']!.cacheHit, false);
});
