/**
 * The pipelines capability's platform module: the PipelineRun and RecurringRun controllers, the
 * checks on PipelineVersions (the KFP IR compiles, and a version never changes), and the route
 * that invalidates a task's cache entry.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest, invalid } from '../api/errors.js';
import { PIPELINE_LABEL, PipelineKind, PipelineRunKind, PipelineVersionKind, RecurringRunKind } from '../api/kinds/pipeline-kinds.js';
import type { PipelineRunStatus, RecurringRunSpec } from '../api/kinds/pipeline-schemas.js';
import { TrainingJobKind } from '../api/kinds/training-job.js';
import { FsBlobStore } from '../artifacts/index.js';
import { canonicalJson } from '../store/canonical-json.js';
import { ownerKeyOf } from '../controllers/runtime/controller.js';
import type { PlatformModule } from '../server/platform-module.js';
import { compileKfpIr } from './kfp-ir-compiler.js';
import { PipelineModelSteps } from './model-steps.js';
import { PipelineRunController } from './pipeline-run-controller.js';
import { cronProblem } from './recurring-schedule.js';
import { RecurringRunController } from './recurring-run-controller.js';
import { TaskCache } from './task-cache.js';
import { PipelineStatusController } from './pipeline-status-controller.js';

const OBJECT_ROUTE = '/apis/:group/:version/namespaces/:namespace/:plural/:name';
const COLLECTION_ROUTE = '/apis/:group/:version/namespaces/:namespace/:plural';

/** Knobs (tests shorten them). */
export interface PipelinesModuleOptions {
  concurrency?: number;
}

/** Refuses PipelineVersions whose IR does not compile, any change to a version's spec, and bad cron expressions. */
export function installPipelineGuards(app: FastifyInstance, ctx: { client: import('../client/local-client.js').LocalClient }): void {
  app.addHook('preHandler', async (req) => {
    const route = req.routeOptions.url;
    if (route !== OBJECT_ROUTE && route !== COLLECTION_ROUTE) return;
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return;
    const p = req.params as { group?: string; plural?: string; namespace?: string; name?: string };
    if (p.group !== PipelineVersionKind.group) return;
    const body = req.body as { spec?: Record<string, unknown>; metadata?: { name?: string } } | undefined;
    if (p.plural === RecurringRunKind.plural && body?.spec) {
      const s = body.spec.schedule as RecurringRunSpec['schedule'] | undefined;
      const problem = s?.cron ? cronProblem(s.cron, s.timezone) : undefined;
      if (problem) throw invalid('RecurringRun', p.name ?? body.metadata?.name ?? '', [{ field: 'spec.schedule.cron', message: problem }]);
      return;
    }
    if (p.plural !== PipelineVersionKind.plural) return;
    const name = p.name ?? body?.metadata?.name ?? '';
    if (p.name) {
      const cur = await ctx.client.tryGet(PipelineVersionKind, p.namespace!, p.name);
      if (cur) {
        const ct = String(req.headers['content-type'] ?? '');
        const next = ct.includes('merge-patch') || (req.method === 'PATCH' && !ct.includes('apply-patch')) ? (body?.spec === undefined ? cur.spec : { ...(cur.spec as object), ...body.spec }) : body?.spec;
        if (next !== undefined && canonicalJson(next) !== canonicalJson(cur.spec)) throw new ApiError('Invalid', `PipelineVersion ${p.name} is immutable: upload a new version instead`, { kind: 'PipelineVersion', name: p.name, causes: [{ field: 'spec', message: 'a PipelineVersion never changes' }] });
        return;
      }
    }
    if (!body?.spec || typeof body.spec !== 'object') return;
    const r = compileKfpIr(body.spec.pipelineSpec, body.spec.platformSpec);
    if (!r.ok) throw invalid('PipelineVersion', name, r.problems.slice(0, 50).map((x) => ({ field: x.field.startsWith('platforms') ? `spec.platformSpec.${x.field}` : `spec.pipelineSpec.${x.field}`, message: x.message })));
  });
}

/** Builds the pipelines module. */
export function createPipelinesModule(opts: PipelinesModuleOptions = {}): PlatformModule & { controller?: PipelineRunController } {
  const mod: PlatformModule & { controller?: PipelineRunController } = {
    name: 'pipelines',
    install(ctx) {
      const log = ctx.log.child({ module: 'pipelines' });
      const artifacts = new FsBlobStore({ root: join(ctx.cfg.dataDir, 'pipelines', 'artifacts') });
      const cache = new TaskCache(join(ctx.cfg.dataDir, 'pipelines', 'cache'));
      const jobs = ctx.manager.informer(TrainingJobKind);
      const controller = new PipelineRunController({
        cachedJob: (ns, name) => jobs.get(`${ns}/${name}`),
        client: ctx.client,
        artifacts,
        cache,
        models: new PipelineModelSteps({ client: ctx.client, dataDir: ctx.cfg.dataDir, log }),
        events: ctx.recorder('pipelinerun-controller'),
        log,
        dataDir: ctx.cfg.dataDir,
        // The module is this capability's entry point: the one place it reads the server's environment.
        path: ctx.cfg.environment.PATH,
      });
      mod.controller = controller;
      ctx.manager.add(controller, {
        primary: ctx.manager.informer(PipelineRunKind),
        watches: [{ informer: jobs, map: ownerKeyOf('PipelineRun') }],
        concurrency: opts.concurrency ?? 4,
      });
      ctx.manager.add(new RecurringRunController({ client: ctx.client, events: ctx.recorder('recurringrun-controller') }), {
        primary: ctx.manager.informer(RecurringRunKind),
        watches: [{ informer: ctx.manager.informer(PipelineRunKind), map: (o) => { const n = o.metadata.labels?.['capstan.dev/recurring-run']; return n ? [`${o.metadata.namespace}/${n}`] : []; } }],
        concurrency: 1,
      });
      ctx.manager.add(new PipelineStatusController(ctx.client), {
        primary: ctx.manager.informer(PipelineKind),
        watches: [{ informer: ctx.manager.informer(PipelineVersionKind), map: (o) => { const n = o.metadata.labels?.[PIPELINE_LABEL]; return n ? [`${o.metadata.namespace}/${n}`] : []; } }],
        concurrency: 1,
      });
      installPipelineGuards(ctx.app, ctx);
      // "Invalidate cache for this task": the entry its last attempt wrote or read goes.
      ctx.app.delete(`/apis/${PipelineRunKind.group}/${PipelineRunKind.version}/namespaces/:namespace/${PipelineRunKind.plural}/:name/cache`, async (req) => {
        if (!ctx.subjectOf(req)) throw new ApiError('Unauthorized', 'a bearer token is required');
        const { namespace, name } = req.params as { namespace: string; name: string };
        const task = (req.query as { task?: string }).task;
        if (!task) throw badRequest('give ?task=<task path>', 'task');
        const run = await ctx.client.get(PipelineRunKind, namespace, name);
        const t = (run.status as PipelineRunStatus | undefined)?.tasks?.[task];
        if (!t) throw badRequest(`run ${name} has no task ${task}`, 'task');
        const removed = t.cacheKey ? cache.delete(namespace, t.cacheKey) : false;
        return { kind: 'CacheInvalidation', run: name, task, cacheKey: t.cacheKey ?? null, removed };
      });
    },
  };
  return mod;
}

/** Installs the pipelines capability with its defaults. */
export const pipelinesModule: PlatformModule = createPipelinesModule();
