// The faster victim search (allocation-free shares, one-pass quota bound, memo of failed searches
// on an unchanged state) must choose exactly what the search before issue 21 chose. The old search
// is kept verbatim in oracle/preemption-search.ts; here both run on the same random states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addWorkload, createSchedulerState, removeWorkload, runAdmissionCycle, evictWorkload } from '../../src/scheduler/index.js';
import { findVictims } from '../../src/scheduler/preemption.js';
import { NOFIT, podSetCombos } from '../../src/scheduler/flavor-assign.js';
import { comboNever } from '../../src/scheduler/diagnose.js';
import type { SchedulerState, WlState } from '../../src/scheduler/internal-types.js';
import type { PlacementStrategy, SchedulerSnapshot, Workload } from '../../src/scheduler/types.js';
import { oracleFindVictims } from './oracle/preemption-search.js';

const GPU = 'nvidia.com/gpu';
const arbQueue = fc.record({
  a: fc.integer({ min: 0, max: 12 }), b: fc.integer({ min: 0, max: 12 }),
  borrow: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }), lend: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
  cohort: fc.boolean(), weight: fc.constantFrom(1, 1, 2, 0),
  within: fc.constantFrom('Never', 'LowerPriority', 'LowerOrNewerEqualPriority') as fc.Arbitrary<'Never' | 'LowerPriority' | 'LowerOrNewerEqualPriority'>,
  reclaim: fc.constantFrom('Never', 'LowerPriority', 'Any') as fc.Arbitrary<'Never' | 'LowerPriority' | 'Any'>,
  bwc: fc.boolean(),
});
const arbJob = fc.record({
  q: fc.integer({ min: 0, max: 2 }), gpus: fc.integer({ min: 0, max: 4 }), cpu: fc.integer({ min: 0, max: 3 }),
  count: fc.integer({ min: 1, max: 3 }), priority: fc.integer({ min: 0, max: 3 }), created: fc.integer({ min: 0, max: 50 }),
  extra: fc.option(fc.record({ gpus: fc.integer({ min: 0, max: 2 }), count: fc.integer({ min: 1, max: 2 }) }), { nil: undefined, freq: 5 }),
});
const arbWorld = fc.record({
  nodes: fc.array(fc.record({ gpus: fc.integer({ min: 0, max: 8 }), cpu: fc.integer({ min: 4, max: 16 }), model: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 6 }),
  queues: fc.array(arbQueue, { minLength: 1, maxLength: 3 }),
  wave1: fc.array(arbJob, { maxLength: 20 }),
  wave2: fc.array(arbJob, { minLength: 1, maxLength: 12 }),
  placement: fc.constantFrom('binpack', 'spread', 'topology') as fc.Arbitrary<PlacementStrategy>,
  fairSharing: fc.boolean(),
});
type World = typeof arbWorld extends fc.Arbitrary<infer T> ? T : never;

function jobs(w: World, list: World['wave1'], prefix: string): Workload[] {
  return list.map((j, i) => ({
    namespace: 'ns', name: `${prefix}${i}`, queueName: `q${j.q % w.queues.length}`, priority: j.priority, creationTimestamp: j.created,
    podSets: [
      { name: 'p', count: j.count, requests: { cpu: j.cpu * 1000, [GPU]: j.gpus } },
      ...(j.extra ? [{ name: 'x', count: j.extra.count, requests: { cpu: 500, [GPU]: j.extra.gpus } }] : []),
    ],
  }));
}

function snapshotOf(w: World): SchedulerSnapshot {
  return {
    resourceFlavors: [{ name: 'a', nodeLabels: { model: 'a' } }, { name: 'b', nodeLabels: { model: 'b' } }],
    clusterQueues: w.queues.map((q, i) => ({
      name: `q${i}`, cohort: q.cohort ? 'org' : undefined, fairSharing: { weight: q.weight },
      preemption: { withinClusterQueue: q.within, reclaimWithinCohort: q.reclaim, borrowWithinCohort: q.bwc ? { policy: 'LowerPriority', maxPriorityThreshold: 2 } : undefined },
      resourceGroups: [{ coveredResources: ['cpu', GPU], flavors: (['a', 'b'] as const).map((f) => ({
        name: f, resources: [{ name: 'cpu', nominalQuota: 32_000 }, { name: GPU, nominalQuota: q[f], borrowingLimit: q.borrow, lendingLimit: q.lend }],
      })) }],
    })),
    localQueues: w.queues.map((_, i) => ({ namespace: 'ns', name: `q${i}`, clusterQueue: `q${i}` })),
    nodes: w.nodes.map((n, i) => ({ name: `n${i}`, labels: { model: n.model }, allocatable: { cpu: n.cpu * 1000, [GPU]: n.gpus } })),
    workloads: jobs(w, w.wave1, 'a'),
  };
}

/** Free capacity and GPU lists of every node, and every queue's usage: what a search must leave as it found it. */
function fingerprint(state: SchedulerState): string {
  return JSON.stringify([state.nodes.map((n) => [[...n.free], n.gpuFree]), state.cqs.map((q) => [...q.usage])]);
}

function allPending(state: SchedulerState): WlState[] {
  return state.cqs.flatMap((cq) => cq.pending);
}

test('victim search: same victims, reasons and failure kind as the pre-issue-21 search, state left unchanged', () => {
  let searched = 0;
  let withVictims = 0;
  fc.assert(fc.property(arbWorld, (w) => {
    const state = createSchedulerState(snapshotOf(w), { placement: w.placement, fairSharing: w.fairSharing, explain: false });
    runAdmissionCycle(state, 100);
    for (const j of jobs(w, w.wave2, 'b')) addWorkload(state, j);
    for (const ws of allPending(state)) {
      const cq = ws.cq;
      if (!cq || ws.podSets.length !== 1) continue;
      const combos = podSetCombos(state, cq, ws.podSets[0], new Map());
      if (!Array.isArray(combos)) continue;
      const target = combos.find((c) => c.mode !== NOFIT && comboNever(state, cq, ws.podSets[0], c, new Map()) === undefined);
      if (!target) continue;
      const alternatives = combos.filter((c) => c !== target && c.mode !== NOFIT && comboNever(state, cq, ws.podSets[0], c, new Map()) === undefined);
      const before = fingerprint(state);
      const got = findVictims(state, ws, cq, [target], undefined, alternatives);
      assert.equal(fingerprint(state), before, 'the search left the state as it found it');
      const want = oracleFindVictims(state, ws, cq, [target], undefined, alternatives);
      const show = (r: typeof got) => Array.isArray(r) ? r.map((v) => `${v.victim.wl.name}:${v.reason}`) : r.blocked;
      assert.deepEqual(show(got), show(want));
      searched++;
      if (Array.isArray(got)) withVictims++;
    }
  }), { numRuns: 300, seed: 21 });
  // The generator must exercise both outcomes, or the comparison says little.
  assert.ok(searched > 200 && withVictims > 20, `searched ${searched}, with victims ${withVictims}`);
});

test('memo of failed searches: cycle by cycle the same decisions as searching every time', () => {
  fc.assert(fc.property(arbWorld, fc.array(fc.integer({ min: 0, max: 99 }), { minLength: 4, maxLength: 12 }), (w, events) => {
    const opts = { placement: w.placement, fairSharing: w.fairSharing, explain: true };
    const memo = createSchedulerState(snapshotOf(w), opts);
    const full = createSchedulerState(snapshotOf(w), opts);
    full.searchMemo = false;
    const extra = jobs(w, w.wave2, 'b');
    let now = 100;
    for (const e of events) {
      const a = runAdmissionCycle(memo, now);
      const b = runAdmissionCycle(full, now);
      assert.deepEqual(a, b, `cycle at ${now}`);
      now += 10;
      // Between cycles: a victim goes, a workload finishes, one arrives, or nothing happens (the memo's case).
      for (const st of [memo, full]) {
        for (const p of a.preemptions) evictWorkload(st, p.namespace, p.name);
        const admitted = st.cqs.flatMap((cq) => [...cq.admittedSet]).sort((x, y) => x.seq - y.seq);
        if (e % 4 === 0 && admitted.length > 0) removeWorkload(st, 'ns', admitted[e % admitted.length].wl.name);
        if (e % 4 === 1 && extra.length > 0) addWorkload(st, extra[e % extra.length]);
      }
      if (e % 4 === 1 && extra.length > 0) extra.splice(e % extra.length, 1);
    }
  }), { numRuns: 200, seed: 2121 });
});
