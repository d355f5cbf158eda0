// The simulator replays traces through the real core: exact results on tiny traces, policies
// differ as they should, runs are reproducible, and the CLI handles files and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation } from '../../src/sim/simulate.js';
import { parseClusterConfig } from '../../src/sim/cluster-config.js';
import { simMain } from '../../src/sim/cli.js';
import { syntheticTrace, syntheticClusterFile } from '../../src/sim/synthetic.js';
import type { TraceJob } from '../../src/sim/trace-types.js';

const oneNode = parseClusterConfig('nodeGroups: [{name: g, count: 1, cpu: "64", memory: 512Gi, gpus: 8, gpuModel: H100}]\nqueues: [{name: q, quota: {h100: {nvidia.com/gpu: 8}}}]');
const job = (id: string, submit: number, dur: number, gpus: number, priority = 0): TraceJob => ({ id, submitTime: submit, durationS: dur, queue: 'q', priority, podSets: [{ name: 'w', count: 1, gpus }] });

test('fifo vs sjf on a one-node cluster: exact completion times', () => {
  const trace = [job('a', 0, 100, 8), job('b', 1, 50, 8), job('c', 2, 10, 8)];
  const fifo = runSimulation({ trace, cluster: oneNode, policy: 'fifo' });
  // a 0–100, b 100–150, c 150–160
  assert.equal(fifo.jctS.mean, (100 + 149 + 158) / 3);
  assert.equal(fifo.makespanS, 160);
  assert.equal(fifo.gpuUtilisation, 1);
  const sjf = runSimulation({ trace, cluster: oneNode, policy: 'sjf' });
  // a 0–100, then the shorter c 100–110, then b 110–160
  assert.equal(sjf.jctS.mean, (100 + 108 + 159) / 3);
  assert.ok(sjf.jctS.mean < fifo.jctS.mean);
  assert.equal(sjf.queueingDelayS.median, 98);
});

test('priority policy preempts a running low-priority job, which restarts from scratch', () => {
  const trace = [job('low', 0, 100, 8, 0), job('high', 10, 20, 8, 100)];
  const r = runSimulation({ trace, cluster: oneNode, policy: 'priority' });
  assert.equal(r.preemptions, 1);
  // high 10–30, low restarts 30–130
  assert.equal(r.makespanS, 130);
  assert.equal(r.completed, 2);
  const fifo = runSimulation({ trace, cluster: oneNode, policy: 'fifo' });
  assert.equal(fifo.preemptions, 0);
  assert.equal(fifo.makespanS, 120);
});

test('a job larger than any queue can hold is reported as never started, with a reason', () => {
  const r = runSimulation({ trace: [job('ok', 0, 10, 1), { ...job('huge', 0, 10, 8), podSets: [{ name: 'w', count: 2, gpus: 8 }] }], cluster: oneNode, policy: 'fifo' });
  assert.equal(r.neverStarted, 1);
  assert.equal(r.stuck[0].id, 'huge');
  assert.equal(r.stuck[0].reason, 'Inadmissible');
  assert.match(r.stuck[0].message, /needs 16 nvidia.com\/gpu of flavor h100 but ClusterQueue q can hold at most 8/);
});

test('drf shares a saturated cohort by weight; runs are reproducible', () => {
  const cluster = parseClusterConfig(syntheticClusterFile(8, 2));
  const trace = syntheticTrace(300, 2, { meanGapS: 5 });
  const a = runSimulation({ trace, cluster, policy: 'drf' });
  const b = runSimulation({ trace, cluster, policy: 'drf' });
  assert.deepEqual(a, b);
  assert.equal(a.completed, 300);
  const shares = a.queues.map((q) => q.share);
  assert.ok(Math.abs(shares[0] - shares[1]) < 0.3, `shares ${shares.join(', ')}`);
  assert.ok(a.gpuUtilisation > 0.5 && a.gpuUtilisation <= 1);
});

test('simMain: table, JSON and SVG output; usage and input errors as exit codes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-'));
  try {
    writeFileSync(join(dir, 'cluster.yaml'), 'nodeGroups: [{name: g, count: 2, cpu: "64", memory: 512Gi, gpus: 8, gpuModel: H100}]\nqueues: [{name: research}]\n');
    writeFileSync(join(dir, 'trace.csv'), 'id,submit_time,duration,queue,gpus\nj1,0,600,research,4\nj2,60,300,research,8\nbad,x,1,research,1\n');
    let out = '';
    let err = '';
    const io = { out: (s: string) => { out += s; }, err: (s: string) => { err += s; }, setExitCode: false };
    const base = ['--trace', join(dir, 'trace.csv'), '--cluster', join(dir, 'cluster.yaml')];
    assert.equal(await simMain(['sim', ...base, '--policy', 'fifo', '--svg', join(dir, 'u.svg')], io), 0);
    assert.match(out, /policy fifo: 2 jobs, 2 completed/);
    assert.match(err, /skipped 1 malformed row\(s\)[\s\S]*line 4: submit_time "x"/);
    assert.match(readFileSync(join(dir, 'u.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
    out = '';
    assert.equal(await simMain([...base, '--policy', 'drf', '--json'], io), 0);
    const report = JSON.parse(out);
    assert.equal(report.policy, 'drf');
    assert.equal(report.skippedRows, 1);
    assert.equal(await simMain([...base, '--strict'], io), 1);
    assert.equal(await simMain([...base, '--policy', 'lottery'], io), 2);
    assert.match(err, /--policy must be one of fifo, priority, drf, sjf/);
    assert.equal(await simMain(['--cluster', join(dir, 'cluster.yaml')], io), 2);
    assert.equal(await simMain(['--trace', join(dir, 'missing.csv'), '--cluster', join(dir, 'cluster.yaml')], io), 1);
    assert.equal(await simMain([...base, '--bogus'], io), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
