// Scenario tests after Kueue's documented examples: cohort borrowing and limits, reclaim,
// in-queue preemption, StrictFIFO vs BestEffortFIFO, flavors by GPU model, taints, node failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../src/scheduler/index.js';
import type { ScheduleDecisions, SchedulerSnapshot, Workload } from '../../src/scheduler/types.js';
import { gpuJob, gpuNode, gpuQueue, modelFlavor, snapshot } from './fixtures.js';

const admitted = (d: ScheduleDecisions) => d.admissions.map((a) => a.name).sort();
const pendingOf = (d: ScheduleDecisions, name: string) => d.pending.find((p) => p.name === name);

/** Mark admissions from a decision as running in the snapshot (what the admission controller does). */
function apply(snap: SchedulerSnapshot, d: ScheduleDecisions, now: number): SchedulerSnapshot {
  const byName = new Map(d.admissions.map((a) => [a.name, a]));
  return {
    ...snap,
    workloads: snap.workloads.map((w): Workload => {
      const a = byName.get(w.name);
      return a ? { ...w, status: { admission: a.admission, admittedAt: now } } : w;
    }),
  };
}

test('cohort borrowing: team-a borrows team-b unused GPUs, up to borrowingLimit', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [
      gpuQueue('team-a', [{ name: 'h100', gpu: 4, gpuBorrow: 2 }], { cohort: 'org' }),
      gpuQueue('team-b', [{ name: 'h100', gpu: 4 }], { cohort: 'org' }),
    ],
    nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('a1', 'team-a', 4, { creationTimestamp: 1 }), gpuJob('a2', 'team-a', 2, { creationTimestamp: 2 }), gpuJob('a3', 'team-a', 1, { creationTimestamp: 3 })],
  });
  const d = schedule(snap, 10);
  assert.deepEqual(admitted(d), ['a1', 'a2']);
  assert.equal(d.admissions.find((a) => a.name === 'a2')?.borrowing, true);
  const p = pendingOf(d, 'a3');
  assert.equal(p?.reason, 'QuotaExceeded');
  assert.match(p?.message ?? '', /borrowingLimit 2 reached/);
});

test('no cohort: a queue never exceeds its nominal quota even with idle nodes', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('solo', [{ name: 'h100', gpu: 4 }])],
    nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('x', 'solo', 4, { creationTimestamp: 1 }), gpuJob('y', 'solo', 4, { creationTimestamp: 2 })],
  });
  const d = schedule(snap, 0);
  assert.deepEqual(admitted(d), ['x']);
  assert.equal(pendingOf(d, 'y')?.message, 'waiting for 4 nvidia.com/gpu of flavor h100 in queue solo: 4 of 4 in use, no cohort to borrow from');
});

test('lendingLimit keeps part of the nominal quota out of the cohort pool', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [
      gpuQueue('borrower', [{ name: 'h100', gpu: 0 }], { cohort: 'org' }),
      gpuQueue('lender', [{ name: 'h100', gpu: 8, gpuLend: 3 }], { cohort: 'org' }),
    ],
    nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('b1', 'borrower', 3, { creationTimestamp: 1 }), gpuJob('b2', 'borrower', 1, { creationTimestamp: 2 })],
  });
  const d = schedule(snap, 0);
  assert.deepEqual(admitted(d), ['b1']);
  assert.equal(pendingOf(d, 'b2')?.reason, 'QuotaExceeded');
});

test('reclaimWithinCohort: a queue takes back its lent quota by preempting the borrower', () => {
  const base = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [
      gpuQueue('team-a', [{ name: 'h100', gpu: 4 }], { cohort: 'org' }),
      gpuQueue('team-b', [{ name: 'h100', gpu: 4 }], { cohort: 'org', preemption: { reclaimWithinCohort: 'Any' } }),
    ],
    nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('a-small', 'team-a', 2, { creationTimestamp: 1 }), gpuJob('a-big', 'team-a', 6, { creationTimestamp: 2 })],
  });
  const d1 = schedule(base, 10);
  assert.deepEqual(admitted(d1), ['a-big', 'a-small']);
  const running = apply(base, d1, 10);
  const snap = { ...running, workloads: [...running.workloads, gpuJob('b1', 'team-b', 4, { creationTimestamp: 20 })] };
  const d2 = schedule(snap, 30);
  assert.deepEqual(d2.preemptions.map((p) => [p.name, p.reason]), [['a-big', 'InCohortReclamation']]);
  assert.equal(pendingOf(d2, 'b1')?.reason, 'Preempting');
  // Once the victim is gone the reclaimer is admitted.
  const after = { ...snap, workloads: snap.workloads.filter((w) => w.name !== 'a-big') };
  assert.deepEqual(admitted(schedule(after, 40)), ['b1']);
});

test('reclaimWithinCohort Never: the lender waits instead of preempting', () => {
  const base = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('team-a', [{ name: 'h100', gpu: 4 }], { cohort: 'org' }), gpuQueue('team-b', [{ name: 'h100', gpu: 4 }], { cohort: 'org' })],
    nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('a-big', 'team-a', 8, { creationTimestamp: 1 })],
  });
  const running = apply(base, schedule(base, 1), 1);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('b1', 'team-b', 4, { creationTimestamp: 2 })] }, 2);
  assert.equal(d.preemptions.length, 0);
  assert.equal(pendingOf(d, 'b1')?.reason, 'QuotaExceeded');
});

test('withinClusterQueue LowerPriority preempts the fewest lowest-priority workloads', () => {
  const q = gpuQueue('q', [{ name: 'h100', gpu: 8 }], { preemption: { withinClusterQueue: 'LowerPriority' } });
  const base = snapshot({
    flavors: [modelFlavor('h100')], queues: [q], nodes: [gpuNode('n1', 8)],
    workloads: [
      gpuJob('low-2', 'q', 2, { priority: 1, creationTimestamp: 1 }),
      gpuJob('low-4', 'q', 4, { priority: 1, creationTimestamp: 2 }),
      gpuJob('mid-2', 'q', 2, { priority: 5, creationTimestamp: 3 }),
    ],
  });
  const running = apply(base, schedule(base, 1), 1);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('urgent', 'q', 4, { priority: 10, creationTimestamp: 5 })] }, 6);
  // Freeing 4 GPUs: low-4 alone suffices; low-2 and mid-2 are spared.
  assert.deepEqual(d.preemptions.map((p) => [p.name, p.reason]), [['low-4', 'InClusterQueue']]);
});

test('equal priority is not preempted under LowerPriority', () => {
  const q = gpuQueue('q', [{ name: 'h100', gpu: 4 }], { preemption: { withinClusterQueue: 'LowerPriority' } });
  const base = snapshot({ flavors: [modelFlavor('h100')], queues: [q], nodes: [gpuNode('n1', 8)], workloads: [gpuJob('old', 'q', 4, { priority: 3, creationTimestamp: 1 })] });
  const running = apply(base, schedule(base, 1), 1);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('new', 'q', 4, { priority: 3, creationTimestamp: 2 })] }, 2);
  assert.equal(d.preemptions.length, 0);
});

test('StrictFIFO blocks behind the head; BestEffortFIFO lets smaller work through', () => {
  const mk = (strategy: 'StrictFIFO' | 'BestEffortFIFO') => snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 8 }], { queueingStrategy: strategy })], nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('run', 'q', 6, { creationTimestamp: 0 }), gpuJob('big', 'q', 4, { creationTimestamp: 1 }), gpuJob('small', 'q', 2, { creationTimestamp: 2 })],
  });
  const strict = schedule(mk('StrictFIFO'), 0);
  assert.deepEqual(admitted(strict), ['run']);
  assert.equal(pendingOf(strict, 'small')?.position, 2);
  assert.equal(pendingOf(strict, 'small')?.reason, 'WaitingInQueue');
  assert.deepEqual(admitted(schedule(mk('BestEffortFIFO'), 0)), ['run', 'small']);
});

test('flavors are tried in order: a100 first, h100 when a100 nodes are full', () => {
  const snap = snapshot({
    flavors: [modelFlavor('a100'), modelFlavor('h100')],
    queues: [gpuQueue('q', [{ name: 'a100', gpu: 8 }, { name: 'h100', gpu: 8 }])],
    nodes: [gpuNode('a', 4, 'a100'), gpuNode('h', 8, 'h100')],
    workloads: [gpuJob('j1', 'q', 4, { creationTimestamp: 1 }), gpuJob('j2', 'q', 4, { creationTimestamp: 2 })],
  });
  const d = schedule(snap, 0);
  const flavorOf = (n: string) => d.admissions.find((a) => a.name === n)?.admission.podSetAssignments[0];
  assert.equal(flavorOf('j1')?.flavors['nvidia.com/gpu'], 'a100');
  assert.equal(flavorOf('j1')?.placements?.[0].node, 'a');
  // a100 quota still has 4, but no a100 node has room: the core falls through to h100.
  assert.equal(flavorOf('j2')?.flavors['nvidia.com/gpu'], 'h100');
});

test('a tainted flavor is only used by workloads that tolerate it', () => {
  const snap = snapshot({
    flavors: [{ name: 'spot', nodeLabels: { pool: 'spot' }, nodeTaints: [{ key: 'spot', value: 'true', effect: 'NoSchedule' }] }],
    queues: [gpuQueue('q', [{ name: 'spot', gpu: 8 }])],
    nodes: [{ ...gpuNode('s1', 8), labels: { pool: 'spot' }, taints: [{ key: 'spot', value: 'true', effect: 'NoSchedule' }] }],
    workloads: [
      gpuJob('intolerant', 'q', 1, { creationTimestamp: 1 }),
      { ...gpuJob('tolerant', 'q', 1, { creationTimestamp: 2 }), podSets: [{ name: 'main', count: 1, requests: { 'nvidia.com/gpu': 1 }, tolerations: [{ key: 'spot', operator: 'Exists' }] }] },
    ],
  });
  const d = schedule(snap, 0);
  assert.deepEqual(admitted(d), ['tolerant']);
  assert.equal(pendingOf(d, 'intolerant')?.reason, 'Inadmissible');
});

test('gang: 3 pods of 4 GPUs never partly admitted on two 8-GPU nodes with 4 GPUs taken', () => {
  const base = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 32 }])], nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [gpuJob('hog', 'q', 6, { creationTimestamp: 0 })],
  });
  const running = apply(base, schedule(base, 0), 0);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('gang', 'q', 4, { count: 3, creationTimestamp: 1 })] }, 1);
  assert.deepEqual(admitted(d), []);
  assert.equal(pendingOf(d, 'gang')?.reason, 'NoNodeFits');
});

test('topology placement keeps a gang on as few nodes as possible', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 64 }])],
    nodes: [gpuNode('n1', 8), gpuNode('n2', 8), gpuNode('n3', 8)],
    workloads: [gpuJob('g', 'q', 2, { count: 4 })],
  });
  const nodes = (strategy: 'topology' | 'spread') =>
    new Set(schedule(snap, 0, { placement: strategy }).admissions[0].admission.podSetAssignments[0].placements?.map((p) => p.node)).size;
  assert.equal(nodes('topology'), 1);
  assert.equal(nodes('spread'), 3);
});

test('node failure evicts its workloads and they are requeued', () => {
  const base = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 16 }])], nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [gpuJob('j', 'q', 8)],
  });
  const running = apply(base, schedule(base, 0), 0);
  const failedNode = running.workloads[0].status?.admission?.podSetAssignments[0].placements?.[0].node;
  const snap = { ...running, nodes: running.nodes.map((n) => (n.name === failedNode ? { ...n, ready: false } : n)) };
  const d = schedule(snap, 5);
  assert.deepEqual(d.evictions.map((e) => [e.name, e.reason]), [['j', 'NodeFailure']]);
  assert.equal(pendingOf(d, 'j')?.position, 1);
});

test('estimated start follows declared durations of running work', () => {
  const base = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 8 }], { queueingStrategy: 'StrictFIFO' })], nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('r', 'q', 8, { expectedDurationMs: 1000 })],
  });
  const running = apply(base, schedule(base, 0), 0);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('w1', 'q', 4, { creationTimestamp: 1, expectedDurationMs: 500 }), gpuJob('w2', 'q', 8, { creationTimestamp: 2 })] }, 100);
  assert.equal(pendingOf(d, 'w1')?.estimatedStart, 1000);
  assert.equal(pendingOf(d, 'w2')?.estimatedStart, 1500);
});

test('a missing LocalQueue gives a reason instead of a crash', () => {
  const snap = snapshot({ flavors: [], queues: [], nodes: [], workloads: [gpuJob('lost', 'nowhere', 1)] });
  const d = schedule(snap, 0);
  assert.equal(d.pending[0].reason, 'QueueNotFound');
  assert.match(d.pending[0].message, /LocalQueue nowhere not found in namespace team/);
});

test('fair sharing admits from the queue with the lower weighted share first', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [
      gpuQueue('heavy', [{ name: 'h100', gpu: 0 }], { cohort: 'org', fairSharing: { weight: 1 } }),
      gpuQueue('light', [{ name: 'h100', gpu: 0 }], { cohort: 'org', fairSharing: { weight: 1 } }),
      gpuQueue('lender', [{ name: 'h100', gpu: 8 }], { cohort: 'org' }),
    ],
    nodes: [gpuNode('n1', 8)],
    workloads: [
      gpuJob('h1', 'heavy', 2, { creationTimestamp: 1 }), gpuJob('h2', 'heavy', 2, { creationTimestamp: 2 }), gpuJob('h3', 'heavy', 2, { creationTimestamp: 3 }),
      gpuJob('l1', 'light', 2, { creationTimestamp: 10 }), gpuJob('l2', 'light', 2, { creationTimestamp: 11 }),
    ],
  });
  // FIFO-ish cross-queue order would give heavy 3 slots; DRS alternates and gives each 2.
  const d = schedule(snap, 0, { fairSharing: true });
  assert.deepEqual(admitted(d), ['h1', 'h2', 'l1', 'l2']);
});

test('LowerOrNewerEqualPriority also preempts equal-priority workloads created later', () => {
  const q = gpuQueue('q', [{ name: 'h100', gpu: 4 }], { preemption: { withinClusterQueue: 'LowerOrNewerEqualPriority' } });
  const base = snapshot({ flavors: [modelFlavor('h100')], queues: [q], nodes: [gpuNode('n1', 8)], workloads: [gpuJob('newer', 'q', 4, { priority: 3, creationTimestamp: 50 })] });
  const running = apply(base, schedule(base, 60), 60);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('older', 'q', 4, { priority: 3, creationTimestamp: 10 })] }, 70);
  assert.deepEqual(d.preemptions.map((p) => p.name), ['newer']);
});

test('borrowWithinCohort lets a borrowing workload preempt lower priority work of another borrower', () => {
  const base = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [
      gpuQueue('a', [{ name: 'h100', gpu: 2 }], { cohort: 'org', preemption: { reclaimWithinCohort: 'Any', borrowWithinCohort: { policy: 'LowerPriority' } } }),
      gpuQueue('b', [{ name: 'h100', gpu: 2 }], { cohort: 'org' }),
      gpuQueue('idle', [{ name: 'h100', gpu: 4 }], { cohort: 'org' }),
    ],
    nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('b-low', 'b', 6, { priority: 1, creationTimestamp: 1 })],
  });
  const running = apply(base, schedule(base, 1), 1);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('a-high', 'a', 4, { priority: 5, creationTimestamp: 2 })] }, 2);
  assert.deepEqual(d.preemptions.map((p) => [p.name, p.reason]), [['b-low', 'InCohortReclaimWhileBorrowing']]);
  // Without borrowWithinCohort the same request (which needs borrowing) may not preempt.
  const noBorrow = { ...running, clusterQueues: running.clusterQueues.map((q) => (q.name === 'a' ? { ...q, preemption: { reclaimWithinCohort: 'Any' as const } } : q)) };
  assert.equal(schedule({ ...noBorrow, workloads: [...noBorrow.workloads, gpuJob('a-high', 'a', 4, { priority: 5, creationTimestamp: 2 })] }, 2).preemptions.length, 0);
});

test('a victim already being evicted is chosen again (idempotent) and the preemptor keeps waiting', () => {
  const q = gpuQueue('q', [{ name: 'h100', gpu: 8 }], { preemption: { withinClusterQueue: 'LowerPriority' } });
  const base = snapshot({ flavors: [modelFlavor('h100')], queues: [q], nodes: [gpuNode('n1', 8)], workloads: [gpuJob('low', 'q', 8, { priority: 0 })] });
  const running = apply(base, schedule(base, 1), 1);
  const withBoss = { ...running, workloads: [...running.workloads, gpuJob('boss', 'q', 8, { priority: 9, creationTimestamp: 5 })] };
  const first = schedule(withBoss, 6);
  assert.deepEqual(first.preemptions.map((p) => p.name), ['low']);
  const evicting = { ...withBoss, workloads: withBoss.workloads.map((w) => (w.name === 'low' ? { ...w, status: { ...w.status, evicting: true } } : w)) };
  const second = schedule(evicting, 7);
  assert.deepEqual(second.preemptions.map((p) => p.name), ['low']);
  assert.equal(pendingOf(second, 'boss')?.reason, 'Preempting');
  assert.equal(second.admissions.length, 0);
});

test('usage summary reports usage, borrowed and available per flavor and resource', async () => {
  const { clusterQueueUsage } = await import('../../src/scheduler/index.js');
  const base = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('a', [{ name: 'h100', gpu: 4 }], { cohort: 'org' }), gpuQueue('b', [{ name: 'h100', gpu: 4 }], { cohort: 'org' })],
    nodes: [gpuNode('n1', 8)],
    workloads: [gpuJob('big', 'a', 6)],
  });
  const running = apply(base, schedule(base, 1), 1);
  const gpuRow = (cq: string) => clusterQueueUsage(running, cq).find((r) => r.resource === 'nvidia.com/gpu');
  assert.deepEqual(gpuRow('a'), { flavor: 'h100', resource: 'nvidia.com/gpu', nominalQuota: 4, borrowingLimit: undefined, lendingLimit: undefined, usage: 6, borrowed: 2, lent: 0, available: 2 });
  assert.equal(gpuRow('b')?.lent, 2);
  assert.equal(gpuRow('b')?.available, 2);
});

test('StrictFIFO: nothing behind a head that can never start gets an ETA; BestEffortFIFO does', () => {
  const mk = (strategy: 'StrictFIFO' | 'BestEffortFIFO') => {
    const base = snapshot({
      flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 8 }], { queueingStrategy: strategy })], nodes: [gpuNode('n1', 8)],
      workloads: [gpuJob('r', 'q', 8, { expectedDurationMs: 1000 })],
    });
    const running = apply(base, schedule(base, 0), 0);
    return schedule({ ...running, workloads: [...running.workloads, gpuJob('huge', 'q', 16, { creationTimestamp: 1 }), gpuJob('small', 'q', 2, { creationTimestamp: 2 })] }, 10);
  };
  const strict = mk('StrictFIFO');
  assert.equal(pendingOf(strict, 'huge')?.reason, 'Inadmissible');
  assert.equal(pendingOf(strict, 'small')?.estimatedStart, undefined);
  assert.equal(pendingOf(mk('BestEffortFIFO'), 'small')?.estimatedStart, 1000);
});

test('borrowed quota is reclaimed first: a borrower\'s workload goes before a lower-priority one of the preemptor\'s own queue', () => {
  const base = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [
      gpuQueue('research', [{ name: 'h100', gpu: 4 }], { cohort: 'org', preemption: { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'Any' } }),
      gpuQueue('batch', [{ name: 'h100', gpu: 4 }], { cohort: 'org' }),
    ],
    nodes: [gpuNode('n1', 8)],
    workloads: [
      gpuJob('own-low', 'research', 2, { priority: 0, creationTimestamp: 1 }),
      gpuJob('batch-a', 'batch', 4, { priority: 5, creationTimestamp: 2 }),
      gpuJob('batch-borrow', 'batch', 2, { priority: 5, creationTimestamp: 3 }),
    ],
  });
  const running = apply(base, schedule(base, 1), 1);
  assert.equal(running.workloads.filter((w) => w.status?.admission).length, 3);
  const d = schedule({ ...running, workloads: [...running.workloads, gpuJob('urgent', 'research', 2, { priority: 9, creationTimestamp: 4 })] }, 2);
  // Kueue's order: workloads of queues borrowing in the cohort come before the own queue's, even
  // at higher priority; own-low (priority 0) is spared because reclaiming 2 GPUs is enough.
  assert.deepEqual(d.preemptions.map((p) => [p.name, p.reason]), [['batch-borrow', 'InCohortReclamation']]);
});

test('a two-podSet workload is checked against its queue\'s quota once, not twice', () => {
  // 6 GPUs of quota: launcher 1 + workers 3 × 1 + another 2-GPU job = 6 exactly.
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 6 }])], nodes: [gpuNode('n1', 8)],
    workloads: [
      gpuJob('other', 'q', 2, { priority: 1, creationTimestamp: 0 }),
      { ...gpuJob('gang', 'q', 1, { creationTimestamp: 1 }), podSets: [
        { name: 'launcher', count: 1, requests: { 'nvidia.com/gpu': 1 } },
        { name: 'worker', count: 3, requests: { 'nvidia.com/gpu': 1 } },
      ] },
    ],
  });
  assert.deepEqual(admitted(schedule(snap, 0)), ['gang', 'other']);
});
