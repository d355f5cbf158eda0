// Every pending-reason path of the core, each built as the situation it names, asserting the code
// and the words: quota short, cohort has none to lend, quota lent out, borrowingLimit, nodes too
// fragmented, preemption that frees quota but not a node, untolerated taints, selectors matching no
// node, gangs and pods larger than the cluster, flavors that cannot serve the podSet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../src/scheduler/index.js';
import type { Node, ScheduleDecisions, SchedulerSnapshot, Workload } from '../../src/scheduler/types.js';
import { gpuJob, gpuNode, gpuQueue, modelFlavor, snapshot } from './fixtures.js';

const GPU = 'nvidia.com/gpu';
const pendingOf = (d: ScheduleDecisions, name: string) => {
  const p = d.pending.find((x) => x.name === name);
  assert.ok(p, `${name} is pending`);
  return p;
};

/** Admitted (running) copy of a workload on given nodes, as the admission controller records it. */
function running(w: Workload, cq: string, flavor: string, nodes: string[], gpuStart = 0): Workload {
  const ps = w.podSets[0];
  const perPod = ps.requests[GPU] ?? 0;
  return {
    ...w,
    status: {
      admittedAt: 0,
      admission: {
        clusterQueue: cq,
        podSetAssignments: [{
          name: ps.name, count: ps.count,
          flavors: Object.fromEntries(Object.keys(ps.requests).map((r) => [r, flavor])),
          resourceUsage: Object.fromEntries(Object.entries(ps.requests).map(([r, a]) => [r, a * ps.count])),
          placements: nodes.map((node) => ({ node, gpus: Array.from({ length: perPod }, (_, i) => gpuStart + i) })),
        }],
      },
    },
  };
}

test('quota short in a cohort with nothing to lend: the issue\'s own sentence', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('research', [{ name: 'h100', gpu: 8 }], { cohort: 'org' }), gpuQueue('other', [{ name: 'h100', gpu: 4 }], { cohort: 'org' })],
    nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [
      running(gpuJob('r6', 'research', 6), 'research', 'h100', ['n1']),
      running(gpuJob('o4', 'other', 4), 'other', 'h100', ['n2']),
      gpuJob('want4', 'research', 4, { creationTimestamp: 5 }),
    ],
  });
  const p = pendingOf(schedule(snap, 10), 'want4');
  assert.equal(p.reason, 'QuotaExceeded');
  assert.equal(p.message, 'waiting for 4 nvidia.com/gpu of flavor h100 in queue research: 6 of 8 in use, cohort has none to lend');
});

test('quota short because the queue lent its unused quota to the cohort', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('research', [{ name: 'h100', gpu: 8 }], { cohort: 'org' }), gpuQueue('other', [{ name: 'h100', gpu: 0 }], { cohort: 'org' })],
    nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [
      running(gpuJob('r6', 'research', 6), 'research', 'h100', ['n1']),
      running(gpuJob('o2', 'other', 2), 'other', 'h100', ['n2']),
      gpuJob('want4', 'research', 4, { creationTimestamp: 5 }),
    ],
  });
  const p = pendingOf(schedule(snap, 10), 'want4');
  assert.equal(p.reason, 'QuotaExceeded');
  assert.equal(p.message, 'waiting for 4 nvidia.com/gpu of flavor h100 in queue research: 6 of 8 in use, 2 of its quota lent to cohort org, cohort has none to lend');
});

test('quota short when the cohort can lend some but not enough', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('a', [{ name: 'h100', gpu: 4 }], { cohort: 'org' }), gpuQueue('b', [{ name: 'h100', gpu: 4 }], { cohort: 'org' })],
    nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [
      running(gpuJob('a4', 'a', 4), 'a', 'h100', ['n1']),
      running(gpuJob('b2', 'b', 2), 'b', 'h100', ['n2']),
      gpuJob('want3', 'a', 3, { creationTimestamp: 5 }),
    ],
  });
  const p = pendingOf(schedule(snap, 10), 'want3');
  assert.equal(p.reason, 'QuotaExceeded');
  assert.equal(p.message, 'waiting for 3 nvidia.com/gpu of flavor h100 in queue a: 4 of 4 in use, cohort org can lend only 2');
});

test('borrowingLimit: reached, or leaving less than the request', () => {
  const mk = (usedByA: number, want: number) => snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('a', [{ name: 'h100', gpu: 4, gpuBorrow: 2 }], { cohort: 'org' }), gpuQueue('b', [{ name: 'h100', gpu: 8 }], { cohort: 'org' })],
    nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [running(gpuJob('a-run', 'a', usedByA), 'a', 'h100', ['n1']), gpuJob('want', 'a', want, { creationTimestamp: 5 })],
  });
  const reached = pendingOf(schedule(mk(6, 1), 10), 'want');
  assert.equal(reached.reason, 'QuotaExceeded');
  assert.equal(reached.message, 'waiting for 1 nvidia.com/gpu of flavor h100 in queue a: 6 of 4 in use (2 borrowed), borrowingLimit 2 reached');
  const partial = pendingOf(schedule(mk(5, 2), 10), 'want');
  assert.equal(partial.message, 'waiting for 2 nvidia.com/gpu of flavor h100 in queue a: 5 of 4 in use (1 borrowed), borrowingLimit 2 lets it borrow only 1 more');
});

test('fragmentation: quota is there, GPUs are free in total but no node has 4 together', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('q', [{ name: 'h100', gpu: 32 }])],
    nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [
      running(gpuJob('x', 'q', 5), 'q', 'h100', ['n1']),
      running(gpuJob('y', 'q', 6), 'q', 'h100', ['n2']),
      gpuJob('want4', 'q', 4, { creationTimestamp: 5 }),
    ],
  });
  const p = pendingOf(schedule(snap, 10), 'want4');
  assert.equal(p.reason, 'NoNodeFits');
  assert.match(p.message, /^waiting for nodes for podSet main \(1 × 1 cpu, 1Gi memory, 4 nvidia\.com\/gpu\) of flavor h100 in queue q: quota is available but no node has room; /);
  assert.match(p.message, /checked 2 node\(s\) of flavor h100: 0 of the 2 eligible have room for one pod; short of nvidia\.com\/gpu on 2 \(enough free in total, but fragmented across nodes\)/);
  assert.match(p.message, /closest node n1 has 63 cpu, 511Gi memory, 3 nvidia\.com\/gpu free/);
});

test('preemption would free the quota but fragmentation still blocks: NoNodeFits, not QuotaExceeded, and nobody is preempted', () => {
  // Quota 8: 6 in use. Preempting low (2 GPUs on n1) brings usage to 4, but n1 keeps 2 free GPUs
  // beside keep-1 and n2 has 2 free beside keep-2: no node can take 4 GPUs even then.
  const q = gpuQueue('q', [{ name: 'h100', gpu: 8 }], { preemption: { withinClusterQueue: 'LowerPriority' } });
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [q], nodes: [gpuNode('n1', 4), gpuNode('n2', 4)],
    workloads: [
      running(gpuJob('low', 'q', 2, { priority: 1 }), 'q', 'h100', ['n1']),
      running(gpuJob('keep-1', 'q', 2, { priority: 9 }), 'q', 'h100', ['n1'], 2),
      running(gpuJob('keep-2', 'q', 2, { priority: 9 }), 'q', 'h100', ['n2']),
      gpuJob('want4', 'q', 4, { priority: 5, creationTimestamp: 5 }),
    ],
  });
  const d = schedule(snap, 10);
  assert.deepEqual(d.preemptions, []);
  const p = pendingOf(d, 'want4');
  assert.equal(p.reason, 'NoNodeFits');
  assert.match(p.message, /in queue q: preempting 1 workload\(s\) would free the quota, but no node would have room even then; checked 2 node\(s\) of flavor h100: 0 of the 2 eligible have room for one pod; short of nvidia\.com\/gpu on 2/);
  // With low gone, n1 has 2 free: that is what the closest node reports.
  assert.match(p.message, /closest node n1 has .*2 nvidia\.com\/gpu free/);
});

test('quota short and the policy finds nothing to preempt: the reason says so', () => {
  const q = gpuQueue('q', [{ name: 'h100', gpu: 4 }], { preemption: { withinClusterQueue: 'LowerPriority' } });
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [q], nodes: [gpuNode('n1', 8)],
    workloads: [running(gpuJob('vip', 'q', 4, { priority: 9 }), 'q', 'h100', ['n1']), gpuJob('want', 'q', 2, { priority: 1, creationTimestamp: 5 })],
  });
  const p = pendingOf(schedule(snap, 10), 'want');
  assert.equal(p.reason, 'QuotaExceeded');
  assert.equal(p.message, "waiting for 2 nvidia.com/gpu of flavor h100 in queue q: 4 of 4 in use, no cohort to borrow from; nothing it may preempt under the ClusterQueue's preemption policy");
});

test('taint not tolerated: some nodes excluded (NoNodeFits names the taint), all excluded (Inadmissible)', () => {
  const tainted = (name: string): Node => ({ ...gpuNode(name, 8), taints: [{ key: 'maintenance', value: 'true', effect: 'NoSchedule' }] });
  const some = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 32 }])],
    nodes: [tainted('t1'), tainted('t2'), gpuNode('ok', 8)],
    workloads: [running(gpuJob('busy', 'q', 8), 'q', 'h100', ['ok']), gpuJob('want', 'q', 2, { creationTimestamp: 5 })],
  });
  const p = pendingOf(schedule(some, 10), 'want');
  assert.equal(p.reason, 'NoNodeFits');
  assert.match(p.message, /checked 3 node\(s\) of flavor h100: 2 by untolerated taint maintenance=true:NoSchedule \(or others\), 0 of the 1 eligible have room for one pod; short of nvidia\.com\/gpu on 1/);

  const all = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 32 }])],
    nodes: [tainted('t1')], workloads: [gpuJob('want', 'q', 2)],
  });
  const never = pendingOf(schedule(all, 10), 'want');
  assert.equal(never.reason, 'Inadmissible');
  assert.equal(never.message, 'can never fit: podSet main (1 × 1 cpu, 1Gi memory, 2 nvidia.com/gpu) has no node to run on: checked 1 node(s) of flavor h100: 1 by untolerated taint maintenance=true:NoSchedule, none left');
  assert.equal(never.estimatedStart, undefined);
});

test('a tainted flavor the podSet does not tolerate is named with the taint', () => {
  const snap = snapshot({
    flavors: [{ name: 'spot', nodeLabels: { pool: 'spot' }, nodeTaints: [{ key: 'spot', value: 'true', effect: 'NoSchedule' }] }],
    queues: [gpuQueue('q', [{ name: 'spot', gpu: 8 }])],
    nodes: [{ ...gpuNode('s1', 8), labels: { pool: 'spot' } }],
    workloads: [gpuJob('want', 'q', 1)],
  });
  const p = pendingOf(schedule(snap, 0), 'want');
  assert.equal(p.reason, 'Inadmissible');
  assert.equal(p.message, 'no flavor for cpu, memory, nvidia.com/gpu in ClusterQueue q can serve podSet main: flavors spot (taint spot=true:NoSchedule not tolerated)');
});

test('nodeSelector that matches no node of the flavor: Inadmissible naming the selector', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 16 }])], nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [{ ...gpuJob('want', 'q', 1), podSets: [{ name: 'main', count: 1, requests: { [GPU]: 1 }, nodeSelector: { zone: 'eu-1' } }] }],
  });
  const p = pendingOf(schedule(snap, 0), 'want');
  assert.equal(p.reason, 'Inadmissible');
  assert.equal(p.message, 'can never fit: podSet main (1 × 1 nvidia.com/gpu) has no node to run on: checked 2 node(s) of flavor h100: 2 excluded by nodeSelector zone=eu-1, none left');
});

test('nodeSelector contradicting every flavor\'s labels, and a flavor that does not exist', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')],
    queues: [gpuQueue('q', [{ name: 'h100', gpu: 16 }]), gpuQueue('ghost', [{ name: 'b200', gpu: 16 }])],
    nodes: [gpuNode('n1', 8)],
    workloads: [
      { ...gpuJob('want-a100', 'q', 1), podSets: [{ name: 'main', count: 1, requests: { [GPU]: 1 }, nodeSelector: { 'nvidia.com/gpu.product': 'a100' } }] },
      gpuJob('want-b200', 'ghost', 1),
    ],
  });
  const d = schedule(snap, 0);
  assert.equal(pendingOf(d, 'want-a100').reason, 'Inadmissible');
  assert.equal(pendingOf(d, 'want-a100').message, 'no flavor for cpu, memory, nvidia.com/gpu in ClusterQueue q can serve podSet main: flavors h100 (nodeLabels nvidia.com/gpu.product=h100 contradict nodeSelector nvidia.com/gpu.product=a100)');
  assert.equal(pendingOf(d, 'want-b200').message, 'no flavor for cpu, memory, nvidia.com/gpu in ClusterQueue ghost can serve podSet main: flavors b200 (ResourceFlavor not found)');
});

test('gang larger than any possible placement: Inadmissible "can never fit", no preemption, no ETA, even with lower-priority work running', () => {
  const q = gpuQueue('q', [{ name: 'h100', gpu: 64 }], { preemption: { withinClusterQueue: 'LowerPriority' } });
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [q], nodes: [gpuNode('n1', 8), gpuNode('n2', 8)],
    workloads: [
      running(gpuJob('low', 'q', 8, { priority: 0, expectedDurationMs: 100 }), 'q', 'h100', ['n1']),
      gpuJob('gang', 'q', 8, { count: 3, priority: 9, creationTimestamp: 5 }),
    ],
  });
  const d = schedule(snap, 10);
  assert.deepEqual(d.preemptions, []);
  const p = pendingOf(d, 'gang');
  assert.equal(p.reason, 'Inadmissible');
  assert.equal(p.message, 'can never fit: podSet main (3 × 1 cpu, 1Gi memory, 8 nvidia.com/gpu) is a gang larger than the cluster can hold: the 2 eligible node(s) of flavor h100 have room for at most 2 of its 3 pods even when empty');
  assert.equal(p.estimatedStart, undefined);
});

test('one pod larger than the largest node: Inadmissible naming that node', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 64 }])], nodes: [gpuNode('small', 4), gpuNode('big', 8)],
    workloads: [gpuJob('huge-pod', 'q', 16)],
  });
  const p = pendingOf(schedule(snap, 0), 'huge-pod');
  assert.equal(p.reason, 'Inadmissible');
  assert.match(p.message, /^can never fit: one pod of podSet main \(1 × 1 cpu, 1Gi memory, 16 nvidia\.com\/gpu\) is larger than any of the 2 eligible node\(s\) of flavor h100: the largest, big, has 64 cpu, 512Gi memory, 8 nvidia\.com\/gpu allocatable$/);
});

test('more than the queue could ever hold is Inadmissible only when no flavor could hold it', () => {
  const mk = (bGpu: number) => snapshot({
    flavors: [modelFlavor('a100'), modelFlavor('h100')],
    queues: [gpuQueue('q', [{ name: 'a100', gpu: 2 }, { name: 'h100', gpu: bGpu }])],
    nodes: [gpuNode('a', 8, 'a100'), gpuNode('h', 8, 'h100')],
    workloads: [running(gpuJob('h-run', 'q', bGpu), 'q', 'h100', ['h']), gpuJob('want4', 'q', 4, { creationTimestamp: 5 })],
  });
  // a100 can hold at most 2, h100 8 but all in use: waiting on h100's quota is the truth.
  const waiting = pendingOf(schedule(mk(8), 0), 'want4');
  assert.equal(waiting.reason, 'QuotaExceeded');
  assert.equal(waiting.message, 'waiting for 4 nvidia.com/gpu of flavor h100 in queue q: 8 of 8 in use, no cohort to borrow from');
  const never = pendingOf(schedule(mk(3), 0), 'want4');
  assert.equal(never.reason, 'Inadmissible');
  assert.equal(never.message, 'can never fit: needs 4 nvidia.com/gpu of flavor a100 but ClusterQueue q can hold at most 2 (no cohort to borrow from); needs 4 nvidia.com/gpu of flavor h100 but ClusterQueue q can hold at most 3 (no cohort to borrow from)');
});

test('cordoned and NotReady nodes are counted apart from the nodes checked', () => {
  const snap = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 32 }])],
    nodes: [gpuNode('n1', 8), gpuNode('off', 8, 'h100', 64_000, 512 * 2 ** 30, { unschedulable: true }), gpuNode('dead', 8, 'h100', 64_000, 512 * 2 ** 30, { ready: false })],
    workloads: [running(gpuJob('busy', 'q', 8), 'q', 'h100', ['n1']), gpuJob('want', 'q', 2, { creationTimestamp: 5 })],
  });
  const p = pendingOf(schedule(snap, 0), 'want');
  assert.equal(p.reason, 'NoNodeFits');
  assert.match(p.message, /checked 1 node\(s\) of flavor h100 \(2 more cordoned or not ready\): 0 of the 1 eligible have room for one pod/);
});

test('a workload never tried this cycle still gets an honest code: Inadmissible when it can never fit', () => {
  // StrictFIFO: the head blocks; the second can never fit, the third simply waits.
  const snap: SchedulerSnapshot = snapshot({
    flavors: [modelFlavor('h100')], queues: [gpuQueue('q', [{ name: 'h100', gpu: 8 }], { queueingStrategy: 'StrictFIFO' })], nodes: [gpuNode('n1', 8)],
    workloads: [
      running(gpuJob('r', 'q', 6), 'q', 'h100', ['n1']),
      gpuJob('head', 'q', 4, { creationTimestamp: 1 }),
      gpuJob('too-big', 'q', 2, { count: 5, creationTimestamp: 2 }),
      gpuJob('small', 'q', 1, { creationTimestamp: 3 }),
    ],
  });
  const d = schedule(snap, 0);
  assert.equal(pendingOf(d, 'head').reason, 'QuotaExceeded');
  assert.equal(pendingOf(d, 'too-big').reason, 'Inadmissible');
  assert.match(pendingOf(d, 'too-big').message, /^can never fit: needs 10 nvidia\.com\/gpu of flavor h100 but ClusterQueue q can hold at most 8/);
  assert.equal(pendingOf(d, 'small').reason, 'WaitingInQueue');
  assert.match(pendingOf(d, 'small').message, /^waiting behind 2 workload\(s\) in StrictFIFO ClusterQueue q; head team\/head: waiting for 4 nvidia\.com\/gpu/);
});
