/**
 * How a revision's replica is started on the local runtime: the `capstan model-server` command line (or the
 * user's custom command), its probes and its log file. Also the revision template and its stable hash.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PredictorSpec } from '../../api/kinds/inference-service.js';
import type { ProbeSpec, ProcessSpec } from '../../runtime/local/index.js';

/** The predictor settings a revision is made from: changing any of them (or the model) makes a new revision. */
export interface RevisionTemplate {
  runtime: 'onnx' | 'custom';
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  resources?: PredictorSpec['resources'];
  batching?: PredictorSpec['batching'];
  readinessProbe?: PredictorSpec['readinessProbe'];
  livenessProbe?: PredictorSpec['livenessProbe'];
}

/** The template part of a predictor (resources may be overridden for a canary). */
export function templateOf(p: PredictorSpec, resources?: PredictorSpec['resources']): RevisionTemplate {
  const t: RevisionTemplate = { runtime: p.runtime };
  if (p.command) t.command = p.command;
  if (p.args) t.args = p.args;
  if (p.env) t.env = p.env;
  const r = resources ?? p.resources;
  if (r) t.resources = r;
  if (p.batching) t.batching = p.batching;
  if (p.readinessProbe) t.readinessProbe = p.readinessProbe;
  if (p.livenessProbe) t.livenessProbe = p.livenessProbe;
  return t;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Hash of (model digest, template): equal inputs give the same revision, across restarts. */
export function revisionHash(modelSha256: string | undefined, t: RevisionTemplate): string {
  return createHash('sha256').update(canonical({ model: modelSha256 ?? null, t })).digest('hex').slice(0, 10);
}

/** Walks up from this file to the directory holding package.json. */
export function repoRootDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the serving control module');
    dir = up;
  }
  return dir;
}

/** Running from sources (tsx) or from the compiled dist/. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * argv (after node) that runs `capstan model-server ARGS`. It imports the model server's entry directly rather
 * than through bin/capstan.js: the whole CLI's module graph costs about a second of every replica's cold start.
 * Compiled: dist/src/serving/model-server/index.js; under tsx (tests from sources): the .ts entry.
 */
export function modelServerArgv(root: string, args: string[]): string[] {
  const entry = FROM_SOURCES ? join(root, 'src/serving/model-server/index.ts') : join(root, 'dist/src/serving/model-server/index.js');
  const script = `import(${JSON.stringify(pathToFileURL(entry).href)}).then((m) => m.modelServerMain(process.argv.slice(1)))`;
  return [...(FROM_SOURCES ? ['--import', 'tsx'] : []), '-e', script, '--', ...args];
}

function cpuCores(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  const s = String(q);
  const n = s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function probe(kind: 'http' | 'tcp', path: string, t: RevisionTemplate['readinessProbe'], defaults: { delay: number; period: number; threshold: number }): ProbeSpec {
  return {
    kind,
    path,
    initialDelayMs: (t?.initialDelaySeconds ?? defaults.delay) * 1000,
    periodMs: (t?.periodSeconds ?? defaults.period) * 1000,
    timeoutMs: (t?.timeoutSeconds ?? 1) * 1000,
    failureThreshold: t?.failureThreshold ?? defaults.threshold,
  };
}

/** Everything needed to start one replica. */
export interface ReplicaLaunch {
  id: string;
  service: string;
  template: RevisionTemplate;
  /** The cached model file (onnx runtime; optional for custom). */
  modelPath?: string;
  logFile: string;
  /** Scratch directory of the revision (model directory with a batching config). */
  workDir: string;
  root: string;
  /** Replicas of the service running on this machine at once (shares its cores); default 1. */
  replicas?: number;
  /** Cores of this machine; default os.availableParallelism(). */
  cores?: number;
}

/**
 * CPU budget and threads of one replica: N replicas on one machine share its cores (budget =
 * cores / N, at least 1), so N × threads ≤ cores. A CPU request sets the threads (within the budget);
 * without one the model server chooses per model within the budget (session-tuning.ts).
 */
export function replicaThreads(cpuRequest: string | number | undefined, replicas: number, cores: number): { cpuBudget: number; intraOpThreads?: number } {
  const cpuBudget = Math.max(1, Math.floor(cores / Math.max(1, replicas)));
  const req = cpuCores(cpuRequest);
  return req === undefined ? { cpuBudget } : { cpuBudget, intraOpThreads: Math.max(1, Math.min(cpuBudget, Math.ceil(req))) };
}

/** The process spec of a replica. Batching settings become a Triton-style config.json beside a link to the model. */
export function replicaProcessSpec(l: ReplicaLaunch): ProcessSpec {
  const t = l.template;
  const common = { id: l.id, logFile: l.logFile, allocatePort: true, restartPolicy: 'Always' as const, terminationGraceMs: 30_000 };
  if (t.runtime === 'custom') {
    const [cmd, ...rest] = t.command ?? [];
    return {
      ...common,
      command: cmd,
      args: [...rest, ...(t.args ?? [])],
      env: { ...(t.env ?? {}), ...(l.modelPath ? { MODEL_PATH: l.modelPath } : {}), MODEL_NAME: l.service },
      readiness: probe('tcp', '/', t.readinessProbe, { delay: 0, period: 1, threshold: 3 }),
      liveness: probe('tcp', '/', t.livenessProbe, { delay: 10, period: 5, threshold: 3 }),
    };
  }
  let model = l.modelPath ?? '';
  if (t.batching) model = batchingModelDir(l.workDir, model, t.batching);
  const th = replicaThreads(t.resources?.cpu, l.replicas ?? 1, l.cores ?? availableParallelism());
  const msArgs = ['--model', `${l.service}=${model}`, '--http-port', '$(PORT)', '--cpu-budget', String(th.cpuBudget),
    ...(th.intraOpThreads !== undefined ? ['--intra-op-threads', String(th.intraOpThreads)] : []), '--log-level', 'info'];
  return {
    ...common,
    command: process.execPath,
    args: modelServerArgv(l.root, msArgs),
    env: t.env ?? {},
    cwd: l.root,
    readiness: probe('http', '/v2/health/ready', t.readinessProbe, { delay: 0, period: 1, threshold: 3 }),
    liveness: probe('http', '/v2/health/live', t.livenessProbe, { delay: 10, period: 5, threshold: 3 }),
  };
}

function batchingModelDir(workDir: string, modelFile: string, b: NonNullable<RevisionTemplate['batching']>): string {
  const dir = join(workDir, 'model');
  // replicas of a revision share it; the template (hence the content) is fixed per revision
  if (existsSync(join(dir, 'config.json'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '1'), { recursive: true });
  symlinkSync(modelFile, join(dir, '1', 'model.onnx'));
  const config: Record<string, unknown> = {};
  if (b.maxBatchSize !== undefined) config.max_batch_size = b.maxBatchSize;
  config.dynamic_batching = {
    ...(b.maxLatencyMs !== undefined ? { max_queue_delay_microseconds: Math.round(b.maxLatencyMs * 1000) } : {}),
    ...(b.preferredBatchSizes ? { preferred_batch_size: b.preferredBatchSizes } : {}),
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}
