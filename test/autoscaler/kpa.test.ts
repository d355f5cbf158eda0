import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kpaConfig, kpaDecide, kpaInitialState } from '../../src/autoscaler/kpa.js';
import type { LoadSample } from '../../src/autoscaler/metric-window.js';
import { simulateKpa } from './kpa-simulation.js';

const base = kpaConfig({ target: 10, targetUtilization: 1 });

/** One sample per second over (from, to] at a constant load. */
function series(from: number, to: number, concurrency: number, rpsPerSample = 0): LoadSample[] {
  const out: LoadSample[] = [];
  for (let t = from + 1000; t <= to; t += 1000) out.push({ t, concurrency, requests: rpsPerSample });
  return out;
}

test('steady load holds the replica count that meets the target', () => {
  const steps = simulateKpa(base, () => 30, { endMs: 180_000, initialReady: 3 });
  for (const s of steps) assert.equal(s.decision.desired, 3, s.decision.reason);
  assert.match(steps.at(-1)!.decision.reason, /^holding at 3: stable, observed concurrency 30 over target 10$/);
});

test('target utilization leaves headroom: 30 in flight at target 10 × 0.7 needs 5 replicas', () => {
  const c = kpaConfig({ target: 10, targetUtilization: 0.7 });
  const steps = simulateKpa(c, () => 30, { endMs: 120_000, initialReady: 1 });
  assert.equal(steps.at(-1)!.decision.desired, 5);
});

test('a step from 1 to 64 concurrency panics within the panic window and reaches 7 replicas', () => {
  const steps = simulateKpa(base, (t) => (t <= 70_000 ? 1 : 64), { endMs: 80_000 });
  const before = steps.filter((s) => s.t <= 70_000);
  assert.ok(before.every((s) => s.decision.desired === 1 && !s.decision.observed.panicking));
  const first = steps.find((s) => s.t === 72_000)!;
  assert.equal(first.decision.desired, 3);
  assert.equal(first.decision.reason, 'scaled 1 → 3: panic, observed concurrency 22 over target 10');
  assert.ok(first.decision.observed.panicking);
  // The panic window is 6 s: once it is full of the new load the count is ceil(64 / 10).
  assert.equal(steps.find((s) => s.t === 76_000)!.decision.desired, 7);
  // The stable window alone would still want only 1 replica at that time.
  assert.ok(steps.find((s) => s.t === 76_000)!.decision.observed.stable < 10);
});

test('no scale-down while panicking; panic lasts a stable window after the last surge', () => {
  const steps = simulateKpa(base, (t) => (t > 70_000 && t <= 80_000 ? 64 : 1), { endMs: 200_000 });
  const peakAt = steps.findIndex((s) => s.decision.desired === 7);
  assert.ok(peakAt > 0);
  let lastOver = 0;
  for (const s of steps) if (s.decision.observed.panic / 10 / Math.max(1, s.ready) >= 2) lastOver = s.t;
  for (const s of steps.slice(peakAt)) {
    if (s.t <= lastOver + base.stableWindowMs) {
      assert.equal(s.decision.desired, 7, `at ${s.t}: ${s.decision.reason}`);
      assert.ok(s.decision.observed.panicking);
    }
  }
  assert.ok(steps.some((s) => /not scaling down to \d+ while panicking/.test(s.decision.reason)));
  const after = steps.filter((s) => s.t > lastOver + base.stableWindowMs + 2000);
  assert.ok(after.length > 0 && after.every((s) => !s.decision.observed.panicking));
  assert.equal(steps.at(-1)!.decision.desired, 1);
});

test('scale-down is bounded by max scale-down rate (halving per decision)', () => {
  let state = kpaInitialState(base, 1, 0); // not panicking
  let ready = 16;
  const seen: number[] = [];
  let t = 60_000;
  state = kpaDecide(state, series(0, t, 0), base, t, ready).newState;
  state = { ...state, lastDesired: 16 };
  for (let i = 0; i < 5; i++) {
    t += 2000;
    const d = kpaDecide(state, series(t - 2000, t, 0), base, t, ready);
    state = d.newState;
    seen.push(d.desired);
    if (i === 0) assert.match(d.reason, /^scaled 16 → 8: stable, observed concurrency 0 over target 10 \(scale-down limited to ÷2 per step\)$/);
    ready = d.desired;
  }
  assert.deepEqual(seen, [8, 4, 2, 1, 1]);
});

test('scale to zero happens only after the stable window drains and the grace period passes', () => {
  const lastLoadAt = 30_000;
  const steps = simulateKpa(base, (t) => (t <= lastLoadAt ? 5 : 0), { endMs: 200_000 });
  const firstZero = steps.find((s) => s.decision.desired === 0)!;
  assert.ok(firstZero, 'eventually scales to zero');
  // Stable window (60 s) must average to zero, then 30 s of grace.
  assert.ok(firstZero.t >= lastLoadAt + base.stableWindowMs + base.scaleToZeroGracePeriodMs, `zero at ${firstZero.t}`);
  assert.ok(firstZero.t <= lastLoadAt + base.stableWindowMs + base.scaleToZeroGracePeriodMs + 4000, `zero at ${firstZero.t}`);
  assert.ok(steps.filter((s) => s.t < firstZero.t).every((s) => s.decision.desired === 1));
  assert.ok(steps.some((s) => /grace before scaling to zero/.test(s.decision.reason)));
  assert.ok(steps.filter((s) => s.t >= firstZero.t).every((s) => s.decision.desired === 0));
});

test('minReplicas 1 never scales to zero', () => {
  const c = kpaConfig({ target: 10, targetUtilization: 1, minReplicas: 1 });
  const steps = simulateKpa(c, (t) => (t <= 10_000 ? 5 : 0), { endMs: 300_000 });
  assert.ok(steps.every((s) => s.decision.desired === 1));
});

test('waking from zero: queued demand scales up, at least activationScale', () => {
  const c = kpaConfig({ target: 10, targetUtilization: 1, activationScale: 3 });
  let state = kpaInitialState(c, 0, 0);
  let d = kpaDecide(state, series(0, 100_000, 0), c, 100_000, 0);
  assert.equal(d.desired, 0);
  state = d.newState;
  d = kpaDecide(state, [{ t: 101_000, concurrency: 2, requests: 2 }], c, 102_000, 0);
  assert.equal(d.desired, 3);
  assert.match(d.reason, /^scaled 0 → 3: stable, observed concurrency 0.03 over target 10$/);
  // A burst of queued requests against zero replicas is a panic (ready counts as 1 for the threshold).
  d = kpaDecide(d.newState, series(102_000, 108_000, 30), c, 108_000, 0);
  assert.equal(d.reason, 'holding at 3: panic, observed concurrency 30 over target 10');
  assert.ok(d.observed.panicking);
});

test('max replicas clamps the panic count and says so', () => {
  const c = kpaConfig({ target: 10, targetUtilization: 1, maxReplicas: 5 });
  const steps = simulateKpa(c, (t) => (t <= 20_000 ? 1 : 64), { endMs: 40_000 });
  assert.ok(steps.every((s) => s.decision.desired <= 5));
  assert.equal(steps.at(-1)!.decision.desired, 5);
  assert.match(steps.at(-1)!.decision.reason, /max 5/);
});

test('max scale-up rate limits growth relative to ready replicas', () => {
  const c = kpaConfig({ target: 1, targetUtilization: 1, maxScaleUpRate: 2 });
  const d = kpaDecide(kpaInitialState(c, 2, 0), series(0, 10_000, 100), c, 10_000, 2);
  assert.equal(d.desired, 4);
  assert.match(d.reason, /scale-up limited to ×2 per step/);
});

test('scale-down delay keeps the highest recent decision for the delay', () => {
  const c = kpaConfig({ target: 10, targetUtilization: 1, scaleDownDelayMs: 20_000, stableWindowMs: 6000, panicWindowPercent: 50 });
  const steps = simulateKpa(c, (t) => (t <= 30_000 ? 40 : 10), { endMs: 80_000, initialReady: 4 });
  // The last decision that wanted 4 replicas was at 30 s: nothing lower may happen before 30 s + 20 s.
  const firstLower = steps.find((s) => s.decision.desired < 4)!;
  assert.equal(firstLower.t, 50_000, firstLower.decision.reason);
  assert.ok(steps.some((s) => /delayed 20 s/.test(s.decision.reason)));
});

test('rps metric scales on requests per second', () => {
  const c = kpaConfig({ metric: 'rps', target: 50, targetUtilization: 1 });
  // 200 requests per 1 s sample = 200 rps → 4 replicas
  const d = kpaDecide(kpaInitialState(c, 4, 0), series(0, 60_000, 0, 200), c, 60_000, 4);
  assert.equal(d.desired, 4);
  assert.match(d.reason, /observed rps 200 over target 50/);
});

test('no data holds the current count', () => {
  const d = kpaDecide(kpaInitialState(base, 3, 0), [], base, 5000, 3);
  assert.equal(d.desired, 3);
  assert.match(d.reason, /^holding at 3: no concurrency data/);
});

test('config validation names the field', () => {
  assert.throws(() => kpaConfig({ target: 0 }), /kpa config target must be > 0/);
  assert.throws(() => kpaConfig({ minReplicas: 3, maxReplicas: 2 }), /maxReplicas/);
  assert.throws(() => kpaConfig({ targetUtilization: 1.5 }), /targetUtilization/);
});
