import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { kpaConfig, kpaDecide, kpaInitialState, type KpaConfig, type KpaDecision } from '../../src/autoscaler/kpa.js';
import { hpaConfig, hpaDecide, hpaInitialState, type HpaConfig } from '../../src/autoscaler/hpa.js';

const kpaConfigArb = fc
  .record({
    metric: fc.constantFrom('concurrency' as const, 'rps' as const),
    target: fc.integer({ min: 1, max: 200 }),
    targetUtilization: fc.double({ min: 0.1, max: 1, noNaN: true }),
    minReplicas: fc.integer({ min: 0, max: 5 }),
    extra: fc.integer({ min: 0, max: 30 }),
    unbounded: fc.boolean(),
    activationScale: fc.integer({ min: 1, max: 4 }),
    scaleDownDelayMs: fc.constantFrom(0, 10_000),
    maxScaleDownRate: fc.constantFrom(1.5, 2, 4),
  })
  .map(({ extra, unbounded, ...r }) => kpaConfig({ ...r, maxReplicas: unbounded ? 0 : Math.max(1, r.minReplicas + extra) }));

// Each tick: seconds of load and how far the observed ready count lags.
const loadArb = fc.array(fc.record({ conc: fc.double({ min: 0, max: 500, noNaN: true }), ticks: fc.integer({ min: 1, max: 20 }), lag: fc.boolean() }), { minLength: 1, maxLength: 25 });

function runKpa(config: KpaConfig, load: Array<{ conc: number; ticks: number; lag: boolean }>): KpaDecision[] {
  let t = 0;
  let ready = 1;
  let state = kpaInitialState(config, ready, t);
  const out: KpaDecision[] = [];
  for (const seg of load) {
    for (let i = 0; i < seg.ticks; i++) {
      t += 2000;
      const samples = [
        { t: t - 1000, concurrency: seg.conc, requests: seg.conc * 3 },
        { t, concurrency: seg.conc, requests: seg.conc * 3 },
      ];
      const d = kpaDecide(state, samples, config, t, ready);
      out.push(d);
      state = d.newState;
      if (!seg.lag) ready = d.desired;
    }
    ready = out.at(-1)!.desired;
  }
  return out;
}

test('KPA: desired always within [min, max] (zero only when minReplicas is 0)', () => {
  fc.assert(
    fc.property(kpaConfigArb, loadArb, (config, load) => {
      for (const d of runKpa(config, load)) {
        assert.ok(Number.isInteger(d.desired), d.reason);
        assert.ok(d.desired >= config.minReplicas, d.reason);
        if (config.maxReplicas > 0) assert.ok(d.desired <= config.maxReplicas, d.reason);
        if (d.desired === 0) assert.equal(config.minReplicas, 0);
      }
    }),
    { numRuns: 150 },
  );
});

test('KPA: deterministic — same inputs, same decisions and reasons', () => {
  fc.assert(
    fc.property(kpaConfigArb, loadArb, (config, load) => {
      assert.deepEqual(runKpa(config, load), runKpa(config, load));
    }),
    { numRuns: 60 },
  );
});

test('KPA: never lowers its decision while it stays in panic', () => {
  fc.assert(
    fc.property(kpaConfigArb, loadArb, (config, load) => {
      const ds = runKpa(config, load);
      for (let i = 1; i < ds.length; i++) {
        if (ds[i - 1].observed.panicking && ds[i].observed.panicking) assert.ok(ds[i].desired >= ds[i - 1].desired, ds[i].reason);
      }
    }),
    { numRuns: 150 },
  );
});

const hpaConfigArb = fc
  .record({ min: fc.integer({ min: 1, max: 5 }), extra: fc.integer({ min: 0, max: 30 }), target: fc.double({ min: 0.05, max: 2, noNaN: true }), tolerance: fc.constantFrom(0, 0.1, 0.2), stab: fc.constantFrom(0, 60_000, 300_000) })
  .map((r): HpaConfig => hpaConfig({ target: r.target, tolerance: r.tolerance, minReplicas: r.min, maxReplicas: r.min + r.extra, scaleDown: { stabilizationWindowMs: r.stab, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodMs: 15_000 }] } }));

test('HPA: desired within [min, max] and deterministic', () => {
  fc.assert(
    fc.property(hpaConfigArb, fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (config, values, start) => {
      const run = (): number[] => {
        let state = hpaInitialState();
        let current = start;
        const out: number[] = [];
        values.forEach((value, i) => {
          const d = hpaDecide(state, { currentReplicas: current, value }, config, i * 15_000);
          assert.ok(d.desired >= config.minReplicas && d.desired <= config.maxReplicas, `${d.reason} (current ${current})`);
          state = d.newState;
          current = d.desired;
          out.push(d.desired);
        });
        return out;
      };
      assert.deepEqual(run(), run());
    }),
    { numRuns: 200 },
  );
});
