/** The experiment controller's pure parts: Katib's completion rules, trial budgets, the optimal trial, metric formats and collectors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinKindRegistry } from '../../src/api/kinds/index.js';
import type { ExperimentSpec } from '../../src/api/kinds/experiment-schema.js';
import type { TrialPhase } from '../../src/api/kinds/trial.js';
import type { KubeObject } from '../../src/api/meta.js';
import { completionOf, optimalTrial, searchHistory, trialsToStart, type TrialView } from '../../src/experiments/experiment-state.js';
import { compileFilters, parseJsonMetricLine, parseTextMetricLine } from '../../src/experiments/metric-text.js';
import { buildTrial, buildTrialJob } from '../../src/experiments/trial-factory.js';
import { TrialMetricReader } from '../../src/experiments/trial-metrics.js';
import { jobFiles } from '../../src/training/job-files.js';

const kinds = builtinKindRegistry();

function experiment(spec: Record<string, unknown> = {}): { exp: KubeObject; spec: ExperimentSpec } {
  const { object } = kinds.decode({
    apiVersion: 'capstan.dev/v1alpha1',
    kind: 'Experiment',
    metadata: { name: 'e', namespace: 'default' },
    spec: {
      objective: { type: 'maximize', goal: 0.9, objectiveMetricName: 'acc' },
      algorithm: { algorithmName: 'random' },
      parallelTrialCount: 2,
      maxTrialCount: 4,
      maxFailedTrialCount: 1,
      parameters: [{ name: 'lr', parameterType: 'double', feasibleSpace: { min: 0.01, max: 0.1 } }],
      trialTemplate: {
        trialParameters: [{ name: 'lr', reference: 'lr' }, { name: 'me', reference: '${trialSpec.Name}' }],
        trialSpec: { apiVersion: 'kubeflow.org/v1', kind: 'PyTorchJob', spec: { pytorchReplicaSpecs: { Master: { replicas: 1, template: { spec: { containers: [{ name: 'p', command: ['train', '--lr=${trialParameters.lr}', '--name=${trialParameters.me}'] }] } } } } } },
      },
      ...spec,
    },
  });
  return { exp: { ...object, metadata: { ...object.metadata, uid: 'u1', annotations: { 'capstan.dev/created-by': 'alice' } } } as KubeObject, spec: object.spec as ExperimentSpec };
}

function view(index: number, phase: TrialPhase, acc?: number): TrialView {
  return { name: `e-${index}`, index, phase, assignment: { lr: String(index / 100) }, parameterAssignments: [{ name: 'lr', value: String(index / 100) }], metrics: acc === undefined ? [] : [{ name: 'acc', value: acc }] };
}

test('completion: goal, failure budget (no-metric trials count), trial budget, exhausted grid', () => {
  const { spec } = experiment();
  assert.equal(completionOf(spec, [view(0, 'Succeeded', 0.8), view(1, 'Running')], false), undefined);
  assert.equal(completionOf(spec, [view(0, 'Succeeded', 0.8), view(1, 'EarlyStopped', 0.95)], false)?.reason, 'GoalReached');
  const failed = completionOf(spec, [view(0, 'Failed'), view(1, 'MetricsUnavailable')], false);
  assert.equal(failed?.phase, 'Failed');
  assert.match(failed!.message, /1 finished without reporting acc/);
  assert.equal(completionOf(spec, [view(0, 'Succeeded', 0.5), view(1, 'Succeeded', 0.6), view(2, 'Killed'), view(3, 'Failed')], false)?.reason, 'MaxTrialsReached');
  assert.equal(completionOf(spec, [view(0, 'Succeeded', 0.5), view(1, 'Running')], true), undefined);
  assert.equal(completionOf(spec, [view(0, 'Succeeded', 0.5)], true)?.reason, 'SearchSpaceExhausted');
});

test('budgets: parallelTrialCount and maxTrialCount bound new trials; the optimum keeps the earlier of ties; history states', () => {
  const { spec } = experiment();
  assert.equal(trialsToStart(spec, []), 2);
  assert.equal(trialsToStart(spec, [view(0, 'Running')]), 1);
  assert.equal(trialsToStart(spec, [view(0, 'Succeeded', 0.1), view(1, 'Succeeded', 0.1), view(2, 'Succeeded', 0.1)]), 1);
  assert.equal(optimalTrial(spec, [view(0, 'Succeeded', 0.7), view(1, 'Succeeded', 0.7), view(2, 'Failed')])?.name, 'e-0');
  assert.deepEqual(searchHistory(spec, [view(1, 'Running'), view(0, 'MetricsUnavailable'), view(2, 'Succeeded', 0.5)]).map((o) => o.state), ['failed', 'pending', 'completed']);
});

test('trials and jobs: deterministic names, ownership, created-by carried on, placeholders substituted, PyTorchJob template converted', () => {
  const { exp: e2, spec: s2 } = experiment();
  const { trial } = buildTrial(e2, s2, 3, { lr: '0.05' });
  assert.equal(trial!.metadata.name, 'e-3');
  const job = buildTrialJob({ ...trial!, metadata: { ...trial!.metadata, uid: 't3' } } as unknown as KubeObject);
  const jm = job.metadata as Record<string, any>;
  assert.equal(jm.ownerReferences[0].uid, 't3');
  assert.equal(jm.annotations['capstan.dev/created-by'], 'alice');
  const spec3 = job.spec as { framework: string; replicaSpecs: { Master: { template: { command: string[] } } } };
  assert.equal(spec3.framework, 'pytorch');
  assert.deepEqual(spec3.replicaSpecs.Master.template.command, ['train', '--lr=0.05', '--name=e-3']);
  // The trial's job validates as a TrainingJob.
  assert.equal(kinds.decode({ apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', ...job }).kind.kind, 'TrainingJob');
});

test('metric formats: Katib name=value (default and custom filters), JSON lines; Capstan lines are left to its series', () => {
  const wanted = new Set(['loss', 'acc']);
  assert.deepEqual(parseTextMetricLine('epoch 3: loss=0.25 acc = 9.5e-1 other=3', wanted, compileFilters(undefined)), [{ name: 'loss', value: 0.25 }, { name: 'acc', value: 0.95 }]);
  assert.deepEqual(parseTextMetricLine('CAPSTAN_METRIC {"loss": 1}', wanted, compileFilters(undefined)), []);
  assert.deepEqual(parseTextMetricLine('acc: 0.5 | loss: 2', wanted, compileFilters(['(\\w+):\\s*([\\d.]+)'])), [{ name: 'acc', value: 0.5 }, { name: 'loss', value: 2 }]);
  assert.deepEqual(parseJsonMetricLine('{"acc": "0.7", "loss": 1, "x": 2}', wanted), [{ name: 'acc', value: 0.7 }, { name: 'loss', value: 1 }]);
  assert.deepEqual(parseJsonMetricLine('not json', wanted), []);
});

test('collectors: File (JSON, relative to the output dir) wins over Capstan lines for the metrics it reports; incremental reads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-collect-'));
  try {
    const job = { apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'e-0', namespace: 'default', uid: 'j0' }, spec: { framework: 'generic', replicaSpecs: { Worker: { replicas: 1, template: {} } } } } as unknown as KubeObject;
    const files = jobFiles(dir, 'default', 'e-0', 'j0');
    mkdirSync(files.outputDir, { recursive: true });
    writeFileSync(files.seriesFile, JSON.stringify({ ts: 1, role: 'worker', index: 0, values: { acc: 0.1, loss: 3 } }) + '\n');
    writeFileSync(join(files.outputDir, 'metrics.json'), '{"acc": 0.5}\n{"acc": 0.6}\n');
    const reader = new TrialMetricReader(dir);
    const collector = { collector: { kind: 'File' as const }, source: { fileSystemPath: { path: 'metrics.json', kind: 'File' as const, format: 'JSON' as const } } };
    assert.deepEqual(reader.read(job, collector, ['acc', 'loss']), { acc: [0.5, 0.6], loss: [3] });
    appendFileSync(join(files.outputDir, 'metrics.json'), '{"acc": 0.7}');
    // The last line has no newline yet: read once the job ended.
    assert.deepEqual(reader.read(job, collector, ['acc']), { acc: [0.5, 0.6] });
    assert.deepEqual(reader.read(job, collector, ['acc'], true), { acc: [0.5, 0.6, 0.7] });
    // StdOut reads the primary replica's log.
    const stdout = new TrialMetricReader(dir);
    mkdirSync(join(files.dir, 'logs'), { recursive: true });
    writeFileSync(files.logFile({ role: 'Worker', index: 0 }), 'starting\nloss=2.5\nloss=1.5\n');
    assert.deepEqual(stdout.read(job, { collector: { kind: 'StdOut' } }, ['acc', 'loss']), { acc: [0.1], loss: [2.5, 1.5] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
