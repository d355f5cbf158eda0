// Property: a pending reason names what really blocks the workload. Random clusters (taints,
// zones), queues (one flavor each, cohorts, borrowing limits, StrictFIFO or not) and gangs of one
// or two podSets (nodeSelectors, tolerations); after one cycle each pending workload is checked by
// re-running the core with the *other* constraint removed:
//   QuotaExceeded → still not admitted when every node is 1000× bigger (quota really blocks);
//   NoNodeFits    → (one podSet) still not admitted when every quota is unlimited (nodes really block);
//   Inadmissible  → not admitted even alone on the empty cluster (it can never fit);
//   any other one-podSet workload → admitted alone on the empty cluster (never-fit is not missed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { schedule } from '../../src/scheduler/index.js';
import type { ClusterQueue, Node, SchedulerSnapshot, Workload } from '../../src/scheduler/types.js';

const GPU = 'nvidia.com/gpu';
const arbPodSet = fc.record({
  count: fc.integer({ min: 1, max: 3 }), gpus: fc.integer({ min: 0, max: 4 }), cpu: fc.integer({ min: 0, max: 8 }),
  zone: fc.constantFrom(undefined, undefined, undefined, undefined, undefined, 'z1', 'z3'), tolerate: fc.boolean(),
});
const arbWorld = fc.record({
  nodes: fc.array(fc.record({
    gpus: fc.integer({ min: 2, max: 8 }), cpu: fc.integer({ min: 2, max: 16 }), model: fc.constantFrom('a', 'b'),
    zone: fc.constantFrom('z1', 'z2'), tainted: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
  }), { minLength: 2, maxLength: 6 }),
  queues: fc.array(fc.record({
    flavor: fc.constantFrom('a', 'b'), gpu: fc.integer({ min: 2, max: 16 }), cpu: fc.integer({ min: 8, max: 40 }),
    borrow: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), cohort: fc.boolean(), strict: fc.boolean(),
  }), { minLength: 1, maxLength: 3 }),
  jobs: fc.array(fc.record({ q: fc.nat(), priority: fc.integer({ min: 0, max: 3 }), created: fc.integer({ min: 0, max: 30 }), podSets: fc.oneof(fc.array(arbPodSet, { minLength: 1, maxLength: 1 }), fc.array(arbPodSet, { minLength: 2, maxLength: 2 })) }), { minLength: 1, maxLength: 20 }),
  placement: fc.constantFrom('binpack', 'spread', 'topology') as fc.Arbitrary<'binpack' | 'spread' | 'topology'>,
});
type World = typeof arbWorld extends fc.Arbitrary<infer T> ? T : never;

function world(w: World): SchedulerSnapshot {
  const queues: ClusterQueue[] = w.queues.map((q, i) => ({
    name: `q${i}`, cohort: q.cohort ? 'org' : undefined, queueingStrategy: q.strict ? 'StrictFIFO' : 'BestEffortFIFO',
    resourceGroups: [{ coveredResources: ['cpu', GPU], flavors: [{ name: q.flavor, resources: [
      { name: 'cpu', nominalQuota: q.cpu * 1000, borrowingLimit: q.borrow === undefined ? undefined : q.borrow * 1000 },
      { name: GPU, nominalQuota: q.gpu, borrowingLimit: q.borrow },
    ] }] }],
  }));
  const nodes: Node[] = w.nodes.map((n, i) => ({
    name: `n${i}`, labels: { model: n.model, zone: n.zone }, allocatable: { cpu: n.cpu * 1000, [GPU]: n.gpus },
    ...(n.tainted ? { taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' as const }] } : {}),
  }));
  const workloads: Workload[] = w.jobs.map((j, i) => ({
    namespace: 'ns', name: `w${i}`, queueName: `q${j.q % w.queues.length}`, priority: j.priority, creationTimestamp: j.created,
    podSets: j.podSets.map((p, k) => ({
      name: `p${k}`, count: p.count, requests: { cpu: p.cpu * 500, [GPU]: p.gpus },
      ...(p.zone ? { nodeSelector: { zone: p.zone } } : {}),
      ...(p.tolerate ? { tolerations: [{ key: 'dedicated', operator: 'Exists' as const }] } : {}),
    })),
  }));
  return {
    resourceFlavors: [{ name: 'a', nodeLabels: { model: 'a' } }, { name: 'b', nodeLabels: { model: 'b' } }],
    clusterQueues: queues, localQueues: queues.map((q) => ({ namespace: 'ns', name: q.name, clusterQueue: q.name })), nodes, workloads,
  };
}

const hugeNodes = (s: SchedulerSnapshot): SchedulerSnapshot => ({ ...s, nodes: s.nodes.map((n) => ({ ...n, allocatable: { cpu: n.allocatable.cpu * 1000, [GPU]: n.allocatable[GPU] * 1000 } })) });
const hugeQuota = (s: SchedulerSnapshot): SchedulerSnapshot => ({
  ...s,
  clusterQueues: s.clusterQueues.map((q) => ({ ...q, resourceGroups: q.resourceGroups.map((g) => ({ ...g, flavors: g.flavors.map((f) => ({ ...f, resources: f.resources.map((r) => ({ name: r.name, nominalQuota: 1e12 })) })) })) })),
});
const admits = (s: SchedulerSnapshot, name: string, placement: World['placement']) => schedule(s, 1, { preemption: false, placement }).admissions.some((a) => a.name === name);

test('every pending reason names a constraint that really blocks the workload', () => {
  const seen = new Map<string, number>();
  fc.assert(fc.property(arbWorld, (w) => {
    const snap = world(w);
    const d = schedule(snap, 0, { preemption: false, placement: w.placement });
    const adm = new Map(d.admissions.map((a) => [a.name, a.admission]));
    const after = snap.workloads.filter((x) => adm.has(x.name)).map((x) => ({ ...x, status: { admission: adm.get(x.name), admittedAt: 0 } }));
    for (const p of d.pending) {
      seen.set(p.reason, (seen.get(p.reason) ?? 0) + 1);
      const wl = snap.workloads.find((x) => x.name === p.name) as Workload;
      const alone = { ...snap, workloads: [...after, wl] };
      const empty = { ...snap, workloads: [wl] };
      if (p.reason === 'QuotaExceeded') assert.ok(!admits(hugeNodes(alone), p.name, w.placement), `${p.name} QuotaExceeded but admitted once nodes are huge: ${p.message}`);
      // Placing identical pods greedily succeeds whenever room exists, so for one podSet "no room" only
      // gets truer as nodes fill; a gang of several podSets is placed podSet by podSet and is not monotone.
      if (p.reason === 'NoNodeFits' && wl.podSets.length === 1) assert.ok(!admits(hugeQuota(alone), p.name, w.placement), `${p.name} NoNodeFits but admitted once quota is unlimited: ${p.message}`);
      if (p.reason === 'Inadmissible') assert.ok(!admits(empty, p.name, w.placement), `${p.name} Inadmissible but admitted alone on the empty cluster: ${p.message}`);
      else if (wl.podSets.length === 1) assert.ok(admits(empty, p.name, w.placement), `${p.name} (${p.reason}: ${p.message}) can never be admitted but is not Inadmissible`);
    }
  }), { numRuns: 400 });
  // The generator must reach every situation the property is about.
  for (const r of ['QuotaExceeded', 'NoNodeFits', 'Inadmissible']) assert.ok((seen.get(r) ?? 0) > 20, `${r} seen ${seen.get(r) ?? 0} times`);
});
