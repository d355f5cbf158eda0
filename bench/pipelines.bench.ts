/**
 * Pipelines benchmark (`npm run bench:pipelines`), the platform in this process:
 *  1. scheduling overhead per task: a chain of 12 tasks, each printing a timestamp when it starts
 *     and just before it exits; overhead = next task's start − previous task's end (process exit,
 *     TrainingJob status, planner, the next TrainingJob, its Workload and admission, process start);
 *     baseline: the same for one TrainingJob after another, applied by a client watching them;
 *  2. a 1,000-task parallelFor with parallelism 50 (each task sleeps 0.2 s): wall time against the
 *     ideal (1,000 / 50 × 0.2 s), platform CPU per task and the run controller's reconcile time.
 * Prints a table, then one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HttpClient } from '../src/client/http-client.js';
import { PipelineKind, PipelineRunKind, PipelineVersionKind } from '../src/api/kinds/pipeline-kinds.js';
import type { PipelineRunStatus } from '../src/api/kinds/pipeline-schemas.js';
import { TrainingJobKind } from '../src/api/kinds/training-job.js';
import type { TrainingJobStatus } from '../src/api/kinds/training-job-schema.js';
import { loadServerConfig } from '../src/server/config.js';
import { startPlatform } from '../src/server/platform.js';
import { PLATFORM_MODULES } from '../src/server/platform-modules.js';
import { createPipelinesModule } from '../src/pipelines/pipelines-module.js';
import { taskDirs } from '../src/pipelines/task-files.js';
import { readFileSync } from 'node:fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const STAMP = 'date +%s%N > "$0"; ';
const resources = { resourceCpuRequest: '10m' };

function chainIr(n: number): Record<string, unknown> {
  const tasks: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) tasks[`t${i}`] = { componentRef: { name: 'comp-stamp' }, cachingOptions: { enableCache: false }, taskInfo: { name: `t${i}` }, ...(i ? { dependentTasks: [`t${i - 1}`] } : {}) };
  return {
    pipelineInfo: { name: 'chain' },
    components: { 'comp-stamp': { executorLabel: 'exec-stamp', outputDefinitions: { parameters: { end: { parameterType: 'STRING' } } } } },
    deploymentSpec: { executors: { 'exec-stamp': { container: { image: 'busybox', command: ['sh', '-c', `${STAMP}date +%s%N > "$1"`], args: ['start', "{{$.outputs.parameters['end'].output_file}}"], resources } } } },
    root: { dag: { tasks } },
    schemaVersion: '2.1.0',
  };
}

function fanOutIr(parallelism: number): Record<string, unknown> {
  return {
    pipelineInfo: { name: 'fanout' },
    components: {
      'comp-work': { executorLabel: 'exec-work', inputDefinitions: { parameters: { x: { parameterType: 'NUMBER_INTEGER' } } } },
      'comp-loop': {
        dag: { tasks: { work: { componentRef: { name: 'comp-work' }, cachingOptions: { enableCache: false }, inputs: { parameters: { x: { componentInputParameter: 'item' } } }, taskInfo: { name: 'work' } } } },
        inputDefinitions: { parameters: { items: { parameterType: 'LIST' }, item: { parameterType: 'NUMBER_INTEGER' } } },
      },
    },
    deploymentSpec: { executors: { 'exec-work': { container: { image: 'busybox', command: ['sleep', '0.2'], resources } } } },
    root: {
      dag: { tasks: { loop: { componentRef: { name: 'comp-loop' }, inputs: { parameters: { items: { componentInputParameter: 'items' } } }, parameterIterator: { itemInput: 'item', items: { inputParameter: 'items' } }, iteratorPolicy: { parallelismLimit: parallelism }, taskInfo: { name: 'loop' } } } },
      inputDefinitions: { parameters: { items: { parameterType: 'LIST' } } },
    },
    schemaVersion: '2.1.0',
  };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-bench-'));
  const pipelines = createPipelinesModule();
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
  const platform = await startPlatform(cfg, { modules: PLATFORM_MODULES.map((m) => (m.name === 'pipelines' ? pipelines : m)) }, pino({ level: 'silent' }));
  const client = new HttpClient({ server: platform.url, token: platform.adminToken! });
  const ns = 'default';
  let reconcileMs = 0;
  let reconciles = 0;
  const ctl = pipelines.controller!;
  const orig = ctl.reconcile.bind(ctl);
  ctl.reconcile = async (key: string) => {
    const t0 = performance.now();
    try {
      return await orig(key);
    } finally {
      reconcileMs += performance.now() - t0;
      reconciles++;
    }
  };
  const upload = async (name: string, spec: Record<string, unknown>) => {
    await client.create(PipelineKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Pipeline', metadata: { name, namespace: ns }, spec: {} });
    await client.create(PipelineVersionKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineVersion', metadata: { name: `${name}-v1`, namespace: ns, labels: { 'capstan.dev/pipeline': name } }, spec: { pipeline: name, pipelineSpec: spec } });
  };
  const runToEnd = async (name: string, pipeline: string, parameters: Record<string, unknown>, timeoutMs: number) => {
    await client.create(PipelineRunKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineRun', metadata: { name, namespace: ns }, spec: { pipeline, parameters } });
    const until = Date.now() + timeoutMs;
    for (;;) {
      const o = await client.get(PipelineRunKind, ns, name);
      const st = (o.status ?? {}) as PipelineRunStatus;
      if (st.phase === 'Succeeded' || st.phase === 'Failed') return { o, st };
      if (Date.now() > until) throw new Error(`${name} did not finish: ${st.message}`);
      await sleep(100);
    }
  };
  try {
    // 1. Scheduling overhead along a chain.
    const N = 12;
    await upload('chain', chainIr(N));
    const { o: chainRun, st: chain } = await runToEnd('chain-1', 'chain', {}, 120_000);
    if (chain.phase !== 'Succeeded') throw new Error(`chain failed: ${chain.message}`);
    const ns2ms = (s: string) => Number(BigInt(s.trim()) / 1000n) / 1000;
    const startOf = (i: number) => ns2ms(readFileSync(join(taskDirs(dataDir, ns, chainRun.metadata.uid, `t${i}`, 1).root, 'start'), 'utf8'));
    const gaps: number[] = [];
    for (let i = 1; i < N; i++) gaps.push(startOf(i) - ns2ms(String(chain.tasks![`t${i - 1}`]!.outputs!.parameters!.end)));
    // Baseline: one TrainingJob after another, the next applied as soon as a client sees the previous one succeed.
    const base: number[] = [];
    for (let i = 0; i < 6; i++) {
      const name = `base-${i}`;
      const file = join(dataDir, `${name}.stamp`);
      await client.create(TrainingJobKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: ns }, spec: { replicaSpecs: { Step: { template: { command: ['sh', '-c', `date +%s%N > ${file}.start; date +%s%N > ${file}.end`], resources: { cpu: '10m' } } } } } });
      for (;;) {
        const st = ((await client.get(TrainingJobKind, ns, name)).status ?? {}) as TrainingJobStatus;
        if (st.phase === 'Succeeded') break;
        await sleep(5);
      }
      if (i > 0) base.push(ns2ms(readFileSync(`${file}.start`, 'utf8')) - ns2ms(readFileSync(join(dataDir, `base-${i - 1}.stamp.end`), 'utf8')));
    }

    // 2. A 1,000-task fan-out with parallelism 50.
    const TASKS = Number(process.env.BENCH_PIPELINE_TASKS ?? 1000);
    const P = 50;
    await upload('fanout', fanOutIr(P));
    reconcileMs = 0;
    reconciles = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { st: fan } = await runToEnd('fanout-1', 'fanout', { items: Array.from({ length: TASKS }, (_, i) => i) }, 30 * 60_000);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (fan.phase !== 'Succeeded') throw new Error(`fan-out failed: ${fan.message}`);
    const idealS = (TASKS / P) * 0.2;
    const cpuPerTaskMs = (cpu.user + cpu.system) / 1000 / TASKS;

    const rows: Array<[string, string]> = [
      [`chain of ${N}: upstream end → downstream start, p50 / max`, `${pct(gaps, 50).toFixed(0)} ms / ${Math.max(...gaps).toFixed(0)} ms`],
      ['baseline: TrainingJob after TrainingJob by a polling client, p50', `${pct(base, 50).toFixed(0)} ms`],
      [`fan-out ${TASKS} tasks, parallelism ${P}, 0.2 s each: wall / ideal`, `${wallS.toFixed(1)} s / ${idealS.toFixed(1)} s (${(wallS / idealS).toFixed(2)}x)`],
      ['platform CPU per task (whole process: API, queue, training, pipelines)', `${cpuPerTaskMs.toFixed(1)} ms`],
      ['run controller reconcile time per task (wall, includes its awaits)', `${(reconcileMs / TASKS).toFixed(1)} ms (${reconciles} reconciles)`],
    ];
    const w = Math.max(...rows.map(([k]) => k.length));
    console.log('Pipelines (local runtime, 2 cores, in-process platform)');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
    console.log(JSON.stringify({
      chainOverheadP50Ms: Math.round(pct(gaps, 50)),
      chainOverheadMaxMs: Math.round(Math.max(...gaps)),
      baselineJobAfterJobP50Ms: Math.round(pct(base, 50)),
      fanOutTasks: TASKS,
      parallelism: P,
      fanOutWallS: Number(wallS.toFixed(2)),
      fanOutIdealS: idealS,
      platformCpuPerTaskMs: Number(cpuPerTaskMs.toFixed(2)),
      controllerReconcileMsPerTask: Number((reconcileMs / TASKS).toFixed(2)),
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
