/** Test driver: feeds a synthetic load series to kpaDecide every tick, with replicas following decisions immediately (or after a lag). */
import { kpaDecide, kpaInitialState, type KpaConfig, type KpaDecision } from '../../src/autoscaler/kpa.js';
import type { LoadSample } from '../../src/autoscaler/metric-window.js';

/** One simulated tick. */
export interface SimStep {
  t: number;
  ready: number;
  decision: KpaDecision;
}

/** Runs from `startMs` to `endMs`; `load(t)` gives total concurrency at second t; one sample per second, a decision every `tickMs`. */
export function simulateKpa(
  config: KpaConfig,
  load: (t: number) => number,
  opts: { startMs?: number; endMs: number; tickMs?: number; initialReady?: number; readyLagTicks?: number },
): SimStep[] {
  const tickMs = opts.tickMs ?? 2000;
  let ready = opts.initialReady ?? 1;
  let t = opts.startMs ?? 0;
  let state = kpaInitialState(config, ready, t);
  const pendingReady: number[] = [];
  const steps: SimStep[] = [];
  let lastSampleT = t;
  while (t < opts.endMs) {
    t += tickMs;
    const samples: LoadSample[] = [];
    for (let s = lastSampleT + 1000; s <= t; s += 1000) {
      const c = load(s);
      samples.push({ t: s, concurrency: c, requests: c * 10 });
    }
    lastSampleT = t;
    const decision = kpaDecide(state, samples, config, t, ready);
    state = decision.newState;
    steps.push({ t, ready, decision });
    pendingReady.push(decision.desired);
    if (pendingReady.length > (opts.readyLagTicks ?? 0)) ready = pendingReady.shift() as number;
  }
  return steps;
}
