/** Pure: standard test functions for optimizers with their known global minima (Surjanovic & Bingham's library). */
import type { ParameterSpec } from './search-space.js';

/** A test function over named parameters, its space and its known global minimum. */
export interface BenchmarkFunction {
  name: string;
  space: ParameterSpec[];
  minimum: number;
  f: (x: Record<string, number>) => number;
}

/** Branin-Hoo on x1 ∈ [-5, 10], x2 ∈ [0, 15]; minimum 0.397887 at three points. */
export const BRANIN: BenchmarkFunction = {
  name: 'branin',
  space: [
    { name: 'x1', type: 'double', min: -5, max: 10 },
    { name: 'x2', type: 'double', min: 0, max: 15 },
  ],
  minimum: 0.397887,
  f: ({ x1, x2 }) => {
    const a = 1;
    const b = 5.1 / (4 * Math.PI * Math.PI);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return a * (x2! - b * x1! * x1! + c * x1! - 6) ** 2 + 10 * (1 - t) * Math.cos(x1!) + 10;
  },
};

const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));
const H6_ALPHA = [1, 1.2, 3, 3.2];

/** Hartmann 6-D on [0, 1]^6; minimum -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573). */
export const HARTMANN6: BenchmarkFunction = {
  name: 'hartmann6',
  space: Array.from({ length: 6 }, (_, i) => ({ name: `x${i + 1}`, type: 'double' as const, min: 0, max: 1 })),
  minimum: -3.32237,
  f: (x) => {
    const v = [x.x1!, x.x2!, x.x3!, x.x4!, x.x5!, x.x6!];
    let s = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H6_A[i]![j]! * (v[j]! - H6_P[i]![j]!) ** 2;
      s += H6_ALPHA[i]! * Math.exp(-inner);
    }
    return -s;
  },
};

/** Runs an algorithm sequentially for `budget` trials on a function; returns the best value after each trial. */
export function bestSoFarCurve(fn: BenchmarkFunction, suggest: (history: Array<{ assignment: Record<string, string>; state: 'completed'; value: number }>) => Record<string, string>, budget: number): number[] {
  const history: Array<{ assignment: Record<string, string>; state: 'completed'; value: number }> = [];
  const curve: number[] = [];
  let best = Infinity;
  for (let i = 0; i < budget; i++) {
    const a = suggest(history);
    const value = fn.f(Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Number(v)])));
    history.push({ assignment: a, state: 'completed', value });
    best = Math.min(best, value);
    curve.push(best);
  }
  return curve;
}
