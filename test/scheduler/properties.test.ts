// Property-based tests: random clusters, queues and workloads, several admission rounds, then the
// invariants every decision must keep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { schedule } from '../../src/scheduler/index.js';
import type { ClusterQueue, PlacementStrategy, ScheduleDecisions, SchedulerSnapshot, Workload } from '../../src/scheduler/types.js';

const GPU = 'nvidia.com/gpu';
const arbQueue = fc.record({
  a: fc.integer({ min: 0, max: 16 }), b: fc.integer({ min: 0, max: 16 }),
  borrow: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }), lend: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
  cohort: fc.boolean(), strict: fc.boolean(),
  within: fc.constantFrom('Never', 'LowerPriority', 'LowerOrNewerEqualPriority') as fc.Arbitrary<'Never' | 'LowerPriority' | 'LowerOrNewerEqualPriority'>,
  reclaim: fc.constantFrom('Never', 'LowerPriority', 'Any') as fc.Arbitrary<'Never' | 'LowerPriority' | 'Any'>,
});
const arbJob = fc.record({
  q: fc.constantFrom(0, 0, 0, 1, 2), gpus: fc.integer({ min: 0, max: 4 }), cpu: fc.integer({ min: 0, max: 2 }),
  count: fc.integer({ min: 1, max: 3 }), priority: fc.integer({ min: 0, max: 3 }), created: fc.integer({ min: 0, max: 50 }),
  // A second podSet makes a gang of two roles (e.g. launcher + workers) that must be admitted together.
  extra: fc.option(fc.record({ gpus: fc.integer({ min: 0, max: 4 }), cpu: fc.integer({ min: 0, max: 2 }), count: fc.integer({ min: 1, max: 3 }) }), { nil: undefined, freq: 4 }),
});
const arbWorld = fc.record({
  nodes: fc.array(fc.record({ gpus: fc.integer({ min: 0, max: 8 }), cpu: fc.integer({ min: 4, max: 32 }), model: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 8 }),
  queues: fc.array(arbQueue, { minLength: 1, maxLength: 3 }),
  wave1: fc.array(arbJob, { maxLength: 25 }),
  wave2: fc.array(arbJob, { maxLength: 15 }),
  placement: fc.constantFrom('binpack', 'spread', 'topology') as fc.Arbitrary<PlacementStrategy>,
  fairSharing: fc.boolean(),
});
type World = typeof arbWorld extends fc.Arbitrary<infer T> ? T : never;

function buildQueues(w: World): ClusterQueue[] {
  return w.queues.map((q, i) => ({
    name: `q${i}`, cohort: q.cohort ? 'org' : undefined, queueingStrategy: q.strict ? 'StrictFIFO' : 'BestEffortFIFO',
    preemption: { withinClusterQueue: q.within, reclaimWithinCohort: q.reclaim },
    resourceGroups: [{ coveredResources: ['cpu', GPU], flavors: (['a', 'b'] as const).map((f) => ({
      name: f, resources: [{ name: 'cpu', nominalQuota: 64_000 }, { name: GPU, nominalQuota: q[f], borrowingLimit: q.borrow, lendingLimit: q.lend }],
    })) }],
  }));
}

function jobs(w: World, list: World['wave1'], prefix: string): Workload[] {
  return list.map((j, i) => ({
    namespace: 'ns', name: `${prefix}${i}`, queueName: `q${j.q % w.queues.length}`, priority: j.priority, creationTimestamp: j.created,
    podSets: [
      { name: 'p', count: j.count, requests: { cpu: j.cpu * 1000, [GPU]: j.gpus } },
      ...(j.extra ? [{ name: 'x', count: j.extra.count, requests: { cpu: j.extra.cpu * 1000, [GPU]: j.extra.gpus } }] : []),
    ],
  }));
}

function baseSnapshot(w: World, workloads: Workload[]): SchedulerSnapshot {
  return {
    resourceFlavors: [{ name: 'a', nodeLabels: { model: 'a' } }, { name: 'b', nodeLabels: { model: 'b' } }],
    clusterQueues: buildQueues(w),
    localQueues: w.queues.map((_, i) => ({ namespace: 'ns', name: `q${i}`, clusterQueue: `q${i}` })),
    nodes: w.nodes.map((n, i) => ({ name: `n${i}`, labels: { model: n.model }, allocatable: { cpu: n.cpu * 1000, [GPU]: n.gpus } })),
    workloads,
  };
}

/** What the admission controller does: record admissions, drop preempted/evicted workloads. */
function applyDecisions(snap: SchedulerSnapshot, d: ScheduleDecisions, now: number): SchedulerSnapshot {
  const adm = new Map(d.admissions.map((a) => [a.name, a.admission]));
  const gone = new Set([...d.preemptions, ...d.evictions].map((p) => p.name));
  return { ...snap, workloads: snap.workloads.filter((x) => !gone.has(x.name)).map((x) => (adm.has(x.name) ? { ...x, status: { admission: adm.get(x.name), admittedAt: now } } : x)) };
}

function checkInvariants(snap: SchedulerSnapshot): void {
  const used = new Map<string, { cpu: number; gpu: number; idx: Set<number> }>();
  const quota = new Map<string, number>();
  for (const w of snap.workloads) {
    const adm = w.status?.admission;
    if (!adm) continue;
    assert.equal(adm.podSetAssignments.length, w.podSets.length, 'every podSet assigned');
    for (const psa of adm.podSetAssignments) {
      const ps = w.podSets.find((p) => p.name === psa.name);
      assert.ok(ps);
      assert.equal(psa.placements?.length, ps.count, `gang ${w.name} fully placed`);
      for (const p of psa.placements ?? []) {
        const node = snap.nodes.find((n) => n.name === p.node);
        assert.equal(node?.labels?.model, psa.flavors[GPU] ?? psa.flavors.cpu ?? node?.labels?.model, `${w.name} placed on a node of another flavor`);
        const u = used.get(p.node) ?? { cpu: 0, gpu: 0, idx: new Set<number>() };
        u.cpu += ps.requests.cpu; u.gpu += ps.requests[GPU] ?? 0;
        assert.equal(p.gpus.length, ps.requests[GPU] ?? 0);
        for (const g of p.gpus) { assert.ok(!u.idx.has(g), `GPU ${g} on ${p.node} assigned twice`); u.idx.add(g); }
        used.set(p.node, u);
      }
      for (const [r, a] of Object.entries(psa.resourceUsage)) {
        const k = `${adm.clusterQueue}|${psa.flavors[r]}|${r}`;
        quota.set(k, (quota.get(k) ?? 0) + a);
      }
    }
  }
  for (const n of snap.nodes) {
    const u = used.get(n.name);
    if (!u) continue;
    assert.ok(u.cpu <= n.allocatable.cpu && u.gpu <= n.allocatable[GPU], `node ${n.name} over capacity`);
    for (const g of u.idx) assert.ok(g >= 0 && g < n.allocatable[GPU], `GPU index ${g} out of range on ${n.name}`);
  }
  const pool = new Map<string, { lendable: number; taken: number }>();
  for (const cq of snap.clusterQueues) for (const fq of cq.resourceGroups[0].flavors) for (const rq of fq.resources) {
    const u = quota.get(`${cq.name}|${fq.name}|${rq.name}`) ?? 0;
    const limit = cq.cohort ? rq.nominalQuota + (rq.borrowingLimit ?? Infinity) : rq.nominalQuota;
    assert.ok(u <= limit, `${cq.name}/${fq.name}/${rq.name}: usage ${u} > allowed ${limit}`);
    if (cq.cohort) {
      const lend = Math.min(rq.nominalQuota, rq.lendingLimit ?? rq.nominalQuota);
      const p = pool.get(`${fq.name}|${rq.name}`) ?? { lendable: 0, taken: 0 };
      p.lendable += lend; p.taken += Math.max(0, u - (rq.nominalQuota - lend));
      pool.set(`${fq.name}|${rq.name}`, p);
    }
  }
  for (const [k, p] of pool) assert.ok(p.taken <= p.lendable, `cohort pool ${k} overdrawn: ${p.taken} > ${p.lendable}`);
}

function checkStrictFifo(snap: SchedulerSnapshot, d: ScheduleDecisions): void {
  const byName = new Map(snap.workloads.map((w) => [w.name, w]));
  const strict = new Set(snap.clusterQueues.filter((q) => q.queueingStrategy === 'StrictFIFO').map((q) => q.name));
  for (const a of d.admissions) {
    if (!strict.has(a.admission.clusterQueue)) continue;
    const aw = byName.get(a.name) as Workload;
    for (const p of d.pending) {
      if (p.clusterQueue !== a.admission.clusterQueue) continue;
      const pw = byName.get(p.name) as Workload;
      const ahead = (pw.priority ?? 0) > (aw.priority ?? 0) || ((pw.priority ?? 0) === (aw.priority ?? 0) && pw.creationTimestamp < aw.creationTimestamp);
      assert.ok(!ahead, `StrictFIFO: ${a.name} admitted while ${p.name} (ahead of it) waits`);
    }
  }
}

test('invariants hold over rounds: quota within borrowing limits, gangs whole, GPUs unique, StrictFIFO order', () => {
  fc.assert(fc.property(arbWorld, (w) => {
    const opts = { placement: w.placement, fairSharing: w.fairSharing };
    let snap = baseSnapshot(w, jobs(w, w.wave1, 'a'));
    let d = schedule(snap, 100, opts);
    checkStrictFifo(snap, d);
    snap = applyDecisions(snap, d, 100);
    checkInvariants(snap);
    snap = { ...snap, workloads: [...snap.workloads, ...jobs(w, w.wave2, 'b')] };
    for (let round = 0; round < 3; round++) {
      d = schedule(snap, 200 + round, opts);
      checkStrictFifo(snap, d);
      snap = applyDecisions(snap, d, 200 + round);
      checkInvariants(snap);
    }
  }), { numRuns: 300 });
});

test('same input gives the same decisions, and the input is not mutated', () => {
  fc.assert(fc.property(arbWorld, (w) => {
    const snap = baseSnapshot(w, [...jobs(w, w.wave1, 'a'), ...jobs(w, w.wave2, 'b')]);
    const before = JSON.stringify(snap);
    const d1 = schedule(snap, 7, { placement: w.placement, fairSharing: w.fairSharing });
    const d2 = schedule(structuredClone(snap), 7, { placement: w.placement, fairSharing: w.fairSharing });
    assert.deepEqual(d1, d2);
    assert.equal(JSON.stringify(snap), before);
  }), { numRuns: 200 });
});

test('preemption frees enough for the preemptor and no victim is superfluous', () => {
  fc.assert(fc.property(arbWorld, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 2 }), (w, gpus, q) => {
    let snap = baseSnapshot(w, jobs(w, w.wave1.map((j) => ({ ...j, priority: Math.min(j.priority, 2) })), 'a'));
    snap = applyDecisions(snap, schedule(snap, 1), 1);
    const pre: Workload = { namespace: 'ns', name: 'boss', queueName: `q${q % w.queues.length}`, priority: 9, creationTimestamp: 99, podSets: [{ name: 'p', count: 1, requests: { cpu: 1000, [GPU]: gpus } }] };
    snap = { ...snap, workloads: [...snap.workloads.filter((x) => x.status?.admission), pre] };
    const d = schedule(snap, 2);
    const victims = d.preemptions.filter((p) => p.preemptor.name === 'boss').map((p) => p.name);
    if (victims.length === 0) return;
    const without = (names: string[]) => ({ ...snap, workloads: snap.workloads.filter((x) => !names.includes(x.name)) });
    const admittedBoss = (s: SchedulerSnapshot) => schedule(s, 3, { preemption: false }).admissions.some((a) => a.name === 'boss');
    assert.ok(admittedBoss(without(victims)), 'victims free enough');
    for (const v of victims) assert.ok(!admittedBoss(without(victims.filter((x) => x !== v))), `victim ${v} was not needed`);
    for (const p of d.preemptions) {
      const vw = snap.workloads.find((x) => x.name === p.name) as Workload;
      if (p.reason === 'InClusterQueue') assert.ok((vw.priority ?? 0) < 9);
    }
  }), { numRuns: 300 });
});

/** Usage per `queue|flavor|resource` of admitted workloads. */
function usageOf(snap: SchedulerSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of snap.workloads) for (const psa of w.status?.admission?.podSetAssignments ?? []) {
    for (const [r, a] of Object.entries(psa.resourceUsage)) {
      const k = `${w.status?.admission?.clusterQueue}|${psa.flavors[r]}|${r}`;
      out.set(k, (out.get(k) ?? 0) + a);
    }
  }
  return out;
}

test('preemption takes the lowest priorities it can: evicting every lower-priority workload than the highest victim would not be enough', () => {
  fc.assert(fc.property(arbWorld, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 2 }), (w0, gpus, q) => {
    // No cohorts: every victim is InClusterQueue and candidates are ordered by priority alone. One
    // podSet each, so every workload holds one flavor; like Kueue, victims are sought on the first
    // flavor where preemption can help, so "lowest" is judged on that flavor.
    const w = { ...w0, queues: w0.queues.map((x) => ({ ...x, cohort: false, within: 'LowerPriority' as const })), wave1: w0.wave1.map((j) => ({ ...j, extra: undefined })) };
    let snap = baseSnapshot(w, jobs(w, w.wave1, 'a'));
    snap = applyDecisions(snap, schedule(snap, 1, { placement: w.placement }), 1);
    const queue = `q${q % w.queues.length}`;
    const pre: Workload = { namespace: 'ns', name: 'boss', queueName: queue, priority: 9, creationTimestamp: 99, podSets: [{ name: 'p', count: 1, requests: { cpu: 1000, [GPU]: gpus } }] };
    snap = { ...snap, workloads: [...snap.workloads.filter((x) => x.status?.admission), pre] };
    const d = schedule(snap, 2, { placement: w.placement });
    const victims = d.preemptions.filter((p) => p.preemptor.name === 'boss');
    if (victims.length === 0) return;
    const byName = new Map(snap.workloads.map((x) => [x.name, x]));
    const flavor = byName.get(victims[0].name)?.status?.admission?.podSetAssignments[0].flavors[GPU];
    const top = Math.max(...victims.map((v) => byName.get(v.name)?.priority ?? 0));
    for (const v of victims) assert.equal(v.reason, 'InClusterQueue');
    // Every candidate strictly below the highest victim's priority, on the victims' flavor, gone:
    // the preemptor must still not fit, or the search should have stopped below `top`.
    const lower = snap.workloads.filter((x) => x.status?.admission?.clusterQueue === queue && (x.priority ?? 0) < top &&
      x.status.admission.podSetAssignments.some((p) => p.flavors[GPU] === flavor));
    if (lower.length === 0) return;
    const onFlavor = snap.clusterQueues.map((cq) => (cq.name !== queue ? cq : { ...cq, resourceGroups: cq.resourceGroups.map((g) => ({ ...g, flavors: g.flavors.filter((f) => f.name === flavor) })) }));
    const rest = { ...snap, clusterQueues: onFlavor, workloads: snap.workloads.filter((x) => !lower.includes(x)) };
    assert.ok(!schedule(rest, 3, { preemption: false, placement: w.placement }).admissions.some((a) => a.name === 'boss'),
      `boss fits after evicting only workloads below priority ${top}, yet a priority-${top} workload was preempted`);
  }), { numRuns: 300 });
});

test('cohort victims only come from queues borrowing the contested flavor and resource', () => {
  fc.assert(fc.property(arbWorld, fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 2 }), (w0, gpus, q) => {
    // Classic cohort reclaim (Kueue's rule without fair sharing). Under fair sharing, victims are chosen by
    // dominant-resource share, and with multi-podSet workloads a victim's queue can be over its share without
    // borrowing on the contested flavor and resource (seed 775187722): a separate property, not this one.
    const w = { ...w0, fairSharing: false, queues: w0.queues.map((x) => ({ ...x, cohort: true, reclaim: 'Any' as const })) };
    let snap = baseSnapshot(w, jobs(w, w.wave1, 'a'));
    snap = applyDecisions(snap, schedule(snap, 1, { placement: w.placement, fairSharing: w.fairSharing }), 1);
    const pre: Workload = { namespace: 'ns', name: 'boss', queueName: `q${q % w.queues.length}`, priority: 9, creationTimestamp: 99, podSets: [{ name: 'p', count: 1, requests: { cpu: 1000, [GPU]: gpus } }] };
    snap = { ...snap, workloads: [...snap.workloads.filter((x) => x.status?.admission), pre] };
    const usage = usageOf(snap);
    const nominal = new Map<string, number>(snap.clusterQueues.flatMap((cq) => cq.resourceGroups[0].flavors.flatMap((f) => f.resources.map((r): [string, number] => [`${cq.name}|${f.name}|${r.name}`, r.nominalQuota]))));
    const d = schedule(snap, 2, { placement: w.placement, fairSharing: w.fairSharing });
    for (const p of d.preemptions) {
      if (p.reason === 'InClusterQueue') continue;
      const vw = snap.workloads.find((x) => x.name === p.name) as Workload;
      const psa = vw.status?.admission?.podSetAssignments ?? [];
      const borrowing = psa.some((a) => Object.keys(a.resourceUsage).some((r) => {
        const k = `${p.clusterQueue}|${a.flavors[r]}|${r}`;
        return (usage.get(k) ?? 0) > (nominal.get(k) ?? 0);
      }));
      assert.ok(borrowing, `${p.name} preempted (${p.reason}) from ${p.clusterQueue}, which was not borrowing`);
    }
  }), { numRuns: 300 });
});
