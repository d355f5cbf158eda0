/** The median stopping rule as Vizier and Katib define it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianStop, medianStopSettings } from '../../src/tuning/median-stopping.js';

const settings = medianStopSettings({ min_trials_required: '3', start_step: '2' });

test('a trial worse than the median of completed running averages stops; a better one runs on', () => {
  const completed = [
    [0.5, 0.7, 0.8, 0.9],
    [0.4, 0.6, 0.7, 0.8],
    [0.3, 0.5, 0.6, 0.7],
  ];
  // Running averages up to step 3: 0.667, 0.567, 0.467 → median 0.567.
  const bad = medianStop('maximize', completed, [0.2, 0.4, 0.5], settings);
  assert.equal(bad.stop, true);
  assert.ok(Math.abs(bad.median! - 0.5666667) < 1e-6);
  assert.equal(medianStop('maximize', completed, [0.2, 0.4, 0.6], settings).stop, false);
  // Minimizing mirrors it.
  const losses = completed.map((c) => c.map((v) => 1 - v));
  assert.equal(medianStop('minimize', losses, [0.8, 0.6, 0.5], settings).stop, true);
  assert.equal(medianStop('minimize', losses, [0.8, 0.6, 0.4], settings).stop, false);
});

test('the rule waits for enough completed trials and for start_step reports', () => {
  const completed = [[0.9, 0.9], [0.9, 0.9]];
  assert.equal(medianStop('maximize', completed, [0.1, 0.1, 0.1], settings).stop, false);
  assert.equal(medianStop('maximize', [...completed, [0.9]], [0.1], settings).stop, false);
  assert.equal(medianStop('maximize', [...completed, [0.9]], [0.1, 0.1], settings).stop, true);
  assert.throws(() => medianStopSettings({ start_step: '0' }), /start_step/);
});
