/** The search algorithms against published behaviour: grid enumerates exactly, random is uniform and reproducible, TPE and GP find Branin's and Hartmann-6's known optima far better than random in the same budget. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALGORITHMS, algorithmProblems, type AlgorithmName } from '../../src/tuning/algorithms.js';
import { BRANIN, HARTMANN6, bestSoFarCurve } from '../../src/tuning/benchmark-functions.js';
import { decodeValue, encodeValue, spaceProblems, type ParameterSpec } from '../../src/tuning/search-space.js';
import type { Observation } from '../../src/tuning/suggestion.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function finalBests(algo: AlgorithmName, fn: typeof BRANIN, budget: number, seeds: number[]): number[] {
  return seeds.map((seed) => {
    const curve = bestSoFarCurve(fn, (history) => ALGORITHMS[algo]({ space: fn.space, history, count: 1, seed, goal: 'minimize' }).assignments[0]!, budget);
    return curve[curve.length - 1]!;
  });
}

test('the benchmark functions have their published minima', () => {
  for (const [x1, x2] of [[-Math.PI, 12.275], [Math.PI, 2.275], [9.42478, 2.475]]) assert.ok(Math.abs(BRANIN.f({ x1: x1!, x2: x2! }) - 0.397887) < 1e-5);
  const h = HARTMANN6.f({ x1: 0.20169, x2: 0.150011, x3: 0.476874, x4: 0.275332, x5: 0.311652, x6: 0.6573 });
  assert.ok(Math.abs(h - -3.32237) < 1e-4, String(h));
});

test('grid enumerates every combination exactly once, in order, then says exhausted', () => {
  const space: ParameterSpec[] = [
    { name: 'lr', type: 'double', min: 0.1, max: 0.3, step: 0.1 },
    { name: 'layers', type: 'int', min: 1, max: 2 },
    { name: 'opt', type: 'categorical', list: ['sgd', 'adam'] },
  ];
  const history: Observation[] = [];
  const seen: string[] = [];
  for (;;) {
    const r = ALGORITHMS.grid({ space, history, count: 5, seed: 1, goal: 'maximize' });
    for (const a of r.assignments) {
      seen.push(`${a.lr}/${a.layers}/${a.opt}`);
      history.push({ assignment: a, state: 'pending' });
    }
    if (r.exhausted) break;
  }
  assert.equal(seen.length, 12);
  assert.equal(new Set(seen).size, 12);
  assert.deepEqual(seen.slice(0, 5), ['0.1/1/sgd', '0.1/1/adam', '0.1/2/sgd', '0.1/2/adam', '0.2/1/sgd']);
  assert.equal(seen[11], '0.3/2/adam');
  // Float steps give clean values, and a grid without step for a double is refused.
  assert.deepEqual(seen.map((s) => s.split('/')[0]).filter((v, i, a) => a.indexOf(v) === i), ['0.1', '0.2', '0.3']);
  assert.match(algorithmProblems('grid', {}, [{ name: 'x', type: 'double', min: 0, max: 1 }])[0]![1], /step/);
  // A combination a user already ran is skipped.
  const again = ALGORITHMS.grid({ space, history: [{ assignment: { lr: '0.1', layers: '1', opt: 'sgd' }, state: 'completed', value: 1 }], count: 1, seed: 1, goal: 'maximize' });
  assert.deepEqual(again.assignments[0], { lr: '0.1', layers: '1', opt: 'adam' });
});

test('random search is reproducible, stays in the space and follows the log scale', () => {
  const space: ParameterSpec[] = [
    { name: 'lr', type: 'double', min: 1e-4, max: 1, log: true },
    { name: 'hidden', type: 'int', min: 16, max: 128 },
    { name: 'act', type: 'categorical', list: ['relu', 'tanh'] },
  ];
  const req = { space, history: [] as Observation[], count: 400, seed: 42, goal: 'minimize' as const };
  const a = ALGORITHMS.random(req).assignments;
  assert.deepEqual(ALGORITHMS.random(req).assignments, a);
  assert.notDeepEqual(ALGORITHMS.random({ ...req, seed: 43 }).assignments, a);
  for (const x of a) {
    assert.ok(Number(x.lr) >= 1e-4 && Number(x.lr) <= 1);
    assert.ok(Number.isInteger(Number(x.hidden)) && Number(x.hidden) >= 16 && Number(x.hidden) <= 128);
    assert.ok(x.act === 'relu' || x.act === 'tanh');
  }
  // Log-uniform on [1e-4, 1]: the median is near 1e-2 (uniform would put it near 0.5).
  const med = median(a.map((x) => Number(x.lr)));
  assert.ok(med > 3e-3 && med < 3e-2, `median lr ${med}`);
  // Trial i does not depend on how many were asked at once.
  const one = ALGORITHMS.random({ ...req, count: 1, history: a.slice(0, 7).map((x) => ({ assignment: x, state: 'pending' as const })) }).assignments[0];
  assert.deepEqual(one, a[7]);
});

test('encoding round-trips every parameter type; bad spaces are named', () => {
  const ps: ParameterSpec[] = [
    { name: 'a', type: 'int', min: -3, max: 4 },
    { name: 'b', type: 'discrete', list: ['0.5', '1', '2'] },
    { name: 'c', type: 'categorical', list: ['x', 'y'] },
    { name: 'd', type: 'double', min: 0, max: 1, step: 0.25 },
    { name: 'e', type: 'int', min: 1, max: 1000, log: true },
  ];
  for (const p of ps) for (let u = 0; u <= 1; u += 0.01) {
    const v = decodeValue(p, u);
    assert.equal(decodeValue(p, encodeValue(p, v)), v, `${p.name} ${u} ${v}`);
  }
  const problems = spaceProblems([
    { name: 'x', type: 'double', min: 2, max: 1 },
    { name: 'y', type: 'categorical', list: [] },
    { name: 'z', type: 'double', min: 0, max: 1, log: true },
  ]);
  assert.deepEqual(problems.map((p) => p[0]), ['0.feasibleSpace', '1.feasibleSpace.list', '2.feasibleSpace.min']);
});

test('TPE and Bayesian optimization are deterministic and beat random search on Branin', () => {
  const seeds = [1, 2, 3, 4, 5];
  const random = median(finalBests('random', BRANIN, 60, seeds));
  const tpe = finalBests('tpe', BRANIN, 60, seeds);
  const bo = finalBests('bayesianoptimization', BRANIN, 30, seeds.slice(0, 3));
  assert.ok(median(tpe) < random, `TPE ${median(tpe)} vs random ${random}`);
  assert.ok(median(tpe) - BRANIN.minimum < 0.3, `TPE gap ${median(tpe) - BRANIN.minimum}`);
  assert.ok(median(bo) - BRANIN.minimum < 0.1, `GP gap ${median(bo) - BRANIN.minimum} after 30 trials`);
  assert.deepEqual(finalBests('tpe', BRANIN, 60, [1]), [tpe[0]]);
});

test('TPE gets close to Hartmann-6\'s optimum where random search does not', () => {
  const seeds = [1, 2, 3];
  const random = median(finalBests('random', HARTMANN6, 100, seeds));
  const tpe = median(finalBests('tpe', HARTMANN6, 100, seeds));
  assert.ok(tpe < random - 0.3, `TPE ${tpe} vs random ${random}`);
  assert.ok(tpe < -2.6, `TPE best ${tpe} (optimum -3.32237)`);
});

test('model-based algorithms spread parallel suggestions and respect pending trials', () => {
  const history: Observation[] = [];
  for (let i = 0; i < 15; i++) {
    const a = ALGORITHMS.random({ space: BRANIN.space, history, count: 1, seed: 9, goal: 'minimize' }).assignments[0]!;
    history.push({ assignment: a, state: 'completed', value: BRANIN.f({ x1: Number(a.x1), x2: Number(a.x2) }) });
  }
  for (const algo of ['tpe', 'bayesianoptimization'] as const) {
    const r = ALGORITHMS[algo]({ space: BRANIN.space, history, count: 3, seed: 9, goal: 'minimize' });
    assert.equal(new Set(r.assignments.map((a) => `${a.x1},${a.x2}`)).size, 3, algo);
    assert.deepEqual(ALGORITHMS[algo]({ space: BRANIN.space, history, count: 3, seed: 9, goal: 'minimize' }), r, `${algo} is deterministic`);
  }
});

test('settings are checked by name', () => {
  assert.deepEqual(algorithmProblems('tpe', { n_startup_trials: '5', gamma: '0.25' }, BRANIN.space), []);
  assert.deepEqual(algorithmProblems('tpe', { gamma: '2' }, BRANIN.space).map((p) => p[0]), ['gamma']);
  assert.deepEqual(algorithmProblems('random', { n_startup_trials: '5' }, BRANIN.space).map((p) => p[0]), ['n_startup_trials']);
  assert.deepEqual(algorithmProblems('bayesianoptimization', { acq_func: 'pi' }, BRANIN.space).map((p) => p[0]), ['acq_func']);
});
