import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hpaConfig, hpaDecide, hpaInitialState, type HpaConfig, type HpaState } from '../../src/autoscaler/hpa.js';

const cfg = hpaConfig({ target: 0.8, minReplicas: 1, maxReplicas: 20 });

test('desired = ceil(current × metric / target) outside the tolerance band', () => {
  const d = hpaDecide(hpaInitialState(), { currentReplicas: 4, value: 0.9 }, cfg, 0);
  assert.equal(d.desired, 5); // ratio 1.125 → ceil(4.5)
  assert.equal(d.reason, 'scaled 4 → 5: cpu 0.9 vs target 0.8 (ratio 1.125)');
});

test('tolerance band: within ±10% holds', () => {
  for (const value of [0.73, 0.8, 0.87]) {
    const d = hpaDecide(hpaInitialState(), { currentReplicas: 4, value }, cfg, 0);
    assert.equal(d.desired, 4, `value ${value}`);
    assert.match(d.reason, /within 10% tolerance/);
  }
  assert.equal(hpaDecide(hpaInitialState(), { currentReplicas: 4, value: 0.89 }, cfg, 0).desired, 5);
});

test('scale-up is immediate but bounded by the default policies (max of +4 pods, +100%) per 15 s', () => {
  let state: HpaState = hpaInitialState();
  let d = hpaDecide(state, { currentReplicas: 2, value: 8 }, cfg, 0); // wants 20
  assert.equal(d.desired, 6); // max(2+4, 2×2)
  assert.match(d.reason, /scale-up policy allows 6/);
  state = d.newState;
  d = hpaDecide(state, { currentReplicas: 6, value: 8 }, cfg, 10_000); // same period: period started at 2
  assert.equal(d.desired, 6);
  state = d.newState;
  d = hpaDecide(state, { currentReplicas: 6, value: 8 }, cfg, 16_000);
  assert.equal(d.desired, 12); // max(6+4, 6×2)
});

test('scale-down waits for the 300 s stabilization window (max recommendation over it)', () => {
  let state: HpaState = hpaInitialState();
  let d = hpaDecide(state, { currentReplicas: 10, value: 0.8 }, cfg, 0);
  state = d.newState;
  let t = 0;
  const decisions: number[] = [];
  while (t < 400_000) {
    t += 15_000;
    d = hpaDecide(state, { currentReplicas: 10, value: 0.2 }, cfg, t); // wants 3
    state = d.newState;
    decisions.push(d.desired);
    if (t < 300_000) assert.equal(d.desired, 10, `t=${t}: ${d.reason}`);
  }
  assert.equal(decisions.at(-1), 3);
  assert.match(hpaDecide(hpaInitialState(), { currentReplicas: 10, value: 0.2 }, cfg, 0).reason, /^scaled 10 → 3/);
});

test('stabilization prevents flapping under oscillating load', () => {
  let state: HpaState = hpaInitialState();
  let current = 4;
  let changes = 0;
  let prevDirection = 0;
  let reversals = 0;
  for (let i = 0; i < 40; i++) {
    const value = i % 2 === 0 ? 1.2 : 0.4; // wants 6, then 2, alternately
    const d = hpaDecide(state, { currentReplicas: current, value }, cfg, i * 15_000);
    state = d.newState;
    const dir = Math.sign(d.desired - current);
    if (dir !== 0) {
      changes++;
      if (prevDirection !== 0 && dir !== prevDirection) reversals++;
      prevDirection = dir;
    }
    current = d.desired;
  }
  assert.equal(reversals, 0, 'never scales back down while high recommendations are within the window');
  assert.ok(changes >= 1);
  assert.ok(current >= 6);
});

test('min/max clamps', () => {
  const c = hpaConfig({ target: 0.5, minReplicas: 2, maxReplicas: 5 });
  const up = hpaDecide(hpaInitialState(), { currentReplicas: 4, value: 5 }, c, 0);
  assert.equal(up.desired, 5);
  assert.match(up.reason, /max 5/);
  const noStab: HpaConfig = hpaConfig({ ...c, scaleDown: { stabilizationWindowMs: 0, selectPolicy: 'Max', policies: [] } });
  const down = hpaDecide(hpaInitialState(), { currentReplicas: 4, value: 0.01 }, noStab, 0);
  assert.equal(down.desired, 2);
  assert.match(down.reason, /min 2/);
  assert.equal(hpaDecide(hpaInitialState(), { currentReplicas: 9, value: 0.5 }, c, 0).desired, 5);
});

test('scale-down policies: 50% per minute', () => {
  const c = hpaConfig({ target: 0.8, maxReplicas: 20, scaleDown: { stabilizationWindowMs: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodMs: 60_000 }] } });
  let state = hpaInitialState();
  let d = hpaDecide(state, { currentReplicas: 16, value: 0.05 }, c, 0);
  assert.equal(d.desired, 8);
  state = d.newState;
  d = hpaDecide(state, { currentReplicas: 8, value: 0.05 }, c, 30_000);
  assert.equal(d.desired, 8, d.reason); // already halved in this period
  d = hpaDecide(d.newState, { currentReplicas: 8, value: 0.05 }, c, 61_000);
  assert.equal(d.desired, 4);
});

test('disabled scale-down never shrinks', () => {
  const c = hpaConfig({ target: 0.8, scaleDown: { stabilizationWindowMs: 0, selectPolicy: 'Disabled', policies: [] } });
  assert.equal(hpaDecide(hpaInitialState(), { currentReplicas: 6, value: 0.1 }, c, 0).desired, 6);
});

test('missing metric holds; zero replicas starts the minimum', () => {
  assert.match(hpaDecide(hpaInitialState(), { currentReplicas: 3, value: undefined }, cfg, 0).reason, /^holding at 3: no cpu metric/);
  assert.equal(hpaDecide(hpaInitialState(), { currentReplicas: 0, value: 0.5 }, hpaConfig({ target: 1, minReplicas: 2 }), 0).desired, 2);
});

test('config validation names the field', () => {
  assert.throws(() => hpaConfig({ target: 0 }), /hpa config target/);
  assert.throws(() => hpaConfig({ target: 1, minReplicas: 0 }), /minReplicas/);
  assert.throws(() => hpaConfig({ target: 1, minReplicas: 5, maxReplicas: 2 }), /maxReplicas/);
});
