/**
 * The DAG planner, pure: a run's compiled pipeline, parameters, task states, cancel flag and the
 * time in → the next task states, the container tasks to start, the running ones to stop, the
 * run's phase and when to look again (a retry's backoff). No I/O, no clock: the controller acts.
 *
 * Task ids are paths: `train`, `condition-1/train`, `for-loop-2#3/square` (iteration 3).
 */
import type { ArtifactRef, TaskStatus } from '../api/kinds/pipeline-schemas.js';
import { evaluateCondition, parseCondition } from './cel-condition.js';
import type { CompiledDag, CompiledPipeline, CompiledTask, ContainerExec, DagOutput, ParamSource } from './pipeline-model.js';

/** Artifacts as tasks see them: one, or a list (a loop's fan-in). */
export type ArtifactValue = ArtifactRef | ArtifactRef[];

/** What the planner reads. */
export interface PlanInput {
  pipeline: CompiledPipeline;
  runName: string;
  params: Record<string, unknown>;
  tasks: Readonly<Record<string, TaskStatus>>;
  cancel: boolean;
  /** Milliseconds since the epoch. */
  now: number;
}

/** A container task to start now. */
export interface StartTask {
  id: string;
  task: CompiledTask;
  exec: ContainerExec;
  parameters: Record<string, unknown>;
  artifacts: Record<string, ArtifactValue>;
  attempt: number;
}

/** The run's phase as the planner sees it. */
export type PlannedRunPhase = 'Running' | 'Succeeded' | 'Failed' | 'Cancelling' | 'Cancelled';

/** The planner's answer. */
export interface Plan {
  tasks: Record<string, TaskStatus>;
  start: StartTask[];
  stop: string[];
  phase: PlannedRunPhase;
  message: string;
  /** Look again at this time (ms) even if nothing changes. */
  wakeAt?: number;
}

/** Failures that retrying cannot fix. */
const PERMANENT = new Set(['InvalidInput', 'NotRunnable', 'Cancelled']);
const TERMINAL = new Set(['Succeeded', 'Failed', 'Skipped', 'Cancelled']);

/** True for a finished task phase. */
export function isTerminalTask(phase: string | undefined): boolean {
  return phase !== undefined && TERMINAL.has(phase);
}

interface Scope {
  params: Record<string, unknown>;
  artifacts: Record<string, ArtifactValue>;
}

interface Summary {
  done: boolean;
  failed: string[];
  cancelled: boolean;
}

const SKIP = Symbol('skip');

/** Plans one step of a run. */
export function planRun(input: PlanInput): Plan {
  const S: Record<string, TaskStatus> = { ...input.tasks };
  const start: StartTask[] = [];
  const stop: string[] = [];
  let wakeAt: number | undefined;
  const nowIso = new Date(input.now).toISOString();
  const set = (id: string, st: TaskStatus) => {
    S[id] = st;
  };

  const selectValue = (v: unknown, selector: string | undefined, field: string): unknown => {
    if (!selector) return v;
    const m = /^parseJson\(string_value\)((?:\["[^"]*"\]|\[\d+\])*)$/.exec(selector);
    if (!m) throw new Error(`${field}: unsupported parameterExpressionSelector ${selector}`);
    let cur: unknown = typeof v === 'string' ? JSON.parse(v) : v;
    for (const part of m[1]!.match(/\[(?:"[^"]*"|\d+)\]/g) ?? []) {
      const key = part.startsWith('["') ? part.slice(2, -2) : Number(part.slice(1, -1));
      cur = (cur as Record<string | number, unknown> | undefined)?.[key];
    }
    return cur;
  };

  const finalStatus = (id: string, producer: string) => {
    const st = S[id];
    const state = st?.phase === 'Succeeded' ? 'SUCCEEDED' : st?.phase === 'Cancelled' ? 'CANCELED' : st?.phase === 'Skipped' ? 'SKIPPED' : 'FAILED';
    return { state, pipelineJobResourceName: input.runName, pipelineTaskName: producer, error: st?.phase === 'Failed' ? { message: st.message ?? '' } : {} };
  };

  const resolveParam = (src: ParamSource, prefix: string, scope: Scope, field: string): unknown => {
    switch (src.kind) {
      case 'constant':
        return src.value;
      case 'input':
        return src.name in scope.params ? selectValue(scope.params[src.name], src.selector, field) : undefined;
      case 'finalStatus':
        return finalStatus(prefix + src.task, src.task);
      case 'task': {
        const p = S[prefix + src.task];
        if (p?.phase === 'Skipped') return SKIP;
        const out = p?.outputs?.parameters ?? {};
        if (!(src.key in out)) throw new Error(`${field}: task ${src.task} produced no output parameter ${src.key}`);
        return selectValue(out[src.key], src.selector, field);
      }
    }
  };

  /** Resolves a task's inputs in its DAG instance; SKIP when a producer was skipped (a branch not taken). */
  const resolveInputs = (t: CompiledTask, prefix: string, scope: Scope): Scope | typeof SKIP => {
    const params: Record<string, unknown> = {};
    for (const [k, src] of Object.entries(t.params)) {
      const v = resolveParam(src, prefix, scope, `inputs.parameters.${k}`);
      if (v === SKIP) {
        if (t.inputs.parameters[k]?.optional) continue;
        return SKIP;
      }
      if (v !== undefined) params[k] = v;
    }
    for (const [k, def] of Object.entries(t.inputs.parameters)) if (!(k in params) && def.default !== undefined) params[k] = def.default;
    const artifacts: Record<string, ArtifactValue> = {};
    for (const [k, src] of Object.entries(t.artifacts)) {
      if (src.kind === 'input') {
        if (src.name in scope.artifacts) artifacts[k] = scope.artifacts[src.name]!;
        continue;
      }
      const p = S[prefix + src.task];
      if (p?.phase === 'Skipped') {
        if (t.inputs.artifacts[k]?.optional) continue;
        return SKIP;
      }
      const a = p?.outputs?.artifacts?.[src.key];
      if (!a) throw new Error(`inputs.artifacts.${k}: task ${src.task} produced no output artifact ${src.key}`);
      artifacts[k] = a;
    }
    return { params, artifacts };
  };

  const dagOutputs = (dag: CompiledDag, prefixes: string[], collect: boolean): NonNullable<TaskStatus['outputs']> => {
    const pick = (o: DagOutput, kind: 'parameters' | 'artifacts', prefix: string): unknown => {
      for (const f of o.from) {
        const st = S[prefix + f.task];
        if (st?.phase === 'Succeeded' && st.outputs?.[kind] && f.key in st.outputs[kind]!) return st.outputs[kind]![f.key];
      }
      return undefined;
    };
    const parameters: Record<string, unknown> = {};
    const artifacts: Record<string, ArtifactValue> = {};
    for (const [k, o] of Object.entries(dag.outputs.parameters)) {
      const vals = prefixes.map((p) => pick(o, 'parameters', p)).filter((v) => v !== undefined);
      if (collect) parameters[k] = vals;
      else if (vals.length) parameters[k] = vals[0];
    }
    for (const [k, o] of Object.entries(dag.outputs.artifacts)) {
      const vals = prefixes.map((p) => pick(o, 'artifacts', p)).filter((v) => v !== undefined) as ArtifactValue[];
      if (collect) artifacts[k] = vals.flat();
      else if (vals.length) artifacts[k] = vals[0]!;
    }
    return { ...(Object.keys(parameters).length ? { parameters } : {}), ...(Object.keys(artifacts).length ? { artifacts } : {}) };
  };

  const summarize = (dag: CompiledDag, prefix: string): Summary => {
    const s: Summary = { done: true, failed: [], cancelled: false };
    for (const name of dag.order) {
      const st = S[prefix + name];
      if (!isTerminalTask(st?.phase)) s.done = false;
      if (st?.phase === 'Failed') s.failed.push(prefix + name);
      if (st?.phase === 'Cancelled') s.cancelled = true;
    }
    return s;
  };

  const finish = (id: string, st: TaskStatus, phase: TaskStatus['phase'], reason: string, message: string, extra: Partial<TaskStatus> = {}) => {
    set(id, { ...st, phase, reason, message, endTime: nowIso, ...extra });
  };

  const cancelled = (t: CompiledTask) => input.cancel && !t.triggerAll;

  const visitTask = (t: CompiledTask, prefix: string, scope: Scope): void => {
    const id = prefix + t.name;
    let st = S[id];
    if (st?.phase === 'Failed' && t.body.kind === 'container' && t.retry && !input.cancel && !PERMANENT.has(st.reason ?? '') && (st.attempts ?? 1) <= t.retry.maxRetries) {
      const delay = Math.min(t.retry.maxBackoffMs, t.retry.backoffMs * t.retry.factor ** ((st.attempts ?? 1) - 1));
      const at = Date.parse(st.endTime ?? nowIso) + delay;
      st = { ...st, phase: 'Pending', reason: 'Retrying', message: `attempt ${st.attempts ?? 1} failed (${st.message ?? st.reason ?? ''}); retrying`, nextAttemptAt: new Date(at).toISOString() };
      set(id, st);
    }
    if (isTerminalTask(st?.phase)) return;
    if (st?.phase === 'Running') return visitRunning(t, id, st, prefix, scope);
    // Pending: every upstream task must have ended.
    const deps = t.dependsOn.map((d) => ({ name: d, st: S[prefix + d] }));
    if (deps.some((d) => !isTerminalTask(d.st?.phase))) return;
    const base: TaskStatus = { ...(st ?? { phase: 'Pending' }), task: t.name, component: t.component };
    if (cancelled(t)) return finish(id, base, 'Cancelled', 'Cancelled', 'The run was cancelled before this task started.');
    const bad = deps.filter((d) => d.st!.phase === 'Failed' || d.st!.phase === 'Cancelled' || (d.st!.phase === 'Skipped' && d.st!.reason === 'UpstreamFailed'));
    if (bad.length && !t.triggerAll) return finish(id, base, 'Skipped', 'UpstreamFailed', `Not run: upstream ${bad.map((d) => d.name).join(', ')} did not succeed.`);
    let resolved: Scope | typeof SKIP;
    try {
      resolved = resolveInputs(t, prefix, scope);
    } catch (err) {
      return finish(id, base, 'Failed', 'InvalidInput', (err as Error).message);
    }
    if (resolved === SKIP) return finish(id, base, 'Skipped', 'UpstreamSkipped', 'Not run: an input comes from a task that was skipped.');
    if (t.condition) {
      try {
        if (!evaluateCondition(parseCondition(t.condition), resolved.params)) return finish(id, base, 'Skipped', 'ConditionFalse', `Condition is false: ${t.condition}`);
      } catch (err) {
        return finish(id, base, 'Failed', 'InvalidInput', `triggerPolicy.condition: ${(err as Error).message}`);
      }
    }
    if (st?.nextAttemptAt) {
      const at = Date.parse(st.nextAttemptAt);
      if (at > input.now) {
        wakeAt = Math.min(wakeAt ?? at, at);
        return;
      }
    }
    const running: TaskStatus = { ...base, phase: 'Running', startTime: base.startTime ?? nowIso, reason: undefined, message: undefined, nextAttemptAt: undefined, endTime: undefined };
    delete running.reason;
    delete running.message;
    delete running.nextAttemptAt;
    delete running.endTime;
    if (t.body.kind === 'container') {
      const attempt = (st?.attempts ?? 0) + 1;
      set(id, { ...running, attempts: attempt });
      start.push({ id, task: t, exec: t.body.exec, parameters: resolved.params, artifacts: resolved.artifacts, attempt });
      return;
    }
    const inputs = { parameters: resolved.params, artifacts: resolved.artifacts };
    if (t.iterator) {
      const items = t.iterator.items.kind === 'raw' ? t.iterator.items.value : resolved.params[t.iterator.items.name];
      let list: unknown = items;
      if (typeof list === 'string') {
        try {
          list = JSON.parse(list);
        } catch {
          // not JSON: reported as not a list
        }
      }
      if (!Array.isArray(list)) return finish(id, base, 'Failed', 'InvalidInput', `parameterIterator: the loop's items are not a list: ${JSON.stringify(items)?.slice(0, 200)}`);
      set(id, { ...running, inputs, items: list });
    } else set(id, { ...running, inputs });
    visitRunning(t, id, S[id]!, prefix, scope);
  };

  const visitRunning = (t: CompiledTask, id: string, st: TaskStatus, _prefix: string, _scope: Scope): void => {
    if (t.body.kind === 'container') {
      if (cancelled(t)) {
        stop.push(id);
        finish(id, st, 'Cancelled', 'Cancelled', 'Stopped: the run was cancelled.');
      }
      return;
    }
    const dag = t.body.dag;
    const inputs = (st.inputs ?? {}) as { parameters?: Record<string, unknown>; artifacts?: Record<string, ArtifactValue> };
    const childScope: Scope = { params: inputs.parameters ?? {}, artifacts: inputs.artifacts ?? {} };
    if (!t.iterator) {
      visitDag(dag, `${id}/`, childScope);
      const s = summarize(dag, `${id}/`);
      if (!s.done) return;
      if (s.failed.length) return finish(id, st, 'Failed', 'TaskFailed', `Failed: ${s.failed.join(', ')}`);
      if (s.cancelled) return finish(id, st, 'Cancelled', 'Cancelled', 'The run was cancelled.');
      return finish(id, st, 'Succeeded', 'Succeeded', '', { outputs: dagOutputs(dag, [`${id}/`], false) });
    }
    const items = st.items ?? [];
    const limit = t.iterator.parallelism > 0 ? t.iterator.parallelism : Infinity;
    let active = 0;
    const failed: string[] = [];
    let anyCancelled = false;
    let allDone = true;
    for (let i = 0; i < items.length; i++) {
      const prefix = `${id}#${i}/`;
      let s = summarize(dag, prefix);
      if (!s.done) {
        const begun = dag.order.some((n) => S[prefix + n] !== undefined);
        if (!begun && active >= limit) {
          allDone = false;
          continue;
        }
        visitDag(dag, prefix, { params: { ...childScope.params, [t.iterator.itemInput]: items[i] }, artifacts: childScope.artifacts });
        s = summarize(dag, prefix);
        if (!s.done) active++;
      }
      if (!s.done) allDone = false;
      failed.push(...s.failed);
      anyCancelled ||= s.cancelled;
    }
    if (!allDone) return;
    if (failed.length) return finish(id, st, 'Failed', 'TaskFailed', `Failed: ${failed.slice(0, 5).join(', ')}${failed.length > 5 ? ` and ${failed.length - 5} more` : ''}`);
    if (anyCancelled) return finish(id, st, 'Cancelled', 'Cancelled', 'The run was cancelled.');
    finish(id, st, 'Succeeded', 'Succeeded', `${items.length} iteration(s)`, { outputs: dagOutputs(dag, items.map((_, i) => `${id}#${i}/`), true) });
  };

  const visitDag = (dag: CompiledDag, prefix: string, scope: Scope): void => {
    // Topological order: a task that ends now (skip, fail) lets its downstream decide in this pass.
    for (const name of dag.order) visitTask(dag.tasks[name]!, prefix, scope);
  };

  visitDag(input.pipeline.root, '', { params: input.params, artifacts: {} });
  const s = summarize(input.pipeline.root, '');
  let phase: PlannedRunPhase;
  let message: string;
  if (!s.done) {
    phase = input.cancel ? 'Cancelling' : 'Running';
    const running = Object.values(S).filter((x) => x.phase === 'Running').length;
    message = `${running} task(s) running`;
  } else if (s.failed.length) {
    phase = 'Failed';
    message = `Failed: ${s.failed.map((id) => `${id} (${S[id]?.message ?? ''})`).join('; ').slice(0, 1000)}`;
  } else if (input.cancel || s.cancelled) {
    phase = 'Cancelled';
    message = 'The run was cancelled.';
  } else {
    phase = 'Succeeded';
    message = `${Object.values(S).filter((x) => x.phase === 'Succeeded').length} task(s) succeeded`;
  }
  return { tasks: S, start, stop, phase, message, ...(wakeAt !== undefined ? { wakeAt } : {}) };
}

/**
 * Retry from failed: finished tasks are kept; failed, cancelled and not-run tasks (and the DAGs
 * holding them) go back to pending, as do exit handlers downstream of them.
 */
export function resetForRetry(tasks: Readonly<Record<string, TaskStatus>>, runsWhateverUpstream: (id: string) => boolean = () => false): Record<string, TaskStatus> {
  const out: Record<string, TaskStatus> = {};
  const reset = (st: TaskStatus) => st.phase === 'Failed' || st.phase === 'Cancelled' || (st.phase === 'Skipped' && (st.reason === 'UpstreamFailed' || st.reason === 'UpstreamSkipped'));
  const dropped = Object.entries(tasks).filter(([, st]) => reset(st)).map(([id]) => id);
  // A loop or DAG whose child is reset runs again; iterations that succeeded keep their tasks.
  const parents = new Set<string>();
  for (const id of dropped) {
    const parts = id.split('/');
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('/').replace(/#\d+$/, ''));
  }
  for (const [id, st] of Object.entries(tasks)) {
    if (reset(st)) continue;
    // Exit handlers (tasks that ran whatever upstream did) run again with the new outcome.
    if (parents.has(id)) {
      if (st.items || st.inputs) out[id] = { ...st, phase: 'Running', endTime: undefined, reason: undefined, message: undefined };
      continue;
    }
    if (dropped.length && runsWhateverUpstream(id) && st.phase === 'Succeeded') continue;
    out[id] = st;
  }
  for (const st of Object.values(out)) for (const k of ['endTime', 'reason', 'message'] as const) if (st[k] === undefined) delete st[k];
  return out;
}
