/** CLI commands of the models capability: push, list, versions, pull, alias, rollback, history, compare. */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ApiError } from '../../api/errors.js';
import { ModelVersionKind, modelVersionName, type ModelVersionSpec } from '../../api/kinds/model-version.js';
import { ModelKind, type ModelStatus } from '../../api/kinds/model.js';
import { aliasesAt, parseAtInstant } from '../../registry/alias-history.js';
import { parseModelRef } from '../../registry/model-ref.js';
import { listModelVersions, type ModelVersionObject } from '../../registry/resolve-model-ref.js';
import { pullVersion, pushModel, resolveRemote, sourceSize, type TransferTarget } from '../../registry/transfer-client.js';
import type { CommandEnv } from '../commands/resource-commands.js';
import { formatTable } from '../output.js';

interface PushOptions {
  model: string;
  version?: string;
  format: string;
  metric: string[];
  param: string[];
  tag: string[];
  alias: string[];
  reason?: string;
  description?: string;
  dataset?: string;
  trainingJob?: string;
  parent?: string;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Parses repeated `k=v` flags; `numeric` refuses values that are not numbers (naming the flag). */
export function parsePairs(flag: string, pairs: string[], numeric: boolean): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`--${flag} ${p}: expected key=value`);
    const k = p.slice(0, i);
    const v = p.slice(i + 1);
    if (numeric) {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`--${flag} ${p}: ${v} is not a number`);
      out[k] = n;
    } else out[k] = v;
  }
  return out;
}

function progressBar(label: string, total: number): { tick: (n: number) => void; stop: () => void } {
  // cli-progress draws nothing when stderr is not a terminal, so scripts and logs stay clean
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} MiB | {speed} MiB/s`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let done = 0;
  const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
  bar.start(mib(total), 0, { speed: '0' });
  return {
    tick(n) {
      done += n;
      const secs = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(mib(done), { speed: (mib(done) / secs).toFixed(1) });
    },
    stop: () => bar.stop(),
  };
}

function target(env: CommandEnv): TransferTarget {
  return { server: env.ctx.server, token: env.ctx.token, namespace: env.ctx.project };
}

function modelPath(env: CommandEnv, model: string, rest: string): string {
  return `/apis/${ModelKind.apiVersion}/namespaces/${encodeURIComponent(env.ctx.project)}/models/${encodeURIComponent(model)}${rest}`;
}

async function modelStatus(env: CommandEnv, model: string): Promise<ModelStatus> {
  return ((await env.client.get(ModelKind, env.ctx.project, model)).status ?? {}) as ModelStatus;
}

function byVersion(a: ModelVersionObject, b: ModelVersionObject): number {
  return a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : 1;
}

const VERSION_FLAG_IN_TRANSIT = '--capstan-models-version';

/**
 * `models push --version 1.2.0` would be taken by the program's own `--version` (commander scans
 * program options anywhere on the line), so for a `models` invocation the flag travels under
 * another name through the program's parse and gets its name back in `models`' own parse.
 */
function shieldVersionFlag(program: Command, models: Command): void {
  const rename = (args: string[], from: string, to: string) => args.map((a) => (a === from ? to : a.startsWith(`${from}=`) ? to + a.slice(from.length) : a));
  const programParse = program.parseOptions.bind(program);
  program.parseOptions = (args: string[]) => programParse(args[0] === 'models' ? rename(args, '--version', VERSION_FLAG_IN_TRANSIT) : args);
  const modelsParse = models.parseOptions.bind(models);
  models.parseOptions = (args: string[]) => modelsParse(rename(args, VERSION_FLAG_IN_TRANSIT, '--version'));
}

/** Adds the models commands to the program; `env()` connects lazily. */
export function registerModelsCommands(program: Command, env: () => CommandEnv): void {
  const models = program.command('models').description('model registry: versions, aliases, artifacts');
  shieldVersionFlag(program, models);

  models
    .command('push <path>')
    .description('upload a model file or directory and register it as a version')
    .requiredOption('--model <name>', 'model name')
    .option('--version <semver>', 'version (default: next patch)')
    .option('--format <format>', 'model format (onnx is inspected; others are stored as they are)', 'onnx')
    .option('--metric <k=v>', 'metric (repeatable)', collect, [])
    .option('--param <k=v>', 'parameter (repeatable)', collect, [])
    .option('--tag <k=v>', 'tag (repeatable)', collect, [])
    .option('--alias <name>', 'point this alias at the new version (repeatable)', collect, [])
    .option('--reason <text>', 'why (recorded with alias moves)')
    .option('--description <text>', 'description')
    .option('--dataset <uri>', 'lineage: dataset')
    .option('--training-job <name>', 'lineage: training job')
    .option('--parent <version>', 'lineage: parent version')
    .action(async (path: string, o: PushOptions) => {
      const e = env();
      const meta = {
        ...(o.version ? { version: o.version } : {}),
        format: o.format,
        metrics: parsePairs('metric', o.metric, true),
        params: parsePairs('param', o.param, false),
        tags: parsePairs('tag', o.tag, false),
        aliases: o.alias,
        ...(o.reason ? { reason: o.reason } : {}),
        ...(o.description ? { description: o.description } : {}),
        lineage: { ...(o.dataset ? { dataset: o.dataset } : {}), ...(o.trainingJob ? { trainingJob: o.trainingJob } : {}), ...(o.parent ? { parentVersion: o.parent } : {}) },
      };
      const bar = progressBar('push', await sourceSize(path));
      let mv: ModelVersionObject;
      try {
        mv = await pushModel(target(e), o.model, path, meta, bar.tick);
      } finally {
        bar.stop();
      }
      e.out(`modelversion/${mv.metadata.name} registered: ${mv.spec.model}@${mv.spec.version} sha256:${mv.spec.artifact.sha256} (${mv.spec.artifact.size} bytes)`);
    });

  models
    .command('list')
    .description('list models with their latest version and aliases')
    .action(async () => {
      const e = env();
      const items = (await e.client.list(ModelKind, { namespace: e.ctx.project })).items;
      e.out(formatTable(['NAME', 'LATEST', 'VERSIONS', 'ALIASES'], items.map((m) => {
        const s = (m.status ?? {}) as ModelStatus;
        return [m.metadata.name, s.latestVersion ?? '', String(s.versionCount ?? ''), Object.entries(s.aliases ?? {}).map(([a, t]) => `${a}=${t.version}`).join(',')];
      })));
    });

  models
    .command('versions <model>')
    .description('list the versions of a model')
    .action(async (model: string) => {
      const e = env();
      const [versions, status] = await Promise.all([listModelVersions(e.client, e.ctx.project, model), modelStatus(e, model).catch(() => ({}) as ModelStatus)]);
      const aliasesOf = (v: string) => Object.entries(status.aliases ?? {}).filter(([, t]) => t.version === v).map(([a]) => a).join(',');
      e.out(formatTable(['VERSION', 'FORMAT', 'SIZE', 'SHA256', 'ALIASES', 'CREATED'], versions.sort(byVersion).map((v) => [
        v.spec.version, v.spec.format, String(v.spec.artifact.size), v.spec.artifact.sha256.slice(0, 12), aliasesOf(v.spec.version), v.metadata.creationTimestamp,
      ])));
    });

  models
    .command('pull <ref>')
    .description('download a version (digits@production, digits@^1.2, digits@1.2.0, digits): each file sha256-verified and fsynced before it gets its name; an interrupted pull resumes')
    .requiredOption('-o, --output <dir>', 'directory to write into')
    .action(async (ref: string, o: { output: string }) => {
      const e = env();
      const parsed = parseModelRef(ref);
      const mv = await resolveRemote(target(e), parsed.model, parsed.raw);
      const bar = progressBar('pull', mv.spec.artifact.size);
      let files: string[];
      let resumed = 0;
      try {
        files = await pullVersion(target(e), mv, o.output, bar.tick, (r) => (resumed += r.resumedFrom));
      } finally {
        bar.stop();
      }
      const note = resumed > 0 ? `, resumed after ${resumed} bytes kept from an interrupted pull` : '';
      e.out(`pulled ${mv.spec.model}@${mv.spec.version} (sha256 verified${note}): ${files.join(', ')}`);
    });

  models
    .command('alias <model> <alias> <version>')
    .description('point an alias at a version (atomic, recorded with who and why)')
    .option('--reason <text>', 'why', '')
    .action(async (model: string, alias: string, version: string, o: { reason: string }) => {
      const e = env();
      await e.client.request('PUT', modelPath(e, model, `/aliases/${encodeURIComponent(alias)}`), { version, reason: o.reason });
      e.out(`${model}@${alias} → ${version}`);
    });

  models
    .command('rollback <model> <alias>')
    .description('move an alias back to the version it pointed at before')
    .option('--reason <text>', 'why', '')
    .action(async (model: string, alias: string, o: { reason: string }) => {
      const e = env();
      const { body } = await e.client.request<{ status?: ModelStatus }>('POST', modelPath(e, model, `/aliases/${encodeURIComponent(alias)}/rollback`), { reason: o.reason });
      e.out(`${model}@${alias} rolled back to ${body.status?.aliases?.[alias]?.version ?? '?'}`);
    });

  models
    .command('history <model>')
    .description('every alias move (time, alias, from, to, who, reason); --at DATE shows where aliases pointed then')
    .option('--alias <name>', 'only this alias')
    .option('--at <date>', 'which version each alias pointed to at this date (2026-03-03 = end of that day, UTC) or timestamp')
    .action(async (model: string, o: { alias?: string; at?: string }) => {
      const e = env();
      const history = ((await modelStatus(e, model)).aliasHistory ?? []).filter((h) => !o.alias || h.alias === o.alias);
      if (o.at) {
        const at = aliasesAt(history, parseAtInstant(o.at, '--at'));
        e.out(formatTable(['ALIAS', 'VERSION'], Object.entries(at).sort().map(([a, v]) => [a, v])));
        return;
      }
      e.out(formatTable(['TIME', 'ALIAS', 'FROM', 'TO', 'WHO', 'REASON'], history.map((h) => [
        h.at, h.alias, h.from ?? '-', h.to ?? '(removed)', h.by, `${h.rollback ? '[rollback] ' : ''}${h.reason}`,
      ])));
    });

  models
    .command('compare <model> <versions...>')
    .description('metrics (and params) of versions side by side')
    .action(async (model: string, versions: string[]) => {
      const e = env();
      const objs = await Promise.all(versions.map(async (v) => {
        const o = await e.client.get(ModelVersionKind, e.ctx.project, modelVersionName(model, v));
        // spec.model is the identity: a name stored before "-v<digit>" versions were refused may be another model's
        if ((o.spec as ModelVersionSpec).model !== model) throw new ApiError('NotFound', `model ${model} has no version ${v} in project ${e.ctx.project}`);
        return o;
      }));
      const specs = objs.map((o) => o.spec as ModelVersionSpec);
      const metricKeys = [...new Set(specs.flatMap((s) => Object.keys(s.metrics)))].sort();
      const paramKeys = [...new Set(specs.flatMap((s) => Object.keys(s.params)))].sort();
      const rows = [
        ...metricKeys.map((k) => [k, ...specs.map((s) => (s.metrics[k] === undefined ? '-' : String(s.metrics[k])))]),
        ...paramKeys.map((k) => [`param:${k}`, ...specs.map((s) => s.params[k] ?? '-')]),
      ];
      e.out(formatTable(['METRIC', ...specs.map((s) => s.version)], rows));
    });
}
