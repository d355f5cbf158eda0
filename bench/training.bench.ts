/**
 * Training benchmark (`npm run bench:training`):
 *  1. apply → every replica running, for a 1 + 8 replica PyTorch job on an idle queue (the
 *     platform's overhead: API, queue admission, controller, process start), against a baseline of
 *     spawning the same 9 processes directly;
 *  2. the platform's CPU and memory while 50 small jobs run and finish, against the same platform idle
 *     for as long.
 * The platform runs in this process; prints a table, then one JSON line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HttpClient } from '../src/client/http-client.js';
import { TrainingJobKind } from '../src/api/kinds/training-job.js';
import type { TrainingJobStatus } from '../src/api/kinds/training-job-schema.js';
import { loadServerConfig } from '../src/server/config.js';
import { startPlatform } from '../src/server/platform.js';
import { PLATFORM_MODULES } from '../src/server/platform-modules.js';
import { createTrainingModule } from '../src/training/training-module.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function baselineSpawn(n: number): Promise<number> {
  const t0 = performance.now();
  const kids = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof spawn>>((resolve) => {
    const c = spawn('/bin/sh', ['-c', 'sleep 30'], { detached: true, stdio: 'ignore' });
    c.once('spawn', () => resolve(c));
  })));
  const ms = performance.now() - t0;
  for (const c of kids) process.kill(-c.pid!, 'SIGKILL');
  return ms;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-bench-'));
  const training = createTrainingModule({ gracePeriodMs: 1000 });
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
  const platform = await startPlatform(cfg, { modules: PLATFORM_MODULES.map((m) => (m.name === 'training' ? training : m)) }, pino({ level: 'silent' }));
  const client = new HttpClient({ server: platform.url, token: platform.adminToken! });
  const sh = (script: string, replicas = 1) => ({ replicas, template: { command: ['/bin/sh', '-c', script] } });
  try {
    // 1. apply → 9 replicas running.
    const gang: number[] = [];
    const gangStatus: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < 6; i++) {
      base.push(await baselineSpawn(9));
      const name = `gang-${i}`;
      const t0 = performance.now();
      await client.apply(TrainingJobKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: 'default' }, spec: { framework: 'pytorch', replicaSpecs: { Master: sh('sleep 30'), Worker: sh('sleep 30', 8) } } });
      while (training.runtime!.pids(`default/${name}`).length < 9) await sleep(2);
      gang.push(performance.now() - t0);
      for (;;) {
        const s = ((await client.get(TrainingJobKind, 'default', name)).status ?? {}) as TrainingJobStatus;
        if (s.phase === 'Running') break;
        await sleep(5);
      }
      gangStatus.push(performance.now() - t0);
      await client.delete(TrainingJobKind, 'default', name);
      while (training.runtime!.keys().includes(`default/${name}`)) await sleep(5);
    }
    // The first run warms caches and JIT; report the rest.
    const g = gang.slice(1);
    const gs = gangStatus.slice(1);
    const b = base.slice(1);

    // 2. 50 small jobs: platform CPU and memory against idle.
    const jobs = 50;
    const idleCpu0 = process.cpuUsage();
    const idleT0 = performance.now();
    await sleep(3000);
    const idleMs = performance.now() - idleT0;
    const idleCpuMs = (process.cpuUsage(idleCpu0).user + process.cpuUsage(idleCpu0).system) / 1000;
    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(Array.from({ length: jobs }, (_, i) => client.apply(TrainingJobKind, {
      apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: `small-${i}`, namespace: 'default' },
      spec: { replicaSpecs: { Worker: sh(`echo 'CAPSTAN_METRIC {"loss": 0.${i}}'; sleep 0.5`) } },
    })));
    for (;;) {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      const list = await client.list(TrainingJobKind, { namespace: 'default' });
      const done = list.items.filter((o) => ['Succeeded', 'Failed'].includes(((o.status ?? {}) as TrainingJobStatus).phase ?? '')).length;
      if (done >= jobs) break;
      await sleep(50);
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const failed = (await client.list(TrainingJobKind, { namespace: 'default' })).items.filter((o) => ((o.status ?? {}) as TrainingJobStatus).phase === 'Failed').length;
    const idleCpuPct = (idleCpuMs / idleMs) * 100;
    const busyCpuPct = (cpuMs / wallMs) * 100;

    const rows: Array<[string, string]> = [
      ['1+8 replicas: apply → all 9 processes running, p50', `${pct(g, 50).toFixed(0)} ms`],
      ['1+8 replicas: apply → all 9 processes running, max', `${Math.max(...g).toFixed(0)} ms`],
      ['1+8 replicas: apply → status Running (API), p50', `${pct(gs, 50).toFixed(0)} ms`],
      ['baseline: spawn 9 processes directly, p50', `${pct(b, 50).toFixed(0)} ms`],
      [`${jobs} small jobs: wall time to all finished`, `${(wallMs / 1000).toFixed(1)} s (${failed} failed)`],
      [`${jobs} small jobs: platform CPU`, `${busyCpuPct.toFixed(0)}% of a core (${(cpuMs / jobs).toFixed(0)} ms CPU per job)`],
      ['baseline: same platform idle, CPU', `${idleCpuPct.toFixed(1)}% of a core`],
      [`${jobs} small jobs: platform RSS`, `${(rss0 / 2 ** 20).toFixed(0)} → peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log('Training (local runtime, 2 cores)');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
    console.log(JSON.stringify({
      gang9_apply_to_running_p50_ms: Math.round(pct(g, 50)), gang9_apply_to_running_max_ms: Math.round(Math.max(...g)), gang9_apply_to_status_running_p50_ms: Math.round(pct(gs, 50)),
      baseline_spawn9_p50_ms: Math.round(pct(b, 50)), small_jobs: jobs, small_jobs_wall_s: Number((wallMs / 1000).toFixed(2)), small_jobs_failed: failed,
      small_jobs_platform_cpu_pct: Number(busyCpuPct.toFixed(1)), small_jobs_cpu_ms_per_job: Math.round(cpuMs / jobs), idle_platform_cpu_pct: Number(idleCpuPct.toFixed(2)),
      rss_start_mib: Math.round(rss0 / 2 ** 20), rss_peak_mib: Math.round(rssPeak / 2 ** 20),
    }));
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
