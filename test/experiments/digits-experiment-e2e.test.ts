/**
 * The tuning example end to end: examples/experiments/digits-tpe.yaml tunes the PyTorch digits
 * trainer's learning rate and hidden size (CPU) until a trial reaches accuracy 0.95; the best
 * trial's model is registered with its parameters and lineage to the experiment and the trial.
 * Needs Debian's python3-torch and python3-sklearn: skipped without them, except under CI=true.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ExperimentKind } from '../../src/api/kinds/experiment.js';
import type { ExperimentStatus } from '../../src/api/kinds/experiment-schema.js';
import { ModelVersionKind } from '../../src/registry/index.js';
import { waitFor } from '../training/training-platform.js';
import { exampleManifest, startExperimentPlatform } from './experiment-platform.js';

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch, sklearn'], { stdio: 'ignore' }).status === 0;
const inCi = process.env.CI === 'true';

test('digits-tpe: tunes lr and hidden size to accuracy >= 0.95 and registers the best model with lineage', { skip: !hasTorch && !inCi ? 'python3-torch/python3-sklearn not installed' : false, timeout: 600_000 }, async () => {
  assert.ok(hasTorch, 'CI=true: Debian python3-torch and python3-sklearn must be installed');
  const tp = await startExperimentPlatform();
  try {
    await tp.client.apply(ExperimentKind, exampleManifest('digits-tpe.yaml'));
    const st = await waitFor('the experiment to finish', async () => {
      const s = ((await tp.client.get(ExperimentKind, 'default', 'digits-tpe')).status ?? {}) as ExperimentStatus;
      return s.phase === 'Succeeded' || s.phase === 'Failed' ? s : undefined;
    }, 540_000, 250);
    assert.equal(st.phase, 'Succeeded', JSON.stringify(st.conditions));
    const best = st.currentOptimalTrial!;
    const accuracy = best.observation.metrics.find((m) => m.name === 'accuracy')?.value;
    assert.ok(accuracy !== undefined && accuracy >= 0.95, `best accuracy ${accuracy}`);
    assert.ok((st.trials ?? 0) <= 4);
    assert.match(st.registeredModelVersion ?? '', /^digits-tuned@/);
    const mv = (await tp.client.list(ModelVersionKind, { namespace: 'default' })).items.find((v) => (v.spec as { model?: string }).model === 'digits-tuned');
    assert.ok(mv, 'a ModelVersion of digits-tuned');
    const spec = mv.spec as { metrics: Record<string, number>; params: Record<string, string>; lineage: Record<string, string> };
    assert.deepEqual(spec.lineage, { trainingJob: best.bestTrialName, experiment: 'digits-tpe', trial: best.bestTrialName });
    for (const a of best.parameterAssignments) assert.equal(spec.params[a.name], a.value);
    assert.equal(spec.metrics.accuracy, accuracy);
  } finally {
    await tp.stop();
  }
});
