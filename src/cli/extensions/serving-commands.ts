/** CLI commands of the serving capability: `logs` (InferenceService and TrainingJob replicas) and `rollout status|promote|rollback`. */
import type { Command } from 'commander';
import { ApiError } from '../../api/errors.js';
import { InferenceServiceKind, type InferenceServiceSpec, type InferenceServiceStatus } from '../../api/kinds/inference-service.js';
import { ModelKind, type ModelStatus } from '../../api/kinds/model.js';
import type { KubeObject } from '../../api/meta.js';
import { resourcePath } from '../../client/http-client.js';
import type { CommandEnv } from '../commands/resource-commands.js';
import { parseKindArgs } from '../kind-arg.js';
import { formatTable } from '../output.js';

interface LogsOptions {
  follow?: boolean;
  replica?: string;
  revision?: string;
  role?: string;
  tail?: string;
}

/** Streams `GET {path}` to stdout (the response body is plain text). */
async function streamText(env: CommandEnv, path: string): Promise<void> {
  const res = await fetch(env.ctx.server.replace(/\/+$/, '') + path, { headers: env.ctx.token ? { authorization: `Bearer ${env.ctx.token}` } : {} });
  if (!res.ok) {
    const text = await res.text();
    let msg = text;
    try {
      msg = String((JSON.parse(text) as { message?: string }).message ?? text);
    } catch {
      // plain text error
    }
    throw new ApiError('BadRequest', msg);
  }
  if (!res.body) return;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(chunk);
}

function rolloutTarget(env: CommandEnv, arg: string): { namespace: string; name: string } {
  const { kind, names } = parseKindArgs(env.kinds, [arg]);
  if (kind.kind !== 'InferenceService' || names.length !== 1) throw new Error(`rollout works on one InferenceService: isvc/NAME, got "${arg}"`);
  return { namespace: env.ctx.project, name: names[0]! };
}

function describeRollout(o: KubeObject): string {
  const s = (o.status ?? {}) as InferenceServiceStatus;
  const rows = (s.revisions ?? []).map((r) => {
    const t = s.traffic?.find((x) => x.revision === r.name);
    const model = r.model.modelVersion ?? r.model.storageUri ?? r.model.ref ?? 'custom';
    return [r.name, r.role, `${r.readyReplicas}/${r.desiredReplicas}`, t ? `${t.percent}%` : '0%', model, r.reason ?? ''];
  });
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  const head = `inferenceservice/${o.metadata.name}: ${ready?.status === 'True' ? 'Ready' : 'NotReady'} (${ready?.reason ?? 'Unknown'}) ${ready?.message ?? ''}`;
  return `${head}\n${formatTable(['REVISION', 'ROLE', 'READY', 'TRAFFIC', 'MODEL', 'REASON'], rows)}`;
}

function settled(o: KubeObject): boolean {
  const s = (o.status ?? {}) as InferenceServiceStatus;
  return s.observedGeneration === o.metadata.generation && s.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && !(s.revisions ?? []).some((r) => r.role === 'rolling' || r.role === 'retiring');
}

/** The spec patch that promotes the canary (spec.canary's model, or KServe's canaryTrafficPercent) to all traffic. */
export function promotePatch(spec: InferenceServiceSpec): Record<string, unknown> {
  if (spec.canary) {
    return { spec: { predictor: { model: spec.canary.model ?? null, storageUri: spec.canary.storageUri ?? null }, canary: null } };
  }
  if (spec.predictor.canaryTrafficPercent !== undefined) return { spec: { predictor: { canaryTrafficPercent: null } } };
  throw new Error('nothing to promote: the service has no canary (spec.canary or predictor.canaryTrafficPercent)');
}

/** The spec patch that rolls back: drop the canary, or return the predictor to the previous stable revision's model. */
export function rollbackPatch(spec: InferenceServiceSpec, status: InferenceServiceStatus): Record<string, unknown> {
  if (spec.canary) return { spec: { canary: null } };
  if (spec.predictor.canaryTrafficPercent !== undefined && status.latestRevision !== status.stableRevision) return { spec: { predictor: { canaryTrafficPercent: 0 } } };
  const prev = status.previousRevision?.model;
  if (!prev) throw new Error('nothing to roll back to: no previous revision is recorded');
  if (prev.storageUri) return { spec: { predictor: { storageUri: prev.storageUri, model: null } } };
  const model = prev.ref?.split('@')[0];
  if (model && prev.version) return { spec: { predictor: { model: `${model}@${prev.version}`, storageUri: null } } };
  throw new Error(`the previous revision ${status.previousRevision?.name} has no model reference to return to`);
}

/** The correlation id of the alias move behind a model reference (`digits@production`), if it recorded one. */
async function aliasCorrelation(e: CommandEnv, namespace: string, ref: string | undefined): Promise<string | undefined> {
  const at = ref?.indexOf('@') ?? -1;
  if (!ref || at < 0) return undefined;
  const model = await e.client.tryGet(ModelKind, namespace, ref.slice(0, at));
  return (model?.status as ModelStatus | undefined)?.aliases?.[ref.slice(at + 1)]?.correlationId;
}

/** Adds the serving commands to the program; `env()` connects lazily. */
export function registerServingCommands(program: Command, env: () => CommandEnv): void {
  program
    .command('logs')
    .description("print a replica's log: isvc/NAME (--replica N, --revision R) or trainingjob/NAME (--role R, --replica N)")
    .argument('<target>', 'KIND/NAME, e.g. isvc/digits')
    .option('-f, --follow', 'keep streaming new lines')
    .option('--replica <n>', 'replica index', '0')
    .option('--revision <name>', 'InferenceService revision (default: the stable one)')
    .option('--role <role>', 'TrainingJob replica role (default: the first)')
    .option('--tail <lines>', 'only the last N lines')
    .action(async (target: string, o: LogsOptions) => {
      const e = env();
      const { kind, names } = parseKindArgs(e.kinds, [target]);
      if (names.length !== 1) throw new Error('give one object: KIND/NAME');
      const q = new URLSearchParams();
      if (o.follow) q.set('follow', 'true');
      if (kind.kind === 'InferenceService') {
        q.set('replica', o.replica ?? '0');
        if (o.revision) q.set('revision', o.revision);
        if (o.tail) q.set('tail', o.tail);
      } else if (kind.kind === 'TrainingJob') {
        q.set('index', o.replica ?? '0');
        if (o.role) q.set('role', o.role);
      } else throw new Error(`logs are kept for InferenceServices and TrainingJobs, not ${kind.kind}`);
      await streamText(e, `${resourcePath(kind, e.ctx.project, names[0]!)}/log?${q}`);
    });

  const rollout = program.command('rollout').description('watch, promote or roll back an InferenceService rollout');
  rollout
    .command('status')
    .argument('<target>', 'isvc/NAME')
    .option('--timeout <seconds>', 'give up after this long', '120')
    .option('--no-wait', 'print the current state and return')
    .action(async (target: string, o: { timeout: string; wait: boolean }) => {
      const e = env();
      const { namespace, name } = rolloutTarget(e, target);
      const end = Date.now() + Number(o.timeout) * 1000;
      let last = '';
      for (;;) {
        const obj = await e.client.get(InferenceServiceKind, namespace, name);
        const text = describeRollout(obj);
        if (text !== last) e.out(text);
        last = text;
        if (!o.wait || settled(obj)) return;
        if (Date.now() > end) {
          process.exitCode = 1;
          e.out(`timed out after ${o.timeout} s`);
          return;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  rollout
    .command('promote')
    .argument('<target>', 'isvc/NAME')
    .description('send all traffic to the canary: it becomes the predictor')
    .action(async (target: string) => {
      const e = env();
      const { namespace, name } = rolloutTarget(e, target);
      const obj = await e.client.get(InferenceServiceKind, namespace, name);
      const spec = obj.spec as InferenceServiceSpec;
      // The promotion joins the flow of the alias move that started the canary (one correlation id in the audit log).
      const cid = await aliasCorrelation(e, namespace, spec.canary?.model ?? spec.predictor.model);
      await e.client.request('PATCH', resourcePath(InferenceServiceKind, namespace, name), promotePatch(spec), 'application/merge-patch+json', cid ? { 'x-capstan-correlation-id': cid } : {});
      e.out(`inferenceservice/${name} promoted`);
    });
  rollout
    .command('rollback')
    .argument('<target>', 'isvc/NAME')
    .description('drop the canary, or return to the previous stable revision')
    .action(async (target: string) => {
      const e = env();
      const { namespace, name } = rolloutTarget(e, target);
      const obj = await e.client.get(InferenceServiceKind, namespace, name);
      await e.client.patch(InferenceServiceKind, namespace, name, rollbackPatch(obj.spec as InferenceServiceSpec, (obj.status ?? {}) as InferenceServiceStatus));
      e.out(`inferenceservice/${name} rolled back`);
    });
}
