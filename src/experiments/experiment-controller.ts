/**
 * The Experiment controller: level-triggered, like every reconciler here. Each pass reads the
 * experiment and its trials, syncs every trial with its TrainingJob, applies the median stopping
 * rule to running trials, decides completion (goal, budgets, exhausted grid), and otherwise asks
 * the search algorithm for as many new trials as parallelTrialCount allows. Trial names are the
 * experiment's and an index, and the algorithms are deterministic, so a restart neither loses
 * nor duplicates a trial. On success the best trial's model is registered.
 */
import type { Logger } from 'pino';
import { setCondition } from '../api/conditions.js';
import { ExperimentKind } from '../api/kinds/experiment.js';
import { parameterSpace, settingsRecord, type ExperimentSpec, type ExperimentStatus } from '../api/kinds/experiment-schema.js';
import { EXPERIMENT_LABEL, TrialKind } from '../api/kinds/trial.js';
import type { KubeObject } from '../api/meta.js';
import type { LocalClient } from '../client/local-client.js';
import type { ReconcileResult, Reconciler } from '../controllers/runtime/controller.js';
import type { EventRecorder } from '../controllers/runtime/event-recorder.js';
import { splitKey } from '../controllers/runtime/informer.js';
import { ALGORITHMS } from '../tuning/algorithms.js';
import { medianStop, medianStopSettings } from '../tuning/median-stopping.js';
import { seedFromText } from '../tuning/suggestion.js';
import { registerBestTrial, type BestModelDeps } from './best-model.js';
import { completionOf, countTrials, optimalTrial, searchHistory, trialsToStart, type Completion, type TrialView } from './experiment-state.js';
import { buildTrial } from './trial-factory.js';
import type { TrialMetricReader } from './trial-metrics.js';
import { stopJob, syncTrial, writeTrialStatus, type SyncedTrial, type TrialSyncDeps } from './trial-sync.js';

/** What the controller is built from. */
export interface ExperimentControllerDeps {
  client: LocalClient;
  events: EventRecorder;
  log: Logger;
  reader: TrialMetricReader;
  best: Omit<BestModelDeps, 'client' | 'events'>;
  now?: () => Date;
  /** How often running trials' metrics are read (default 2 s). */
  pollMs?: number;
}

/** Reconciles Experiments. */
export class ExperimentController implements Reconciler {
  readonly name = 'experiment';
  private readonly sync: TrialSyncDeps;

  constructor(private readonly d: ExperimentControllerDeps) {
    this.sync = { client: d.client, events: d.events, reader: d.reader, now: () => this.now() };
  }

  private now(): Date {
    return this.d.now ? this.d.now() : new Date();
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const exp = await this.d.client.tryGet(ExperimentKind, namespace, name);
    // Deleted: trials and their jobs go with it (owner references).
    if (!exp || exp.metadata.deletionTimestamp) return;
    const spec = exp.spec as ExperimentSpec;
    const st = (exp.status ?? {}) as ExperimentStatus;
    const listed = await this.d.client.list(TrialKind, { namespace, labelSelector: `${EXPERIMENT_LABEL}=${name}` });
    const owned = listed.items.filter((t) => (t.metadata.ownerReferences ?? []).some((r) => r.uid === exp.metadata.uid));
    const synced: SyncedTrial[] = [];
    for (const t of owned) synced.push(await syncTrial(this.sync, t));
    if (spec.earlyStopping) await this.earlyStop(spec, synced);
    const views = synced.map((s) => s.view);

    const terminal = st.phase === 'Succeeded' || st.phase === 'Failed';
    const completedCount = views.filter((v) => !['Pending', 'Running'].includes(v.phase)).length;
    // Katib's resume: raising maxTrialCount of an experiment that ran out of trials continues it, unless resumePolicy is Never.
    const resumable = terminal && spec.resumePolicy !== 'Never' && st.completionReason === 'MaxTrialsReached' && spec.maxTrialCount !== undefined && spec.maxTrialCount > completedCount;
    let completion: Completion | undefined = terminal && !resumable ? { phase: st.phase as Completion['phase'], reason: st.completionReason as Completion['reason'], message: '' } : completionOf(spec, views, st.searchExhausted === true && !resumable);
    let exhausted = st.searchExhausted === true;
    let templateError: string | undefined;
    if (!completion) {
      const want = trialsToStart(spec, views);
      if (want > 0) {
        const r = await this.startTrials(exp, spec, views, want);
        exhausted = r.exhausted;
        templateError = r.error;
        views.push(...r.created);
        if (exhausted) completion = completionOf(spec, views, true);
        if (templateError) completion = { phase: 'Failed', reason: 'TrialTemplateInvalid', message: `A trial's template does not render to a valid job: ${templateError}` };
      }
    }
    if (completion) await this.complete(synced, views);
    return this.writeStatus(exp, spec, st, views, completion, exhausted, terminal && !resumable);
  }

  private async earlyStop(spec: ExperimentSpec, synced: SyncedTrial[]): Promise<void> {
    const settings = medianStopSettings(settingsRecord(spec.earlyStopping!.algorithmSettings));
    const completed = synced.filter((s) => s.view.phase === 'Succeeded').map((s) => s.series);
    for (const s of synced) {
      if (s.view.phase !== 'Running' || s.series.length === 0) continue;
      const decision = medianStop(spec.objective.type, completed, s.series, settings);
      if (!decision.stop) continue;
      const message = `Median stopping rule: best ${spec.objective.objectiveMetricName} ${decision.best} after ${decision.step} reports is worse than the median ${Number(decision.median!.toPrecision(6))} of ${completed.length} completed trials' running averages.`;
      s.trial = await writeTrialStatus(this.sync, s.trial, 'EarlyStopped', 'EarlyStopped', message);
      s.view = { ...s.view, phase: 'EarlyStopped' };
      await stopJob(this.sync, s.job);
    }
  }

  private async startTrials(exp: KubeObject, spec: ExperimentSpec, views: TrialView[], want: number): Promise<{ created: TrialView[]; exhausted: boolean; error?: string }> {
    const settings = settingsRecord(spec.algorithm.algorithmSettings);
    const seed = settings.random_state !== undefined ? Number(settings.random_state) : seedFromText(`${exp.metadata.namespace}/${exp.metadata.name}`);
    const space = parameterSpace(spec.parameters);
    const result = ALGORITHMS[spec.algorithm.algorithmName]({ space, history: searchHistory(spec, views), count: want, seed, goal: spec.objective.type, settings });
    const created: TrialView[] = [];
    let next = views.reduce((m, v) => Math.max(m, v.index + 1), 0);
    for (const assignment of result.assignments) {
      const index = next++;
      const built = buildTrial(exp, spec, index, assignment);
      if (!built.trial) return { created, exhausted: false, error: built.error };
      try {
        const t = await this.d.client.create(TrialKind, built.trial);
        await this.d.events.event(exp, 'Normal', 'TrialCreated', `Created trial ${t.metadata.name}: ${Object.entries(assignment).map(([k, v]) => `${k}=${v}`).join(', ')}`);
      } catch (err) {
        // Created by an earlier pass whose informer event has not arrived yet: the next pass sees it.
        if ((err as { reason?: string }).reason !== 'AlreadyExists') throw err;
        return { created, exhausted: false };
      }
      created.push({ name: built.trial.metadata.name, index, phase: 'Pending', assignment, parameterAssignments: spec.parameters.map((p) => ({ name: p.name, value: assignment[p.name] ?? '' })), metrics: [] });
    }
    return { created, exhausted: result.exhausted };
  }

  // Trials still pending or running when the experiment completes are killed: their jobs are suspended.
  private async complete(synced: SyncedTrial[], views: TrialView[]): Promise<void> {
    for (const s of synced) {
      if (s.view.phase !== 'Pending' && s.view.phase !== 'Running') continue;
      s.trial = await writeTrialStatus(this.sync, s.trial, 'Killed', 'ExperimentCompleted', 'The experiment completed; this trial was stopped.');
      const v = views.find((x) => x.name === s.view.name);
      if (v) v.phase = 'Killed';
      await stopJob(this.sync, s.job);
    }
  }

  private async writeStatus(exp: KubeObject, spec: ExperimentSpec, st: ExperimentStatus, views: TrialView[], completion: Completion | undefined, exhausted: boolean, wasTerminal: boolean): Promise<ReconcileResult | void> {
    const now = this.now().toISOString();
    const counts = countTrials(views);
    const best = optimalTrial(spec, views);
    let next: ExperimentStatus = {
      ...st,
      ...counts,
      observedGeneration: exp.metadata.generation,
      startTime: st.startTime ?? now,
      ...(exhausted ? { searchExhausted: true } : {}),
      ...(best ? { currentOptimalTrial: { bestTrialName: best.name, parameterAssignments: best.parameterAssignments, observation: { metrics: best.metrics } } } : {}),
    };
    let conditions = setCondition(st.conditions, { type: 'Created', status: 'True', reason: 'ExperimentCreated', message: 'The experiment was accepted.' }, now);
    if (completion && !wasTerminal) {
      next = { ...next, phase: completion.phase, completionReason: completion.reason, completionTime: now };
      conditions = setCondition(conditions, { type: 'Running', status: 'False', reason: completion.reason, message: completion.message }, now);
      conditions = setCondition(conditions, { type: completion.phase, status: 'True', reason: completion.reason, message: completion.message }, now);
      await this.d.events.event(exp, completion.phase === 'Succeeded' ? 'Normal' : 'Warning', completion.reason, completion.message);
    } else if (!completion) {
      const message = `${counts.trialsRunning} running, ${counts.trialsPending} pending, ${counts.trialsSucceeded} succeeded of ${counts.trials} trials${best ? `; best so far ${best.name}` : ''}.`;
      next = { ...next, phase: 'Running', completionReason: undefined, completionTime: undefined };
      conditions = setCondition(conditions, { type: 'Running', status: 'True', reason: 'ExperimentRunning', message }, now);
      for (const t of ['Succeeded', 'Failed']) if (conditions.some((c) => c.type === t && c.status === 'True')) conditions = setCondition(conditions, { type: t, status: 'False', reason: 'ExperimentRestarted', message: 'maxTrialCount was raised: the experiment runs again.' }, now);
    }
    next.conditions = conditions;
    if (next.completionReason === undefined) delete next.completionReason;
    if (next.completionTime === undefined) delete next.completionTime;
    if (next.phase === 'Succeeded' && best && !next.registeredModelVersion && !conditions.some((c) => c.type === 'ModelRegistered')) {
      const r = await registerBestTrial({ ...this.d.best, client: this.d.client, events: this.d.events }, exp, spec, best);
      if (r.version) next.registeredModelVersion = r.version;
      if (r.message) next.conditions = setCondition(next.conditions, { type: 'ModelRegistered', status: r.version ? 'True' : 'False', reason: r.version ? 'ModelRegistered' : 'ModelNotRegistered', message: r.message }, now);
    }
    if (JSON.stringify(next) !== JSON.stringify(st)) {
      try {
        await this.d.client.updateStatus(ExperimentKind, { ...exp, status: next });
      } catch (err) {
        // A newer version (spec edited, or another pass): the watch brings a fresh reconcile.
        if ((err as { reason?: string }).reason !== 'Conflict' && (err as { reason?: string }).reason !== 'NotFound') throw err;
      }
    }
    if (next.phase === 'Running') return { requeueAfterMs: this.d.pollMs ?? 2000 };
  }
}
