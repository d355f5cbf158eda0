/**
 * Experiments end to end on the real platform: Katib YAML applied as is runs its trials as
 * TrainingJobs through the queue, reads `name=value` metrics from stdout, reports the optimal
 * trial and completes on its budget; grid search exhausts its space; an objective the trials
 * never print fails the experiment with a clear message; the median stopping rule stops bad
 * trials; a platform restart neither loses nor duplicates trials.
 */
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { ExperimentKind } from '../../src/api/kinds/experiment.js';
import type { ExperimentStatus } from '../../src/api/kinds/experiment-schema.js';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import type { TrainingJobSpec, TrainingJobStatus } from '../../src/api/kinds/training-job-schema.js';
import { TrialKind, type TrialSpec, type TrialStatus } from '../../src/api/kinds/trial.js';
import type { HttpClient } from '../../src/client/http-client.js';
import { capstanArgv } from '../support/spawn-capstan.js';
import { waitFor } from '../training/training-platform.js';
import { exampleManifest, startExperimentPlatform } from './experiment-platform.js';

async function finished(client: HttpClient, name: string, timeoutMs = 90_000): Promise<ExperimentStatus> {
  return waitFor(`experiment ${name} to finish`, async () => {
    const st = ((await client.get(ExperimentKind, 'default', name)).status ?? {}) as ExperimentStatus;
    return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
  }, timeoutMs, 100);
}

async function trialsOf(client: HttpClient, name: string) {
  return (await client.list(TrialKind, { namespace: 'default', labelSelector: `capstan.dev/experiment=${name}` })).items;
}

test('Katib YAML as is: random search, trials as queued TrainingJobs, stdout metrics, optimal trial, budget', { timeout: 120_000 }, async () => {
  const tp = await startExperimentPlatform();
  try {
    const m = exampleManifest('katib-random.yaml', (x) => {
      x.spec.maxTrialCount = 4;
      x.spec.objective.goal = 0.0001;
    });
    await tp.client.apply(ExperimentKind, m);
    const st = await finished(tp.client, 'branin-random');
    assert.equal(st.phase, 'Succeeded', JSON.stringify(st.conditions));
    assert.equal(st.completionReason, 'MaxTrialsReached');
    assert.equal(st.trials, 4);
    assert.equal(st.trialsSucceeded, 4);
    const trials = await trialsOf(tp.client, 'branin-random');
    assert.deepEqual(trials.map((t) => t.metadata.name).sort(), ['branin-random-0', 'branin-random-1', 'branin-random-2', 'branin-random-3']);
    let best = { name: '', loss: Infinity };
    for (const t of trials) {
      const ts = t.status as TrialStatus;
      const loss = ts.observation?.metrics.find((x) => x.name === 'loss');
      assert.ok(loss?.value !== undefined, `${t.metadata.name} has a loss`);
      // Minimize: the objective's value is the series' minimum (its last epoch here).
      assert.equal(loss.value, loss.min);
      assert.equal(ts.observation?.metrics.find((x) => x.name === 'epoch')?.latest, 5);
      if (loss.value < best.loss) best = { name: t.metadata.name, loss: loss.value };
      // The trial's job went through the queue (its workload) and is owned by the trial.
      const job = await tp.client.get(TrainingJobKind, 'default', t.metadata.name);
      assert.equal((job.status as TrainingJobStatus).phase, 'Succeeded');
      assert.equal((job.status as TrainingJobStatus).workload, `trainingjob-${t.metadata.name}`);
      assert.equal(job.metadata.ownerReferences?.[0]?.uid, t.metadata.uid);
      const args = (job.spec as TrainingJobSpec).replicaSpecs.Worker!.template.command!;
      const x = (t.spec as TrialSpec).parameterAssignments.find((a) => a.name === 'x')!.value;
      assert.ok(args.includes(`--x=${x}`), `${args.join(' ')} substitutes x=${x}`);
    }
    assert.equal(st.currentOptimalTrial?.bestTrialName, best.name);
    assert.deepEqual(st.currentOptimalTrial?.parameterAssignments.map((a) => a.name), ['x', 'y']);

    // The CLI: summary, trials table with the best marked, best trial as JSON.
    // Asynchronously: the server runs in this process.
    const cli = async (...args: string[]) => (await promisify(execFile)(process.execPath, capstanArgv(args), { env: { ...process.env, CAPSTAN_SERVER: tp.platform.url, CAPSTAN_TOKEN: tp.token, CAPSTAN_PROJECT: 'default' }, encoding: 'utf8' })).stdout;
    assert.match(await cli('experiments', 'get', 'branin-random'), /Succeeded \(MaxTrialsReached\)[\s\S]*trials: 4 [\s\S]*best: branin-random-\d loss=/);
    const table = await cli('experiments', 'trials', 'branin-random');
    assert.match(table, /TRIAL\s+STATUS\s+LOSS\s+EPOCH\s+X\s+Y/);
    assert.match(table, new RegExp(`${best.name} \\*\\s+Succeeded`));
    const bestJson = JSON.parse(await cli('experiments', 'best', 'branin-random', '-o', 'json')) as { trial: string; metrics: { loss: number }; parameters: Record<string, string> };
    assert.equal(bestJson.trial, best.name);
    assert.equal(bestJson.metrics.loss, best.loss);
    assert.match(await cli('get', 'experiments'), /branin-random\s+Succeeded\s+random\s+4\/4/);

    // Katib's resume: with resumePolicy LongRunning, raising maxTrialCount runs the experiment on.
    await tp.client.patch(ExperimentKind, 'default', 'branin-random', { spec: { resumePolicy: 'LongRunning', maxTrialCount: 5 } });
    const resumed = await waitFor('the resumed experiment to finish its fifth trial', async () => {
      const s = ((await tp.client.get(ExperimentKind, 'default', 'branin-random')).status ?? {}) as ExperimentStatus;
      return s.phase === 'Succeeded' && s.trials === 5 ? s : undefined;
    }, 60_000, 100);
    assert.equal(resumed.trialsSucceeded, 5);
    assert.ok((await trialsOf(tp.client, 'branin-random')).some((t) => t.metadata.name === 'branin-random-4'));
  } finally {
    await tp.stop();
  }
});

test('grid search exhausts its space; an objective never printed fails the experiment naming the metric', { timeout: 120_000 }, async () => {
  const tp = await startExperimentPlatform();
  try {
    await tp.client.apply(ExperimentKind, exampleManifest('katib-random.yaml', (x) => {
      x.metadata.name = 'grid';
      x.spec.algorithm.algorithmName = 'grid';
      x.spec.maxTrialCount = 10;
      x.spec.parameters = [{ name: 'x', parameterType: 'discrete', feasibleSpace: { list: ['3.14', '9.42', '-3.14'] } }, { name: 'y', parameterType: 'int', feasibleSpace: { min: '2', max: '3' } }];
    }));
    await tp.client.apply(ExperimentKind, exampleManifest('katib-random.yaml', (x) => {
      x.metadata.name = 'quiet';
      x.spec.maxFailedTrialCount = 1;
      x.spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command.push('--quiet');
    }));
    const grid = await finished(tp.client, 'grid');
    assert.equal(grid.completionReason, 'SearchSpaceExhausted', JSON.stringify(grid.conditions));
    assert.equal(grid.trials, 6);
    const seen = (await trialsOf(tp.client, 'grid')).map((t) => (t.spec as TrialSpec).parameterAssignments.map((a) => a.value).join(','));
    assert.deepEqual(seen.sort(), ['-3.14,2', '-3.14,3', '3.14,2', '3.14,3', '9.42,2', '9.42,3']);
    const quiet = await finished(tp.client, 'quiet');
    assert.equal(quiet.phase, 'Failed');
    assert.equal(quiet.completionReason, 'MaxFailedTrialsReached');
    assert.ok((quiet.trialsMetricsUnavailable ?? 0) >= 2);
    const failed = quiet.conditions?.find((c) => c.type === 'Failed');
    assert.match(failed?.message ?? '', /without reporting loss/);
    const t = (await trialsOf(tp.client, 'quiet')).find((x) => (x.status as TrialStatus).phase === 'MetricsUnavailable')!;
    assert.match(JSON.stringify((t.status as TrialStatus).conditions), /never reported the objective metric loss/);
  } finally {
    await tp.stop();
  }
});

test('the median stopping rule stops trials worse than the completed ones (SIGTERM through suspend)', { timeout: 120_000 }, async () => {
  const tp = await startExperimentPlatform();
  try {
    await tp.client.apply(ExperimentKind, exampleManifest('katib-random.yaml', (x) => {
      x.metadata.name = 'median';
      x.spec.algorithm.algorithmName = 'grid';
      x.spec.parallelTrialCount = 1;
      x.spec.maxTrialCount = 4;
      x.spec.objective.goal = 0.0001;
      x.spec.earlyStopping = { algorithmName: 'medianstop', algorithmSettings: [{ name: 'min_trials_required', value: '2' }, { name: 'start_step', value: '2' }] };
      // Two good points first, then two bad ones; bad trials run slowly enough to be watched.
      x.spec.parameters = [{ name: 'x', parameterType: 'discrete', feasibleSpace: { list: ['3.14', '9.42', '-5', '0'] } }];
      x.spec.trialTemplate.trialParameters = [{ name: 'x', reference: 'x' }];
      x.spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command = ['python3', 'examples/experiments/objective.py', '--x=${trialParameters.x}', '--steps=30', '--delay=0.15'];
    }));
    const st = await finished(tp.client, 'median');
    assert.equal(st.completionReason, 'MaxTrialsReached', JSON.stringify(st.conditions));
    assert.equal(st.trialsSucceeded, 2);
    assert.equal(st.trialsEarlyStopped, 2);
    for (const t of await trialsOf(tp.client, 'median')) {
      const ts = t.status as TrialStatus;
      if (ts.phase !== 'EarlyStopped') continue;
      assert.match(JSON.stringify(ts.conditions), /Median stopping rule/);
      const job = await waitFor('the stopped job to be suspended', async () => {
        const j = await tp.client.get(TrainingJobKind, 'default', t.metadata.name);
        return (j.status as TrainingJobStatus).phase === 'Suspended' ? j : undefined;
      }, 20_000);
      assert.equal((job.spec as TrainingJobSpec).runPolicy.suspend, true);
    }
    assert.match(st.currentOptimalTrial?.bestTrialName ?? '', /^median-[01]$/);
  } finally {
    await tp.stop();
  }
});

test('a platform restart mid-experiment neither loses nor duplicates trials', { timeout: 150_000 }, async () => {
  let tp = await startExperimentPlatform();
  const dataDir = tp.dataDir;
  try {
    await tp.client.apply(ExperimentKind, exampleManifest('katib-random.yaml', (x) => {
      x.metadata.name = 'resume';
      x.spec.algorithm.algorithmName = 'tpe';
      x.spec.algorithm.algorithmSettings = [{ name: 'n_startup_trials', value: '2' }];
      x.spec.maxTrialCount = 5;
      x.spec.objective.goal = 0.0001;
      x.spec.trialTemplate.trialSpec.spec.template.spec.containers[0].command.push('--steps=6', '--delay=0.2');
    }));
    await waitFor('two trials to run', async () => (await trialsOf(tp.client, 'resume')).filter((t) => (t.status as TrialStatus | undefined)?.phase === 'Running').length >= 2, 60_000);
    const before = (await trialsOf(tp.client, 'resume')).map((t) => `${t.metadata.name}:${JSON.stringify((t.spec as TrialSpec).parameterAssignments)}`);
    await tp.stop(true);
    tp = await startExperimentPlatform(dataDir);
    const st = await finished(tp.client, 'resume');
    assert.equal(st.completionReason, 'MaxTrialsReached', JSON.stringify(st.conditions));
    const trials = await trialsOf(tp.client, 'resume');
    assert.deepEqual(trials.map((t) => t.metadata.name).sort(), ['resume-0', 'resume-1', 'resume-2', 'resume-3', 'resume-4']);
    // The trials created before the restart kept their values; every trial ran to the end.
    const after = trials.map((t) => `${t.metadata.name}:${JSON.stringify((t.spec as TrialSpec).parameterAssignments)}`);
    for (const b of before) assert.ok(after.includes(b), b);
    assert.equal(st.trialsSucceeded, 5);
  } finally {
    await tp.stop();
  }
});
