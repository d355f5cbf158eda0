// Shared GPUs (issue 21): pods asking capstan.dev/gpu-milli take a slice of ONE device, slices of a
// device are packed per device (not per node total), whole-GPU pods need untouched devices, quota
// counts milli-GPU as its own resource, and the fragmentation-aware placement (fgd) keeps whole
// GPUs whole for the mix it has seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule, createSchedulerState, runAdmissionCycle, addWorkload, removeWorkload } from '../../src/scheduler/index.js';
import type { Node, PlacementStrategy, SchedulerSnapshot, Workload } from '../../src/scheduler/types.js';

const GPU = 'nvidia.com/gpu';
const MILLI = 'capstan.dev/gpu-milli';

function cluster(nodes: Node[], milliQuota = 1e9, workloads: Workload[] = []): SchedulerSnapshot {
  return {
    resourceFlavors: [{ name: 'f' }],
    clusterQueues: [{ name: 'q', resourceGroups: [{ coveredResources: ['cpu', 'memory', GPU, MILLI], flavors: [{ name: 'f', resources: [
      { name: 'cpu', nominalQuota: 1e9 }, { name: 'memory', nominalQuota: 2 ** 50 }, { name: GPU, nominalQuota: 100 }, { name: MILLI, nominalQuota: milliQuota },
    ] }] }] }],
    localQueues: [{ namespace: 'ns', name: 'q', clusterQueue: 'q' }],
    nodes,
    workloads,
  };
}
const node = (name: string, gpus: number): Node => ({ name, allocatable: { cpu: 64_000, memory: 256 * 2 ** 30, [GPU]: gpus } });
const pod = (name: string, req: { gpus?: number; milli?: number }, created = 0): Workload => ({
  namespace: 'ns', name, queueName: 'q', creationTimestamp: created,
  podSets: [{ name: 'p', count: 1, requests: { cpu: 1_000, [GPU]: req.gpus ?? 0, ...(req.milli ? { [MILLI]: req.milli } : {}) } }],
});
const placementOf = (d: ReturnType<typeof schedule>, name: string) => d.admissions.find((a) => a.name === name)?.admission.podSetAssignments[0].placements?.[0];

test('two half-GPU pods share one device; a whole-GPU pod then needs another', () => {
  const d = schedule(cluster([node('n0', 1)], 1e9, [pod('a', { milli: 500 }, 0), pod('b', { milli: 500 }, 1), pod('c', { gpus: 1 }, 2)]), 10);
  assert.deepEqual(placementOf(d, 'a'), { node: 'n0', gpus: [0] });
  assert.deepEqual(placementOf(d, 'b'), { node: 'n0', gpus: [0] });
  assert.equal(d.admissions.length, 2);
  assert.equal(d.pending.find((p) => p.name === 'c')?.reason, 'NoNodeFits');
});

test('slices are packed per device: three 0.6-GPU pods do not fit two GPUs though 0.8 GPU stays free in total', () => {
  const d = schedule(cluster([node('n0', 2)], 1e9, [pod('a', { milli: 600 }, 0), pod('b', { milli: 600 }, 1), pod('c', { milli: 600 }, 2)]), 10);
  assert.deepEqual(d.admissions.map((a) => a.name), ['a', 'b']);
  assert.notDeepEqual(placementOf(d, 'a')?.gpus, placementOf(d, 'b')?.gpus);
  assert.equal(d.pending.find((p) => p.name === 'c')?.reason, 'NoNodeFits');
});

test('whole and shared pods mix; releasing slices gives the whole GPU back', () => {
  const state = createSchedulerState(cluster([node('n0', 2)]), { explain: false });
  addWorkload(state, pod('s1', { milli: 300 }, 0));
  addWorkload(state, pod('two', { gpus: 2 }, 1));
  let d = runAdmissionCycle(state, 1);
  assert.deepEqual(d.admissions.map((a) => a.name), ['s1']);
  addWorkload(state, pod('one', { gpus: 1 }, 2));
  d = runAdmissionCycle(state, 2);
  // 'two' waits (only one untouched device); 'one' takes it beside the slice.
  assert.deepEqual(d.admissions.map((a) => a.name), ['one']);
  removeWorkload(state, 'ns', 's1');
  removeWorkload(state, 'ns', 'one');
  d = runAdmissionCycle(state, 3);
  assert.deepEqual(d.admissions.map((a) => [a.name, a.admission.podSetAssignments[0].placements?.[0].gpus]), [['two', [0, 1]]]);
});

test('quota counts milli-GPU: a queue with 1000 milli takes two half-GPU pods, not three', () => {
  const d = schedule(cluster([node('n0', 4)], 1000, [pod('a', { milli: 500 }, 0), pod('b', { milli: 500 }, 1), pod('c', { milli: 500 }, 2)]), 10);
  assert.equal(d.admissions.length, 2);
  const c = d.pending.find((p) => p.name === 'c');
  assert.equal(c?.reason, 'QuotaExceeded');
  assert.match(c?.message ?? '', /capstan\.dev\/gpu-milli/);
});

test('fgd puts a slice on a partly used GPU instead of breaking a whole one; bestfit and firstfit do not', () => {
  // n0: GPU 0 taken whole, GPU 1 free. n1: GPU 0 half used by a slice, GPU 1 free. The mix seen: whole 1-GPU pods.
  const running = (name: string, on: string, gpus: number[], milli?: number): Workload => ({
    ...pod(name, milli ? { milli } : { gpus: gpus.length }),
    status: { admittedAt: 0, admission: { clusterQueue: 'q', podSetAssignments: [{ name: 'p', flavors: { cpu: 'f', [GPU]: 'f', [MILLI]: 'f' }, resourceUsage: { cpu: 1000, ...(milli ? { [MILLI]: milli } : { [GPU]: gpus.length }) }, count: 1, placements: [{ node: on, gpus }] }] } },
  });
  const snap = (placement: PlacementStrategy) => {
    const s = cluster([node('n0', 2), node('n1', 2)], 1e9, [running('w0', 'n0', [0]), running('s0', 'n1', [0], 500), ...Array.from({ length: 8 }, (_, i) => ({ ...pod(`whole${i}`, { gpus: 1 }, 100 + i), queueName: 'nope' })), pod('slice', { milli: 500 }, 50)]);
    return schedule(s, 10, { placement });
  };
  assert.deepEqual(placementOf(snap('fgd'), 'slice'), { node: 'n1', gpus: [0] });
  assert.equal(placementOf(snap('firstfit'), 'slice')?.node, 'n0');
  assert.equal(placementOf(snap('bestfit'), 'slice')?.node, 'n0');
});
