/**
 * The RecurringRun controller: starts PipelineRuns when the schedule says (deterministic names, so
 * a restart never starts one twice), at most maxConcurrency at once, and keeps the newest
 * `keepRuns` finished runs.
 */
import { PipelineRunKind, RecurringRunKind, PIPELINE_LABEL, RECURRING_RUN_LABEL } from '../api/kinds/pipeline-kinds.js';
import type { PipelineRunStatus, RecurringRunSpec, RecurringRunStatus } from '../api/kinds/pipeline-schemas.js';
import type { LocalClient } from '../client/local-client.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { splitKey } from '../controllers/runtime/informer.js';
import { scheduleDue } from './recurring-schedule.js';
import { CREATED_BY } from './task-job.js';

const FINISHED = new Set(['Succeeded', 'Failed', 'Cancelled']);

/** Reconciles RecurringRuns. */
export class RecurringRunController implements Reconciler {
  readonly name = 'recurringrun';

  constructor(private readonly d: { client: LocalClient; events: EventRecorder; now?: () => Date }) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace: ns, name } = splitKey(key);
    const namespace = ns ?? 'default';
    const rr = await this.d.client.tryGet(RecurringRunKind, namespace, name);
    if (!rr || rr.metadata.deletionTimestamp) return;
    const spec = rr.spec as RecurringRunSpec;
    const st = (rr.status ?? {}) as RecurringRunStatus;
    const now = this.d.now ? this.d.now() : new Date();
    const runs = (await this.d.client.list(PipelineRunKind, { namespace, labelSelector: `${RECURRING_RUN_LABEL}=${name}` })).items;
    const active = runs.filter((r) => !FINISHED.has((r.status as PipelineRunStatus | undefined)?.phase ?? ''));
    const finished = runs.filter((r) => FINISHED.has((r.status as PipelineRunStatus | undefined)?.phase ?? '')).sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
    for (const old of finished.slice(spec.keepRuns)) await this.d.client.delete(PipelineRunKind, namespace, old.metadata.name).catch(() => undefined);
    let last = st.lastScheduleTime;
    let started = 0;
    let next: Date | undefined;
    if (spec.enabled) {
      const from = new Date(last ?? spec.schedule.startTime ?? rr.metadata.creationTimestamp ?? now.toISOString());
      const decision = scheduleDue(spec, last ? from : new Date(from.getTime() - 1), now);
      next = decision.next;
      const slots = Math.max(0, spec.maxConcurrency - active.length);
      for (const t of decision.due.slice(0, slots)) {
        const runName = `${name.slice(0, 40)}-${Math.floor(t.getTime() / 1000)}`;
        const createdBy = rr.metadata.annotations?.[CREATED_BY];
        try {
          await this.d.client.create(PipelineRunKind, {
            apiVersion: 'capstan.dev/v1alpha1',
            kind: 'PipelineRun',
            metadata: {
              name: runName,
              namespace,
              labels: { [RECURRING_RUN_LABEL]: name, [PIPELINE_LABEL]: spec.pipeline },
              annotations: { 'capstan.dev/scheduled-time': t.toISOString(), ...(createdBy ? { [CREATED_BY]: createdBy } : {}) },
            },
            spec: { pipeline: spec.pipeline, ...(spec.pipelineVersion ? { pipelineVersion: spec.pipelineVersion } : {}), parameters: spec.parameters, cache: spec.cache, queueName: spec.queueName },
          });
          started++;
          await this.d.events.event(rr, 'Normal', 'RunStarted', `Started ${runName} for ${t.toISOString()}`);
        } catch (err) {
          if ((err as { reason?: string }).reason !== 'AlreadyExists') throw err;
        }
        last = t.toISOString();
      }
      if (decision.due.length > slots && slots === 0 && decision.due.length) {
        // Every slot is taken: the due time waits for a run to finish (re-checked then).
      }
    }
    const status: RecurringRunStatus = {
      observedGeneration: rr.metadata.generation,
      ...(last ? { lastScheduleTime: last } : {}),
      ...(next ? { nextScheduleTime: next.toISOString() } : {}),
      active: active.map((r) => r.metadata.name).concat(started ? [] : []),
      runs: runs.length + started,
    };
    if (JSON.stringify(status) !== JSON.stringify(st)) await this.d.client.updateStatus(RecurringRunKind, { ...rr, status }).catch((err) => {
      if ((err as { reason?: string }).reason !== 'Conflict') throw err;
    });
    if (!spec.enabled || !next) return;
    return { requeueAfterMs: Math.max(50, Math.min(60_000, next.getTime() - now.getTime())) };
  }
}
