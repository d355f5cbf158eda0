/**
 * CLI of the pipelines capability: `capstan pipelines upload FILE [--name N]` (a KFP v2 pipeline
 * YAML → a Pipeline and its next immutable PipelineVersion), `versions NAME`, `run NAME -p k=v`,
 * `runs [NAME]`, `get RUN` (tasks), `logs RUN TASK`, `cancel RUN`, `retry RUN`,
 * `invalidate-cache RUN TASK`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ApiError } from '../../api/errors.js';
import { PIPELINE_LABEL, PipelineKind, PipelineRunKind, PipelineVersionKind } from '../../api/kinds/pipeline-kinds.js';
import type { PipelineRunSpec, PipelineRunStatus } from '../../api/kinds/pipeline-schemas.js';
import { parseIrDocument } from '../../pipelines/ir-document.js';
import type { CommandEnv } from '../commands/resource-commands.js';
import { logsCommand } from './training-commands.js';

function dnsName(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'pipeline';
}

/** Uploads a pipeline file as the next version; returns the version name. */
export async function uploadPipeline(env: CommandEnv, file: string, name?: string, description?: string): Promise<string> {
  const r = parseIrDocument(readFileSync(file === '-' ? 0 : file, 'utf8'));
  if (!r.ok) throw new ApiError('Invalid', `${file}: ${r.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  const ns = env.ctx.project;
  const pipeline = dnsName(name ?? String((r.doc.pipelineSpec.pipelineInfo as { name?: string } | undefined)?.name ?? 'pipeline'));
  if (!(await env.client.tryGet(PipelineKind, ns, pipeline))) {
    await env.client.create(PipelineKind, { apiVersion: PipelineKind.apiVersion, kind: 'Pipeline', metadata: { name: pipeline, namespace: ns }, spec: {} });
  }
  const existing = (await env.client.list(PipelineVersionKind, { namespace: ns, labelSelector: `${PIPELINE_LABEL}=${pipeline}` })).items;
  const n = Math.max(0, ...existing.map((v) => Number(/-v(\d+)$/.exec(v.metadata.name)?.[1] ?? 0))) + 1;
  const version = `${pipeline}-v${n}`;
  await env.client.create(PipelineVersionKind, {
    apiVersion: PipelineVersionKind.apiVersion,
    kind: 'PipelineVersion',
    metadata: { name: version, namespace: ns, labels: { [PIPELINE_LABEL]: pipeline } },
    spec: { pipeline, ...(description ? { description } : {}), ...r.doc },
  });
  return version;
}

/** `-p k=v` pairs → parameters (values stay text; the server converts them to the declared types). */
export function parseParams(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new ApiError('BadRequest', `-p ${p}: give name=value`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** Adds `capstan pipelines …`. */
export function registerPipelinesCommands(program: Command, env: () => CommandEnv): void {
  const pl = program.command('pipelines').alias('pipeline').description('KFP v2 pipelines: upload, versions, run, runs, get, logs, cancel, retry');
  pl.command('upload')
    .argument('<file>', 'pipeline YAML as the KFP SDK compiles it (- for stdin)')
    .option('--name <name>', 'pipeline name (default pipelineInfo.name)')
    .option('--description <text>', 'version description')
    .action(async (file: string, o: { name?: string; description?: string }) => {
      const e = env();
      e.out(`pipelineversion/${await uploadPipeline(e, file, o.name, o.description)} created\n`);
    });
  pl.command('versions')
    .argument('<pipeline>')
    .action(async (pipeline: string) => {
      const e = env();
      const items = (await e.client.list(PipelineVersionKind, { namespace: e.ctx.project, labelSelector: `${PIPELINE_LABEL}=${pipeline}` })).items;
      for (const v of items) e.out(`${v.metadata.name}\t${v.metadata.creationTimestamp ?? ''}\t${(v.spec as { description?: string }).description ?? ''}\n`);
    });
  const collect = (v: string, prev: string[]) => [...prev, v];
  pl.command('run')
    .argument('<pipeline>', 'pipeline name (its default or newest version runs)')
    .option('-p, --param <k=v>', 'a parameter (repeat)', collect, [] as string[])
    .option('--version <name>', 'run this PipelineVersion')
    .option('--name <run>', 'run name (default <pipeline>-<time>)')
    .option('--no-cache', 'do not read or write the task cache')
    .option('--queue <name>', 'LocalQueue of the tasks')
    .action(async (pipeline: string, o: { param: string[]; version?: string; name?: string; cache: boolean; queue?: string }) => {
      const e = env();
      const name = o.name ?? `${pipeline.slice(0, 40)}-${Date.now().toString(36)}`;
      const spec: Partial<PipelineRunSpec> = { pipeline, parameters: parseParams(o.param), cache: o.cache, ...(o.version ? { pipelineVersion: o.version } : {}), ...(o.queue ? { queueName: o.queue } : {}) };
      await e.client.create(PipelineRunKind, { apiVersion: PipelineRunKind.apiVersion, kind: 'PipelineRun', metadata: { name, namespace: e.ctx.project, labels: { [PIPELINE_LABEL]: pipeline } }, spec });
      e.out(`pipelinerun/${name} created\n`);
    });
  pl.command('runs')
    .argument('[pipeline]')
    .action(async (pipeline: string | undefined) => {
      const e = env();
      const items = (await e.client.list(PipelineRunKind, { namespace: e.ctx.project, ...(pipeline ? { labelSelector: `${PIPELINE_LABEL}=${pipeline}` } : {}) })).items;
      e.out('NAME\tSTATUS\tVERSION\tMESSAGE\n');
      for (const r of items) {
        const s = (r.status ?? {}) as PipelineRunStatus;
        e.out(`${r.metadata.name}\t${s.phase ?? ''}\t${s.pipelineVersion ?? ''}\t${(s.message ?? '').slice(0, 80)}\n`);
      }
    });
  pl.command('get')
    .argument('<run>')
    .description('a run\'s tasks: phase, attempts, cache hit, outputs')
    .action(async (run: string) => {
      const e = env();
      const s = ((await e.client.get(PipelineRunKind, e.ctx.project, run)).status ?? {}) as PipelineRunStatus;
      e.out(`${run}: ${s.phase ?? 'Pending'} ${s.message ?? ''}\nTASK\tPHASE\tATTEMPTS\tCACHED\tOUTPUTS\n`);
      for (const [id, t] of Object.entries(s.tasks ?? {})) e.out(`${id}\t${t.phase}\t${t.attempts ?? ''}\t${t.cacheHit ? 'yes' : ''}\t${JSON.stringify(t.outputs?.parameters ?? {}).slice(0, 100)}${t.message ? `\t${t.message.slice(0, 100)}` : ''}\n`);
    });
  pl.command('logs')
    .argument('<run>')
    .argument('<task>', 'task path, e.g. train or for-loop-2#3/square')
    .option('-f, --follow', 'keep streaming while the task runs')
    .action(async (run: string, task: string, o: { follow?: boolean }) => {
      const e = env();
      const s = ((await e.client.get(PipelineRunKind, e.ctx.project, run)).status ?? {}) as PipelineRunStatus;
      const t = s.tasks?.[task];
      if (!t) throw new ApiError('NotFound', `run ${run} has no task ${task}${s.tasks ? ` (it has ${Object.keys(s.tasks).slice(0, 20).join(', ')})` : ''}`);
      if (!t.job) throw new ApiError('NotFound', `task ${task} ran no process${t.cacheHit ? ' (its outputs came from the cache)' : ''}`);
      await logsCommand(e, [`trainingjob/${t.job}`], { follow: o.follow }, (x) => process.stdout.write(x));
    });
  pl.command('cancel')
    .argument('<run>')
    .action(async (run: string) => {
      const e = env();
      await e.client.patch(PipelineRunKind, e.ctx.project, run, { spec: { cancel: true } });
      e.out(`pipelinerun/${run} cancelling\n`);
    });
  pl.command('retry')
    .argument('<run>')
    .description('run the failed tasks again; finished ones are kept')
    .action(async (run: string) => {
      const e = env();
      const cur = await e.client.get(PipelineRunKind, e.ctx.project, run);
      await e.client.patch(PipelineRunKind, e.ctx.project, run, { spec: { retry: ((cur.spec as PipelineRunSpec).retry ?? 0) + 1, cancel: false } });
      e.out(`pipelinerun/${run} retrying\n`);
    });
  pl.command('invalidate-cache')
    .argument('<run>')
    .argument('<task>')
    .action(async (run: string, task: string) => {
      const e = env();
      const r = await e.client.request<{ removed: boolean }>('DELETE', `/apis/capstan.dev/v1alpha1/namespaces/${encodeURIComponent(e.ctx.project)}/pipelineruns/${encodeURIComponent(run)}/cache?task=${encodeURIComponent(task)}`);
      e.out(r.body.removed ? `cache entry of ${run}/${task} removed\n` : `no cache entry for ${run}/${task}\n`);
    });
}
