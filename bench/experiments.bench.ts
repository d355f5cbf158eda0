// Search algorithms benchmark: Branin (2-D) and Hartmann-6 with a fixed budget of trials and 20
// seeds per algorithm: best value found vs the known optimum, and how many trials each needs to
// reach random search's final best (the baseline, run in the same process). Then the latency of
// one suggestion with 1,000 finished trials in the history. Prints a table, then one JSON line.
import os from 'node:os';
import { ALGORITHMS, type AlgorithmName } from '../src/tuning/algorithms.js';
import { BRANIN, HARTMANN6, bestSoFarCurve, type BenchmarkFunction } from '../src/tuning/benchmark-functions.js';
import type { ParameterSpec } from '../src/tuning/search-space.js';
import type { Observation } from '../src/tuning/suggestion.js';

const SEEDS = 20;
const CASES: Array<{ fn: BenchmarkFunction; budget: number; gridSteps: number }> = [
  { fn: BRANIN, budget: 60, gridSteps: 8 },
  { fn: HARTMANN6, budget: 100, gridSteps: 2 },
];
const ALGOS: AlgorithmName[] = ['random', 'grid', 'tpe', 'bayesianoptimization'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// Grid search needs steps: the grid with `steps` values per parameter, cell centres, so it never sits on the bounds only.
function gridSpace(space: ParameterSpec[], steps: number): ParameterSpec[] {
  return space.map((p) => {
    const w = (p.max! - p.min!) / steps;
    return { ...p, min: p.min! + w / 2, max: p.max! - w / 2 + 1e-9, step: w };
  });
}

interface Row { fn: string; algorithm: string; budget: number; medianBest: number; medianGap: number; p90Gap: number; trialsToRandomBest: number | null; reachedRandomBest: number; ms: number }
const rows: Row[] = [];
const started = Date.now();
for (const c of CASES) {
  const curves: Record<string, number[][]> = {};
  for (const algo of ALGOS) {
    const t0 = Date.now();
    const space = algo === 'grid' ? gridSpace(c.fn.space, c.gridSteps) : c.fn.space;
    curves[algo] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      curves[algo]!.push(
        bestSoFarCurve(
          c.fn,
          (history) => ALGORITHMS[algo]({ space, history, count: 1, seed, goal: 'minimize' }).assignments[0] ?? history[history.length - 1]!.assignment,
          c.budget,
        ),
      );
    }
    const finals = curves[algo]!.map((cv) => cv[cv.length - 1]!);
    const gaps = finals.map((f) => f - c.fn.minimum);
    // Per seed: the first trial at which this algorithm's best reached random search's final best of the same seed.
    const reach = curves[algo]!.map((cv, s) => {
      const target = curves.random![s]![c.budget - 1]!;
      const i = cv.findIndex((v) => v <= target);
      return i < 0 ? undefined : i + 1;
    });
    const reached = reach.filter((x): x is number => x !== undefined);
    rows.push({
      fn: c.fn.name,
      algorithm: algo,
      budget: c.budget,
      medianBest: median(finals),
      medianGap: median(gaps),
      p90Gap: [...gaps].sort((a, b) => a - b)[Math.floor(0.9 * (gaps.length - 1))]!,
      trialsToRandomBest: reached.length > SEEDS / 2 ? median(reach.map((x) => x ?? Infinity)) : null,
      reachedRandomBest: reached.length,
      ms: Date.now() - t0,
    });
  }
}

// Latency: 1,000 finished random trials on Hartmann-6, then one suggestion, median of 15 calls.
const history: Observation[] = [];
for (let i = 0; i < 1000; i++) {
  const a = ALGORITHMS.random({ space: HARTMANN6.space, history, count: 1, seed: 7, goal: 'minimize' }).assignments[0]!;
  history.push({ assignment: a, state: 'completed', value: HARTMANN6.f(Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Number(v)]))) });
}
const gridHistory: Observation[] = history.slice(0, 0);
const gSpace = gridSpace(HARTMANN6.space, 4);
for (let i = 0; i < 1000; i++) {
  const a = ALGORITHMS.grid({ space: gSpace, history: gridHistory, count: 1, seed: 7, goal: 'minimize' }).assignments[0]!;
  gridHistory.push({ assignment: a, state: 'completed', value: 0 });
}
const latency: Record<string, { medianMs: number; maxMs: number }> = {};
for (const algo of ALGOS) {
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    ALGORITHMS[algo]({ space: algo === 'grid' ? gSpace : HARTMANN6.space, history: algo === 'grid' ? gridHistory : history, count: 1, seed: 100 + i, goal: 'minimize' });
    times.push(performance.now() - t0);
  }
  latency[algo] = { medianMs: median(times), maxMs: Math.max(...times) };
}

const fmt = (x: number) => (Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(4));
console.log(`search algorithms, ${SEEDS} seeds each (loadavg ${os.loadavg()[0].toFixed(1)}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
console.log('function   algorithm             budget  median best  median gap  p90 gap    trials to random\'s final best (median; seeds that reached it)');
for (const r of rows) {
  console.log(`${r.fn.padEnd(10)} ${r.algorithm.padEnd(21)} ${String(r.budget).padStart(6)}  ${fmt(r.medianBest).padStart(11)}  ${fmt(r.medianGap).padStart(10)}  ${fmt(r.p90Gap).padStart(9)}  ${r.trialsToRandomBest === null ? '—' : String(r.trialsToRandomBest)} (${r.reachedRandomBest}/${SEEDS})`);
}
console.log('\nsuggestion latency with 1,000 finished trials (Hartmann-6; grid over a 4^6 grid), median of 15 calls');
for (const [a, l] of Object.entries(latency)) console.log(`${a.padEnd(21)} ${l.medianMs.toFixed(2)} ms (max ${l.maxMs.toFixed(2)} ms)`);
const tpeRows = rows.filter((r) => r.algorithm === 'tpe');
const aims = {
  tpeHalfBudget: tpeRows.map((r) => ({ fn: r.fn, trials: r.trialsToRandomBest, budget: r.budget, met: r.trialsToRandomBest !== null && r.trialsToRandomBest <= r.budget / 2 })),
  latencyUnder50ms: Object.values(latency).every((l) => l.medianMs < 50),
};
console.log(JSON.stringify({ bench: 'experiments', loadavg: os.loadavg()[0], seeds: SEEDS, results: rows, latency, aims }));
