// Trace importers and the cluster file: good rows become jobs, bad rows are reported by line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCapstanTrace } from '../../src/sim/trace-capstan.js';
import { parsePhillyTrace } from '../../src/sim/trace-philly.js';
import { parsePaiTrace } from '../../src/sim/trace-pai.js';
import { parseHeliosTrace } from '../../src/sim/trace-helios.js';
import { TraceError } from '../../src/sim/trace-types.js';
import { parseClusterConfig, ClusterConfigError } from '../../src/sim/cluster-config.js';
import { parseQuantity, formatQuantity } from '../../src/scheduler/quantity.js';

/** Repo root, found by walking up to package.json (works from test/ under tsx and from dist/test/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json')))) {
    if (dirname(dir) === dir) throw new Error('repository root not found');
    dir = dirname(dir);
  }
  return dir;
}

test('quantities parse to integers: millicores, bytes, counts', () => {
  assert.equal(parseQuantity('500m', 'cpu'), 500);
  assert.equal(parseQuantity('2', 'cpu'), 2000);
  assert.equal(parseQuantity('1.5', 'cpu'), 1500);
  assert.equal(parseQuantity('4Gi', 'memory'), 4 * 2 ** 30);
  assert.equal(parseQuantity('1G', 'memory'), 1e9);
  assert.equal(parseQuantity('128974848', 'memory'), 128974848);
  assert.equal(parseQuantity('1e3', 'memory'), 1000);
  assert.equal(parseQuantity(8, 'nvidia.com/gpu'), 8);
  assert.equal(parseQuantity('100m', 'memory'), 1);
  assert.throws(() => parseQuantity('4 GiB', 'memory'), /invalid quantity "4 GiB"/);
  assert.throws(() => parseQuantity('-1', 'cpu'), /negative/);
  assert.equal(formatQuantity(1500, 'cpu'), '1500m');
  assert.equal(formatQuantity(64 * 2 ** 30, 'memory'), '64Gi');
});

test('Capstan CSV: good rows parse, malformed rows are skipped with their line numbers', () => {
  const text = ['# comment', 'id,submit_time,duration,queue,gpus,pods,cpu,memory,priority', 'a,0,60,q1,2,2,8,64Gi,5', 'b,zzz,60,q1,1,1,,,', 'c,5,60,,1,1,500m,,', 'c,6,60,,1,1,,,', 'd,7,60,,1,1,lots,,'].join('\n');
  const r = parseCapstanTrace(text);
  assert.deepEqual(r.jobs.map((j) => j.id), ['a', 'c']);
  assert.deepEqual(r.jobs[0].podSets[0], { name: 'main', count: 2, gpus: 2, gpuMilli: undefined, cpuMilli: 8000, memoryBytes: 64 * 2 ** 30, gpuModel: undefined });
  assert.equal(r.jobs[1].queue, 'default');
  assert.deepEqual(r.issues.map((i) => i.line), [4, 6, 7]);
  assert.match(r.issues[1].message, /duplicate id c/);
  assert.throws(() => parseCapstanTrace(text, { strict: true }), (e: unknown) => e instanceof TraceError && /line 4: submit_time "zzz"/.test(e.message));
  assert.throws(() => parseCapstanTrace('id,duration\n1,2'), /missing column\(s\) submit_time, gpus/);
});

test('Philly cluster_job_log: GPUs from the first attempt, run time summed over attempts, line numbers for bad jobs', () => {
  const jobs = [
    { status: 'Pass', vc: 'vc1', jobid: 'app_1', user: 'u', submitted_time: '2017-10-03 00:00:00', attempts: [
      { start_time: '2017-10-03 00:01:00', end_time: '2017-10-03 00:11:00', detail: [{ ip: 'm1', gpus: ['gpu0', 'gpu1'] }, { ip: 'm2', gpus: ['gpu0', 'gpu1'] }] },
      { start_time: '2017-10-03 01:00:00', end_time: '2017-10-03 01:05:00', detail: [{ ip: 'm3', gpus: ['gpu0'] }] }] },
    { status: 'Killed', vc: 'vc1', jobid: 'app_2', user: 'u', submitted_time: '2017-10-03 00:00:00', attempts: [] },
  ];
  const r = parsePhillyTrace(JSON.stringify(jobs, null, 1));
  assert.equal(r.jobs.length, 1);
  assert.deepEqual(r.jobs[0].podSets, [{ name: 'worker', count: 2, gpus: 2 }]);
  assert.equal(r.jobs[0].durationS, 900);
  assert.equal(r.jobs[0].queue, 'vc1');
  assert.equal(r.issues.length, 1);
  assert.match(r.issues[0].message, /app_2: no attempts/);
  const lines = JSON.stringify(jobs, null, 1).split('\n');
  assert.equal(lines[r.issues[0].line - 1].trim(), '{');
  assert.ok(r.issues[0].line > 2);
  assert.throws(() => parsePhillyTrace('{"not": "an array"}'), /JSON array/);
});

test('PAI task table: percent GPUs/CPUs, tasks become podSets of one gang, users from the job table', () => {
  const tasks = ['j1,worker,4,Terminated,1000,1600,600,29.3,50,V100', 'j1,ps,1,Terminated,1000,1700,400,10,,MISC', 'j2,worker,1,Running,1200,,600,29,100,T4', 'j3,worker,x,Terminated,1,2,1,1,1,T4'].join('\n');
  const r = parsePaiTrace(tasks, 'j1,inst1,alice,Terminated,1000,1700');
  assert.equal(r.jobs.length, 1);
  const j = r.jobs[0];
  assert.equal(j.queue, 'alice');
  assert.equal(j.durationS, 700);
  // plan_gpu 50 = half a GPU, kept as a 500 milli-GPU slice (issue 21), not rounded up to a whole GPU.
  assert.deepEqual(j.podSets.map((p) => [p.name, p.count, p.gpus, p.gpuMilli, p.cpuMilli]), [['worker', 4, 0, 500, 6000], ['ps', 1, 0, undefined, 4000]]);
  assert.deepEqual(r.issues.map((i) => i.line), [3, 4]);
});

test('Helios cluster_log: gpus split over nodes, vc is the queue', () => {
  const text = ['job_id,user,vc,jobname,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue_time',
    '1,u1,vcA,j,16,96,2,COMPLETED,2020-04-01 00:00:00,2020-04-01 00:00:10,2020-04-01 01:00:10,3600,10',
    '2,u1,vcB,j,0,4,1,COMPLETED,2020-04-01 00:01:00,,,120,0',
    '3,u1,vcB,j,two,4,1,COMPLETED,2020-04-01 00:01:00,,,120,0'].join('\n');
  const r = parseHeliosTrace(text);
  assert.deepEqual(r.jobs.map((j) => [j.id, j.queue, j.podSets[0].count, j.podSets[0].gpus, j.durationS]), [['1', 'vcA', 2, 8, 3600], ['2', 'vcB', 1, 0, 120]]);
  assert.equal(r.issues[0].line, 4);
});

test('cluster file: errors name the field; defaults fill flavors and equal quota shares', () => {
  assert.throws(() => parseClusterConfig('nodeGroups: []\nqueues: [{name: a}]'), (e: unknown) => e instanceof ClusterConfigError && /^nodeGroups:/.test(e.message));
  assert.throws(() => parseClusterConfig('nodeGroups: [{name: g, count: 1, cpu: "8", memory: lots, gpus: 1}]\nqueues: [{name: a}]'), /nodeGroups\.0\.memory: invalid quantity "lots"/);
  assert.throws(() => parseClusterConfig('nodeGroups: [{name: g, count: 1, cpu: "8", memory: 1Gi, gpus: 1, gpuModel: H100}]\nqueues: [{name: a, quota: {a100: {nvidia.com/gpu: 1}}}]'), /queues\.0\.quota\.a100: unknown flavor/);
  const c = parseClusterConfig('nodeGroups: [{name: g, count: 2, cpu: "8", memory: 64Gi, gpus: 4, gpuModel: H100}]\nqueues: [{name: a, match: [vcX]}, {name: b}]');
  assert.equal(c.totalGpus, 8);
  assert.deepEqual(c.resourceFlavors, [{ name: 'h100', nodeLabels: { 'nvidia.com/gpu.product': 'H100' } }]);
  assert.equal(c.clusterQueues[1].resourceGroups[0].flavors[0].resources.find((r) => r.name === 'nvidia.com/gpu')?.nominalQuota, 4);
  assert.equal(c.queueFor('vcX'), 'a');
  assert.equal(c.queueFor('unknown'), 'a');
  assert.equal(c.queueFor('b'), 'b');
});

test('the shipped example traces and cluster file parse', () => {
  const dir = join(repoRoot(), 'examples', 'traces');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  parseClusterConfig(read('cluster.yaml'));
  assert.ok(parseCapstanTrace(read('capstan-sample.csv')).jobs.length >= 50);
  assert.ok(parsePhillyTrace(read('philly-cluster_job_log.json')).jobs.length >= 30);
  assert.ok(parsePaiTrace(read('pai_task_table.csv'), read('pai_job_table.csv')).jobs.length >= 30);
  assert.ok(parseHeliosTrace(read('helios-cluster_log.csv')).jobs.length >= 30);
});

test('Capstan CSV: gpu_milli is a shared slice per pod, 0-999', () => {
  const text = ['id,submit_time,duration,gpus,gpu_milli', 'a,0,60,0,250', 'b,1,60,1,500', 'c,2,60,0,1000', 'd,3,60,0,half'].join('\n');
  const r = parseCapstanTrace(text);
  assert.deepEqual(r.jobs.map((j) => [j.id, j.podSets[0].gpus, j.podSets[0].gpuMilli]), [['a', 0, 250], ['b', 1, 500]]);
  assert.deepEqual(r.issues.map((i) => [i.line, i.message]), [[4, 'gpu_milli "1000" is not an integer from 0 to 999'], [5, 'gpu_milli "half" is not an integer from 0 to 999']]);
});

test('openb (Alibaba GPU-sharing trace): slices kept as milli-GPU, whole GPUs, durations, bad rows named', async () => {
  const { readFileSync } = await import('node:fs');
  const { parseOpenbTrace } = await import('../../src/sim/trace-openb.js');
  // The fixture is an excerpt of the real trace (see test/sim/fixtures/README.md); tests run from dist/, the fixture stays in the source tree.
  const text = readFileSync(new URL('../../../test/sim/fixtures/openb_pod_list_default.head.csv', import.meta.url), 'utf8');
  const r = parseOpenbTrace(text);
  assert.equal(r.jobs.length, 25);
  assert.equal(r.issues.length, 0);
  const byId = new Map(r.jobs.map((j) => [j.id, j]));
  assert.deepEqual(byId.get('openb-pod-0001')?.podSets[0], { name: 'pod', count: 1, gpus: 0, gpuMilli: 460, cpuMilli: 6000, memoryBytes: 12288 * 2 ** 20, gpuModel: undefined });
  assert.equal(byId.get('openb-pod-0017')?.podSets[0].gpus, 8);
  assert.equal(byId.get('openb-pod-0005')?.podSets[0].gpus, 0);
  assert.equal(byId.get('openb-pod-0022')?.durationS, 9973826 - 9679175);
  assert.equal(byId.get('openb-pod-0022')?.queue, 'BE');
  const bad = parseOpenbTrace(['name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time', 'p,1000,10,1,0,,LS,Running,0,5,0', 'q,1000,10,1,500,V100M16,LS,Running,9,5,9', 'r,1000,10,1,500,V100M16,LS,Running,0,5,0'].join('\n'));
  assert.deepEqual(bad.issues.map((i) => i.line), [2, 3]);
  assert.match(bad.issues[0].message, /gpu_milli "0" is not an integer from 1 to 1000/);
  assert.equal(bad.jobs[0].podSets[0].gpuModel, 'V100M16');
});
