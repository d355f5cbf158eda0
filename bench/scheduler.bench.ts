// Scheduler benchmark: admission + placement throughput with 50k pending workloads across 100
// queues on 5,000 nodes, how it scales with nodes and queues, heap per size, a naive baseline
// (linear node scan, no indexes) in the same run, and simulator speed on a 100k-job trace.
// Prints a table, then one JSON line with every figure.
import v8 from 'node:v8';
import vm from 'node:vm';
import { schedule, createSchedulerState } from '../src/scheduler/index.js';
import type { SchedulerSnapshot } from '../src/scheduler/types.js';
import { syntheticSnapshot, syntheticTrace, syntheticClusterFile } from '../src/sim/synthetic.js';
import { parseClusterConfig } from '../src/sim/cluster-config.js';
import { runSimulation } from '../src/sim/simulate.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const GPU = 'nvidia.com/gpu';

interface Run { label: string; nodes: number; queues: number; pending: number; admitted: number; wallMs: number; cpuMs: number; perSecWall: number; perSecCpu: number; heapMB: number }

function measure(label: string, nodes: number, queues: number, pending: number, explain: boolean): Run {
  const snap = syntheticSnapshot({ nodes, queues, pending });
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const state = createSchedulerState(snap, { explain: false });
  const heapMB = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
  void state;
  gc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const d = schedule(snap, 1_000_000, { explain });
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  return { label, nodes, queues, pending, admitted: d.admissions.length, wallMs, cpuMs, perSecWall: (d.admissions.length / wallMs) * 1000, perSecCpu: (d.admissions.length / cpuMs) * 1000, heapMB };
}

/** Baseline: same queues and order, quota by nominal + cohort pool, but first-fit scan of every node per pod. */
function naiveSchedule(snap: SchedulerSnapshot): number {
  const free = snap.nodes.map((n) => ({ labels: n.labels ?? {}, cpu: n.allocatable.cpu, mem: n.allocatable.memory, gpu: n.allocatable[GPU] ?? 0 }));
  const lq = new Map(snap.localQueues.map((l) => [`${l.namespace}/${l.name}`, l.clusterQueue]));
  const cqs = new Map(snap.clusterQueues.map((q) => [q.name, q]));
  const used = new Map<string, number>();
  const pool = new Map<string, number>();
  for (const q of snap.clusterQueues) for (const f of q.resourceGroups[0].flavors) {
    const k = `${q.cohort}|${f.name}`;
    pool.set(k, (pool.get(k) ?? 0) + (f.resources.find((r) => r.name === GPU)?.nominalQuota ?? 0));
  }
  const order = [...snap.workloads].sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) || a.creationTimestamp - b.creationTimestamp);
  let admitted = 0;
  for (const w of order) {
    const cq = cqs.get(lq.get(`${w.namespace}/${w.queueName}`) ?? '');
    if (!cq) continue;
    const ps = w.podSets[0];
    const need = ps.count * (ps.requests[GPU] ?? 0);
    for (const f of cq.resourceGroups[0].flavors) {
      const k = `${cq.cohort}|${f.name}`;
      if ((used.get(k) ?? 0) + need > (pool.get(k) ?? 0)) continue;
      const sel = snap.resourceFlavors.find((rf) => rf.name === f.name)?.nodeLabels ?? {};
      const picks: number[] = [];
      for (let p = 0; p < ps.count; p++) {
        const i = free.findIndex((n, j) => !picks.includes(j) && Object.entries(sel).every(([lk, lv]) => n.labels[lk] === lv) &&
          n.gpu >= (ps.requests[GPU] ?? 0) && n.cpu >= ps.requests.cpu && n.mem >= ps.requests.memory);
        if (i < 0) break;
        picks.push(i);
      }
      if (picks.length < ps.count) continue;
      for (const i of picks) { free[i].gpu -= ps.requests[GPU] ?? 0; free[i].cpu -= ps.requests.cpu; free[i].mem -= ps.requests.memory; }
      used.set(k, (used.get(k) ?? 0) + need);
      admitted++;
      break;
    }
  }
  return admitted;
}

function measureNaive(nodes: number, queues: number, pending: number): Run {
  const snap = syntheticSnapshot({ nodes, queues, pending });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const admitted = naiveSchedule(snap);
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const cpuMs = (c.user + c.system) / 1000;
  return { label: 'naive scan baseline', nodes, queues, pending, admitted, wallMs, cpuMs, perSecWall: (admitted / wallMs) * 1000, perSecCpu: (admitted / cpuMs) * 1000, heapMB: 0 };
}

function simBench(jobs: number, nodes: number, queues: number, policy: 'fifo' | 'drf') {
  const trace = syntheticTrace(jobs, queues, { meanGapS: 25 });
  const cluster = parseClusterConfig(syntheticClusterFile(nodes, queues));
  gc();
  const t0 = performance.now();
  const r = runSimulation({ trace, cluster, policy });
  const wallMs = performance.now() - t0;
  return { jobs, nodes, queues, policy, wallMs, jobsPerSec: (jobs / wallMs) * 1000, cycles: r.schedulingCycles, utilisation: r.gpuUtilisation, meanJctS: r.jctS.mean, completed: r.completed, heapMB: process.memoryUsage().heapUsed / 2 ** 20 };
}

const runs: Run[] = [];
measure('warm-up', 1000, 20, 5000, true);
runs.push(measure('50k pending, reasons+ETAs', 5000, 100, 50_000, true));
runs.push(measure('50k pending, no explain', 5000, 100, 50_000, false));
runs.push(measure('nodes 1k', 1000, 100, 50_000, true));
runs.push(measure('nodes 20k', 20_000, 100, 50_000, true));
runs.push(measure('queues 10', 5000, 10, 50_000, true));
runs.push(measure('queues 500', 5000, 500, 50_000, true));
const baseline = measureNaive(5000, 100, 50_000);
runs.push(baseline);
const sims = [simBench(100_000, 400, 10, 'fifo'), simBench(20_000, 400, 10, 'drf')];

const pad = (s: string | number, n: number) => String(s).padEnd(n);
console.log('admission + placement (one schedule() call, includes building indexes from the snapshot)');
console.log(`${pad('case', 28)}${pad('nodes', 8)}${pad('queues', 8)}${pad('pending', 9)}${pad('admitted', 10)}${pad('wall ms', 10)}${pad('cpu ms', 10)}${pad('adm/s wall', 12)}${pad('adm/s cpu', 11)}heap MB`);
for (const r of runs) console.log(`${pad(r.label, 28)}${pad(r.nodes, 8)}${pad(r.queues, 8)}${pad(r.pending, 9)}${pad(r.admitted, 10)}${pad(r.wallMs.toFixed(0), 10)}${pad(r.cpuMs.toFixed(0), 10)}${pad(r.perSecWall.toFixed(0), 12)}${pad(r.perSecCpu.toFixed(0), 11)}${r.heapMB.toFixed(0)}`);
const main = runs[0];
console.log(`speed-up of indexed core over naive scan (wall): ${(main.perSecWall / baseline.perSecWall).toFixed(1)}x`);
console.log('\nsimulator (virtual time, same core)');
for (const s of sims) console.log(`${s.policy}: ${s.jobs} jobs on ${s.nodes} nodes / ${s.queues} queues in ${(s.wallMs / 1000).toFixed(1)} s (${s.jobsPerSec.toFixed(0)} jobs/s, ${s.cycles} cycles), GPU util ${(s.utilisation * 100).toFixed(1)}%, heap ${s.heapMB.toFixed(0)} MB`);
console.log(JSON.stringify({ bench: 'scheduler', loadavg: (await import('node:os')).loadavg()[0], admission: runs, speedupVsNaive: main.perSecWall / baseline.perSecWall, simulator: sims }));
