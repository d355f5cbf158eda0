/** The KFP v2 IR compiler and the pure planner, on the IR samples in examples/pipelines/kfp and on bad input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compileKfpIr } from '../../src/pipelines/kfp-ir-compiler.js';
import { parseIrDocument } from '../../src/pipelines/ir-document.js';
import { planRun } from '../../src/pipelines/dag-planner.js';
import type { CompiledPipeline } from '../../src/pipelines/pipeline-model.js';
import { resolveRunParameters } from '../../src/pipelines/run-parameters.js';
import type { TaskStatus } from '../../src/api/kinds/pipeline-schemas.js';
import { repoRoot } from '../support/repo-root.js';

const dir = join(repoRoot(), 'examples', 'pipelines', 'kfp');

function load(file: string): { pipelineSpec: Record<string, unknown>; platformSpec?: Record<string, unknown> } {
  const r = parseIrDocument(readFileSync(join(dir, file), 'utf8'));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.doc;
}

function compile(file: string): CompiledPipeline {
  const d = load(file);
  const r = compileKfpIr(d.pipelineSpec, d.platformSpec);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.pipeline;
}

function problems(spec: unknown, platform?: unknown): string[] {
  const r = compileKfpIr(spec, platform);
  assert.equal(r.ok, false);
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.message}`);
}

test('every IR sample compiles', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) compile(f);
});

test('bad input is refused naming the field', () => {
  const base = load('params-and-deps.yaml').pipelineSpec;
  const clone = () => JSON.parse(JSON.stringify(base)) as Record<string, any>;
  let s = clone();
  s.root.dag.tasks.add.dependentTasks = ['double'];
  assert.ok(problems(s).some((p) => /cycle: /.test(p)), 'cycle');
  s = clone();
  s.components['comp-double'].inputDefinitions.parameters.x.parameterType = 'STRING';
  assert.ok(problems(s).some((p) => p.startsWith('root.dag.tasks.double.inputs.parameters.x: type mismatch: a NUMBER_INTEGER')), 'INT into STRING');
  s = clone();
  s.root.dag.tasks.add.componentRef.name = 'comp-nope';
  assert.ok(problems(s).some((p) => p.startsWith('root.dag.tasks.add.componentRef.name: unknown component')));
  s = clone();
  delete s.root.dag.tasks.add.inputs.parameters.a;
  assert.ok(problems(s).some((p) => p.startsWith('root.dag.tasks.add.inputs.parameters.a: missing input')));
  s = clone();
  s.deploymentSpec.executors['exec-add'].container.args[0] = "{{$.inputs.parameters['zzz']}}";
  assert.ok(problems(s).some((p) => p.includes('deploymentSpec.executors.exec-add.container.args') && p.includes('zzz')));
  s = clone();
  s.root.dag.tasks.add.bogus = 1;
  assert.ok(problems(s).some((p) => p === 'root.dag.tasks.add.bogus: unsupported field bogus'));
  s = clone();
  s.deploymentSpec.executors['exec-add'] = { importer: { artifactUri: {} } };
  assert.ok(problems(s).some((p) => p.startsWith('deploymentSpec.executors.exec-add.importer')));
  assert.ok(problems({ apiVersion: 'v1' }).some((p) => p.startsWith('pipelineSpec.apiVersion') || p.startsWith('pipelineInfo.name')));
  const loop = load('loop.yaml').pipelineSpec as Record<string, any>;
  loop.root.dag.tasks['for-loop-2'].parameterIterator.items = { raw: '{"a": 1}' };
  assert.ok(problems(loop).some((p) => p.startsWith('root.dag.tasks.for-loop-2.parameterIterator.items.raw: must be a JSON list')));
  assert.ok(problems(load('timeout.yaml').pipelineSpec, { platforms: { kubernetes: { deploymentSpec: { executors: { 'exec-hang': { nodeSelector: {} } } } } } }).some((p) => p.includes('nodeSelector')));
});

test('run parameters are typed and named', () => {
  const p = compile('params-and-deps.yaml');
  assert.deepEqual(resolveRunParameters(p, { a: '4' }), { ok: true, params: { a: 4, b: 3 } });
  const bad = resolveRunParameters(p, { a: 'x', c: 1 });
  assert.equal(bad.ok, false);
  assert.deepEqual(!bad.ok && bad.problems.map((x) => x.field).sort(), ['spec.parameters.a', 'spec.parameters.c']);
  const missing = resolveRunParameters(p, {});
  assert.deepEqual(!missing.ok && missing.problems.map((x) => x.field), ['spec.parameters.a']);
});

/** Drives the planner to the end, "running" every container task with `run` (returns outputs or throws to fail). */
function simulate(p: CompiledPipeline, params: Record<string, unknown>, run: (id: string, inputs: Record<string, unknown>) => Record<string, unknown>, maxConcurrent = Infinity) {
  let tasks: Record<string, TaskStatus> = {};
  let now = 0;
  let peak = 0;
  const started: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const plan = planRun({ pipeline: p, runName: 'r', params, tasks, cancel: false, now });
    tasks = { ...plan.tasks };
    if (['Succeeded', 'Failed', 'Cancelled'].includes(plan.phase)) return { phase: plan.phase, tasks, started, peak, message: plan.message };
    const running = Object.entries(tasks).filter(([id, t]) => t.phase === 'Running' && !t.items && !t.inputs?.['parameters'] === false && p && id);
    void running;
    peak = Math.max(peak, plan.start.length + Object.values(tasks).filter((t) => t.phase === 'Running' && t.job).length);
    for (const s of plan.start) {
      started.push(s.id);
      try {
        tasks[s.id] = { ...tasks[s.id]!, phase: 'Succeeded', outputs: { parameters: run(s.id, s.parameters) } };
      } catch (err) {
        tasks[s.id] = { ...tasks[s.id]!, phase: 'Failed', message: (err as Error).message, endTime: new Date(now).toISOString() };
      }
    }
    if (!plan.start.length) now = plan.wakeAt ?? now + 1000;
  }
  throw new Error('did not finish');
}

test('planner: dependencies, typed outputs, condition branches, loops with fan-in', () => {
  const add = simulate(compile('params-and-deps.yaml'), { a: 2, b: 3 }, (id, inp) => ({ Output: id === 'add' ? (inp.a as number) + (inp.b as number) : (inp.x as number) * 2 }));
  assert.equal(add.phase, 'Succeeded');
  assert.deepEqual(add.started, ['add', 'double']);
  for (const [side, ran] of [['heads', 'say'], ['tails', 'say-2'], ['edge', 'say-3']] as const) {
    const r = simulate(compile('condition.yaml'), { side }, (_id, inp) => ({ Output: inp.side ?? inp.msg }));
    assert.equal(r.phase, 'Succeeded');
    assert.deepEqual(r.started.filter((x) => x !== 'flip').map((x) => x.split('/').pop()), [ran], side);
    assert.equal(Object.values(r.tasks).filter((t) => t.reason === 'ConditionFalse').length, 2);
  }
  const loop = simulate(compile('loop.yaml'), { xs: [1, 2, 3, 4, 5] }, (id, inp) => (id === 'total' ? { Output: (inp.xs as number[]).reduce((a, b) => a + b, 0) } : { Output: (inp.x as number) ** 2 }));
  assert.equal(loop.phase, 'Succeeded');
  assert.equal(loop.tasks.total!.outputs!.parameters!.Output, 55);
  assert.deepEqual(loop.tasks['for-loop-2']!.outputs!.parameters!['pipelinechannel--square-Output'], [1, 4, 9, 16, 25]);
});

test('planner: loop parallelism holds iterations back; a loop over a non-list fails naming it', () => {
  const p = compile('loop.yaml');
  let tasks: Record<string, TaskStatus> = {};
  const plan = planRun({ pipeline: p, runName: 'r', params: { xs: [1, 2, 3, 4, 5] }, tasks, cancel: false, now: 0 });
  assert.deepEqual(plan.start.map((s) => s.id), ['for-loop-2#0/square', 'for-loop-2#1/square']);
  tasks = { ...plan.tasks, 'for-loop-2#0/square': { ...plan.tasks['for-loop-2#0/square']!, job: 'j', phase: 'Running' } };
  tasks['for-loop-2#1/square'] = { ...tasks['for-loop-2#1/square']!, phase: 'Succeeded', outputs: { parameters: { Output: 4 } } };
  const next = planRun({ pipeline: p, runName: 'r', params: { xs: [1, 2, 3, 4, 5] }, tasks, cancel: false, now: 1 });
  assert.deepEqual(next.start.map((s) => s.id), ['for-loop-2#2/square']);
  const bad = planRun({ pipeline: p, runName: 'r', params: { xs: 'nope' }, tasks: {}, cancel: false, now: 0 });
  assert.equal(bad.phase, 'Failed');
  assert.match(bad.tasks['for-loop-2']!.message!, /not a list/);
});

test('planner: retries with backoff, ignoreUpstreamFailure, exit handler with the final status, cancel', () => {
  const p = compile('exit-handler-retry.yaml');
  let flakyRuns = 0;
  const r = simulate(p, { counter: 'c', fail: true }, (id, inp) => {
    if (id.endsWith('flaky') && ++flakyRuns < 3) throw new Error('flaky');
    if (id.endsWith('maybe-fail') && inp.fail === true) throw new Error('told to fail');
    if (id === 'report') return { state: (inp.status as { state: string }).state };
    return {};
  });
  assert.equal(flakyRuns, 3);
  assert.equal(r.phase, 'Failed');
  assert.equal(r.tasks['exit-handler-1/cleanup']!.phase, 'Succeeded', 'ignoreUpstreamFailure runs after a failure');
  assert.equal(r.tasks.report!.outputs!.parameters!.state, 'FAILED');
  // Cancel: nothing new starts except the exit handler, which sees CANCELED.
  const first = planRun({ pipeline: p, runName: 'r', params: { counter: 'c', fail: false }, tasks: {}, cancel: false, now: 0 });
  const running = { ...first.tasks, 'exit-handler-1/flaky': { ...first.tasks['exit-handler-1/flaky']!, job: 'j' } };
  const cancelled = planRun({ pipeline: p, runName: 'r', params: { counter: 'c', fail: false }, tasks: running, cancel: true, now: 1 });
  assert.deepEqual(cancelled.stop, ['exit-handler-1/flaky']);
  // maybe-fail never starts; cleanup (ignoreUpstreamFailure) still runs, then the exit handler.
  assert.deepEqual(cancelled.start.map((s) => s.id), ['exit-handler-1/cleanup']);
  assert.equal(cancelled.tasks['exit-handler-1/maybe-fail']!.phase, 'Cancelled');
  const after = { ...cancelled.tasks, 'exit-handler-1/cleanup': { ...cancelled.tasks['exit-handler-1/cleanup']!, phase: 'Succeeded' as const } };
  const exit = planRun({ pipeline: p, runName: 'r', params: { counter: 'c', fail: false }, tasks: after, cancel: true, now: 2 });
  assert.deepEqual(exit.start.map((s) => [s.id, (s.parameters.status as { state: string }).state]), [['report', 'CANCELED']]);
  assert.equal(exit.phase, 'Cancelling');
});
