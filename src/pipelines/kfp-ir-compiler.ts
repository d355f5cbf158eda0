/**
 * KFP v2 pipeline IR (the YAML `kfp.compiler` writes) → Capstan's internal form, pure. Checks what
 * KFP's backend checks before running: components and producers exist, inputs are wired and typed
 * (an INT output into a STRING input is refused), no cycles, conditions parse, placeholders name
 * declared inputs and outputs. Every problem names its field; unsupported fields are problems.
 */
import { parseCondition } from './cel-condition.js';
import { applyPlatformSpec, durationMs, obj, onlyFields, readExecutor, readInterface, typesCompatible, valueHasType } from './kfp-ir-components.js';
import type { ArtifactSource, CompiledDag, CompiledPipeline, CompiledTask, ContainerExec, DagOutput, FieldProblem, Interface, ParamSource, ParamType } from './pipeline-model.js';
import { checkPlaceholders } from './placeholders.js';

/** The result: a pipeline, or the problems found. */
export type CompileResult = { ok: true; pipeline: CompiledPipeline } | { ok: false; problems: FieldProblem[] };

const TOP_FIELDS = ['pipelineInfo', 'root', 'components', 'deploymentSpec', 'schemaVersion', 'sdkVersion', 'defaultPipelineRoot'];
const TASK_FIELDS = ['componentRef', 'inputs', 'dependentTasks', 'taskInfo', 'cachingOptions', 'triggerPolicy', 'parameterIterator', 'iteratorPolicy', 'retryPolicy', 'artifactIterator'];

interface Ctx {
  components: Record<string, unknown>;
  deployment: Record<string, unknown> | undefined;
  execs: Map<string, ContainerExec>;
  problems: FieldProblem[];
  /** Components being compiled (a DAG that contains itself is a cycle). */
  stack: string[];
}

/** Compiles a KFP v2 pipeline spec (and its optional platform spec document). */
export function compileKfpIr(spec: unknown, platform?: unknown): CompileResult {
  const problems: FieldProblem[] = [];
  const s = obj(spec);
  if (!s) return { ok: false, problems: [{ field: 'pipelineSpec', message: 'must be an object (the KFP v2 pipeline YAML)' }] };
  onlyFields(s, TOP_FIELDS, 'pipelineSpec', problems);
  const info = obj(s.pipelineInfo);
  if (!info || typeof info.name !== 'string' || !info.name) problems.push({ field: 'pipelineInfo.name', message: 'is required' });
  if (s.schemaVersion !== undefined && !/^2\.[01]\./.test(String(s.schemaVersion))) problems.push({ field: 'schemaVersion', message: `unsupported schema version ${String(s.schemaVersion)}: use 2.0.x or 2.1.x (KFP SDK 2)` });
  const root = obj(s.root);
  if (!root || !obj(root.dag)) problems.push({ field: 'root.dag', message: 'is required' });
  const ctx: Ctx = { components: obj(s.components) ?? {}, deployment: obj(s.deploymentSpec), execs: new Map(), problems, stack: [] };
  if (problems.length) return { ok: false, problems };
  onlyFields(root!, ['dag', 'inputDefinitions', 'outputDefinitions'], 'root', problems);
  const inputs = readInterface(root!.inputDefinitions, 'root.inputDefinitions', problems);
  const dag = compileDag(root!.dag, 'root.dag', inputs, ctx);
  applyPlatformSpec(obj(platform), ctx.execs, problems);
  for (const [label, exec] of ctx.execs) {
    if (exec.registerModel && !(exec.registerModel.artifact in outputsOfExecutor(ctx, label).artifacts)) problems.push({ field: `platforms.capstan.deploymentSpec.executors.${label}.registerModel.artifact`, message: `no output artifact ${exec.registerModel.artifact}` });
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, pipeline: { name: String(info!.name), ...(typeof info!.description === 'string' ? { description: info!.description } : {}), inputs, root: dag } };
}

function outputsOfExecutor(ctx: Ctx, label: string): Interface {
  for (const c of Object.values(ctx.components)) {
    const co = obj(c);
    if (co?.executorLabel === label) return readInterface(co.outputDefinitions, '', []);
  }
  return { parameters: {}, artifacts: {} };
}

function compileDag(raw: unknown, at: string, scope: Interface, ctx: Ctx): CompiledDag {
  const d = obj(raw) ?? {};
  onlyFields(d, ['tasks', 'outputs'], at, ctx.problems);
  const rawTasks = obj(d.tasks) ?? {};
  if (Object.keys(rawTasks).length === 0) ctx.problems.push({ field: `${at}.tasks`, message: 'a DAG needs at least one task' });
  const tasks: Record<string, CompiledTask> = {};
  for (const [name, t] of Object.entries(rawTasks)) {
    const task = compileTask(name, t, `${at}.tasks.${name}`, ctx);
    if (task) tasks[name] = task;
  }
  for (const t of Object.values(tasks)) wireTask(t, tasks, scope, `${at}.tasks.${t.name}`, ctx);
  const order = topoOrder(tasks, at, ctx);
  const outputs = { parameters: {} as Record<string, DagOutput>, artifacts: {} as Record<string, DagOutput> };
  const o = obj(d.outputs) ?? {};
  onlyFields(o, ['parameters', 'artifacts'], `${at}.outputs`, ctx.problems);
  for (const [k, v] of Object.entries(obj(o.parameters) ?? {})) {
    const f = `${at}.outputs.parameters.${k}`;
    const vo = obj(v) ?? {};
    const sel = obj(vo.valueFromParameter) ? [vo.valueFromParameter] : ((obj(vo.valueFromOneof)?.parameterSelectors as unknown[]) ?? []);
    if (!sel.length) ctx.problems.push({ field: f, message: 'needs valueFromParameter or valueFromOneof' });
    outputs.parameters[k] = { from: sel.map((x) => ({ task: String(obj(x)?.producerSubtask), key: String(obj(x)?.outputParameterKey) })) };
    for (const x of outputs.parameters[k]!.from) if (!tasks[x.task]) ctx.problems.push({ field: `${f}`, message: `producerSubtask ${x.task} is not a task of this DAG` });
  }
  for (const [k, v] of Object.entries(obj(o.artifacts) ?? {})) {
    const f = `${at}.outputs.artifacts.${k}`;
    const sel = ((obj(v)?.artifactSelectors as unknown[]) ?? []).map((x) => ({ task: String(obj(x)?.producerSubtask), key: String(obj(x)?.outputArtifactKey) }));
    if (!sel.length) ctx.problems.push({ field: f, message: 'needs artifactSelectors' });
    for (const x of sel) if (!tasks[x.task]) ctx.problems.push({ field: f, message: `producerSubtask ${x.task} is not a task of this DAG` });
    outputs.artifacts[k] = { from: sel };
  }
  return { tasks, order, outputs };
}

function compileTask(name: string, raw: unknown, at: string, ctx: Ctx): CompiledTask | undefined {
  const t = obj(raw);
  if (!t) return ctx.problems.push({ field: at, message: 'must be an object' }), undefined;
  onlyFields(t, TASK_FIELDS, at, ctx.problems);
  if (t.artifactIterator !== undefined) ctx.problems.push({ field: `${at}.artifactIterator`, message: 'loops over artifacts are not supported; loop over a parameter list' });
  const compName = String(obj(t.componentRef)?.name ?? '');
  const comp = obj(ctx.components[compName]);
  if (!comp) return ctx.problems.push({ field: `${at}.componentRef.name`, message: `unknown component ${JSON.stringify(compName)}` }), undefined;
  const cf = `components.${compName}`;
  onlyFields(comp, ['executorLabel', 'dag', 'inputDefinitions', 'outputDefinitions'], cf, ctx.problems);
  const inputs = readInterface(comp.inputDefinitions, `${cf}.inputDefinitions`, ctx.problems);
  const outputs = readInterface(comp.outputDefinitions, `${cf}.outputDefinitions`, ctx.problems);
  let body: CompiledTask['body'];
  if (typeof comp.executorLabel === 'string') {
    let exec = ctx.execs.get(comp.executorLabel);
    if (!exec) {
      exec = readExecutor(ctx.deployment, comp.executorLabel, `${cf}.executorLabel`, ctx.problems);
      if (!exec) return undefined;
      ctx.execs.set(comp.executorLabel, exec);
      for (const [field, items] of [['command', exec.command], ['args', exec.args]] as const) {
        for (const m of checkPlaceholders(items, inputs, outputs)) ctx.problems.push({ field: `deploymentSpec.executors.${comp.executorLabel}.container.${field}`, message: m });
      }
    }
    body = { kind: 'container', exec };
  } else if (comp.dag) {
    if (ctx.stack.includes(compName)) return ctx.problems.push({ field: `${at}.componentRef.name`, message: `component ${compName} contains itself` }), undefined;
    ctx.stack.push(compName);
    body = { kind: 'dag', dag: compileDag(comp.dag, `${cf}.dag`, inputs, ctx) };
    ctx.stack.pop();
  } else {
    return ctx.problems.push({ field: cf, message: 'needs executorLabel or dag' }), undefined;
  }
  const task: CompiledTask = { name, component: compName, dependsOn: [], params: {}, artifacts: {}, cache: true, triggerAll: false, inputs, outputs, body };
  const deps = t.dependentTasks ?? [];
  if (!Array.isArray(deps)) ctx.problems.push({ field: `${at}.dependentTasks`, message: 'must be a list of task names' });
  else task.dependsOn = deps.map(String);
  const caching = obj(t.cachingOptions);
  if (caching) {
    onlyFields(caching, ['enableCache'], `${at}.cachingOptions`, ctx.problems);
    task.cache = caching.enableCache === true;
  }
  const trig = obj(t.triggerPolicy);
  if (trig) {
    onlyFields(trig, ['condition', 'strategy'], `${at}.triggerPolicy`, ctx.problems);
    if (trig.strategy !== undefined && trig.strategy !== 'ALL_UPSTREAM_TASKS_SUCCEEDED' && trig.strategy !== 'ALL_UPSTREAM_TASKS_COMPLETED') ctx.problems.push({ field: `${at}.triggerPolicy.strategy`, message: `unsupported strategy ${String(trig.strategy)}` });
    task.triggerAll = trig.strategy === 'ALL_UPSTREAM_TASKS_COMPLETED';
    if (typeof trig.condition === 'string' && trig.condition) {
      try {
        const c = parseCondition(trig.condition);
        for (const p of c.params) if (!(p in inputs.parameters)) ctx.problems.push({ field: `${at}.triggerPolicy.condition`, message: `reads input ${p}, which component ${compName} does not declare` });
        task.condition = trig.condition;
      } catch (err) {
        ctx.problems.push({ field: `${at}.triggerPolicy.condition`, message: `cannot parse: ${(err as Error).message}` });
      }
    }
  }
  const retry = obj(t.retryPolicy);
  if (retry) {
    onlyFields(retry, ['maxRetryCount', 'backoffDuration', 'backoffFactor', 'backoffMaxDuration'], `${at}.retryPolicy`, ctx.problems);
    const backoffMs = durationMs(retry.backoffDuration);
    const maxBackoffMs = retry.backoffMaxDuration === undefined ? 3_600_000 : durationMs(retry.backoffMaxDuration);
    if (backoffMs === undefined) ctx.problems.push({ field: `${at}.retryPolicy.backoffDuration`, message: 'must be a duration like "5s"' });
    if (maxBackoffMs === undefined) ctx.problems.push({ field: `${at}.retryPolicy.backoffMaxDuration`, message: 'must be a duration like "3600s"' });
    const n = Number(retry.maxRetryCount ?? 0);
    if (!Number.isInteger(n) || n < 0 || n > 100) ctx.problems.push({ field: `${at}.retryPolicy.maxRetryCount`, message: 'must be an integer 0..100' });
    task.retry = { maxRetries: n, backoffMs: backoffMs ?? 0, factor: Number(retry.backoffFactor ?? 2) || 2, maxBackoffMs: maxBackoffMs ?? 3_600_000 };
  }
  const iter = obj(t.parameterIterator);
  if (iter) {
    onlyFields(iter, ['itemInput', 'items'], `${at}.parameterIterator`, ctx.problems);
    const items = obj(iter.items) ?? {};
    const itemInput = String(iter.itemInput ?? '');
    if (!(itemInput in inputs.parameters)) ctx.problems.push({ field: `${at}.parameterIterator.itemInput`, message: `${itemInput} is not an input of ${compName}` });
    const policy = obj(t.iteratorPolicy);
    const parallelism = Number(policy?.parallelismLimit ?? 0);
    if (policy) onlyFields(policy, ['parallelismLimit'], `${at}.iteratorPolicy`, ctx.problems);
    if (!Number.isInteger(parallelism) || parallelism < 0) ctx.problems.push({ field: `${at}.iteratorPolicy.parallelismLimit`, message: 'must be a non-negative integer' });
    if ('raw' in items) {
      let value: unknown = items.raw;
      try {
        if (typeof value === 'string') value = JSON.parse(value);
      } catch {
        // reported below as not a list
      }
      if (!Array.isArray(value)) ctx.problems.push({ field: `${at}.parameterIterator.items.raw`, message: 'must be a JSON list' });
      task.iterator = { items: { kind: 'raw', value }, itemInput, parallelism };
    } else if (typeof items.inputParameter === 'string') {
      task.iterator = { items: { kind: 'input', name: items.inputParameter }, itemInput, parallelism };
    } else ctx.problems.push({ field: `${at}.parameterIterator.items`, message: 'needs raw or inputParameter' });
    if (body.kind !== 'dag') ctx.problems.push({ field: `${at}.parameterIterator`, message: 'a loop body must be a DAG component' });
  } else if (t.iteratorPolicy !== undefined) ctx.problems.push({ field: `${at}.iteratorPolicy`, message: 'only applies to a task with parameterIterator' });
  (task as CompiledTask & { rawInputs?: unknown }).rawInputs = t.inputs;
  return task;
}

function wireTask(task: CompiledTask, siblings: Record<string, CompiledTask>, scope: Interface, at: string, ctx: Ctx): void {
  const raw = obj((task as CompiledTask & { rawInputs?: unknown }).rawInputs) ?? {};
  delete (task as CompiledTask & { rawInputs?: unknown }).rawInputs;
  onlyFields(raw, ['parameters', 'artifacts'], `${at}.inputs`, ctx.problems);
  const deps = new Set(task.dependsOn);
  for (const d of task.dependsOn) if (!siblings[d]) ctx.problems.push({ field: `${at}.dependentTasks`, message: `unknown task ${d}` });
  const loopInput = task.iterator?.items.kind === 'input' ? task.iterator.items.name : undefined;
  for (const [k, v] of Object.entries(obj(raw.parameters) ?? {})) {
    const f = `${at}.inputs.parameters.${k}`;
    const p = obj(v) ?? {};
    const want = task.inputs.parameters[k];
    if (!want && k !== loopInput) {
      ctx.problems.push({ field: f, message: `component ${task.component} has no input parameter ${k}` });
      continue;
    }
    const selector = typeof p.parameterExpressionSelector === 'string' ? p.parameterExpressionSelector : undefined;
    let src: ParamSource | undefined;
    let have: ParamType | undefined;
    if (p.componentInputParameter !== undefined) {
      const name = String(p.componentInputParameter);
      if (!(name in scope.parameters)) ctx.problems.push({ field: `${f}.componentInputParameter`, message: `the enclosing DAG has no input parameter ${name}` });
      else have = scope.parameters[name]!.type;
      src = { kind: 'input', name, ...(selector ? { selector } : {}) };
    } else if (obj(p.taskOutputParameter)) {
      const o = obj(p.taskOutputParameter)!;
      const producer = siblings[String(o.producerTask)];
      const key = String(o.outputParameterKey);
      if (!producer) ctx.problems.push({ field: `${f}.taskOutputParameter.producerTask`, message: `unknown task ${String(o.producerTask)}` });
      else if (!(key in producer.outputs.parameters)) ctx.problems.push({ field: `${f}.taskOutputParameter.outputParameterKey`, message: `task ${producer.name} has no output parameter ${key}` });
      else have = producer.iterator ? 'LIST' : producer.outputs.parameters[key]!.type;
      deps.add(String(o.producerTask));
      src = { kind: 'task', task: String(o.producerTask), key, ...(selector ? { selector } : {}) };
    } else if (obj(p.runtimeValue)) {
      const rv = obj(p.runtimeValue)!;
      onlyFields(rv, ['constant'], `${f}.runtimeValue`, ctx.problems);
      src = { kind: 'constant', value: rv.constant };
      if (want && !valueHasType(rv.constant, want.type)) ctx.problems.push({ field: `${f}.runtimeValue.constant`, message: `${JSON.stringify(rv.constant)} is not a ${want.type}` });
    } else if (obj(p.taskFinalStatus)) {
      const producer = String(obj(p.taskFinalStatus)!.producerTask);
      if (!siblings[producer]) ctx.problems.push({ field: `${f}.taskFinalStatus.producerTask`, message: `unknown task ${producer}` });
      if (want && want.type !== 'TASK_FINAL_STATUS') ctx.problems.push({ field: f, message: `input ${k} is ${want.type}, a task's final status is TASK_FINAL_STATUS` });
      if (!task.triggerAll) ctx.problems.push({ field: `${at}.triggerPolicy.strategy`, message: 'a task reading taskFinalStatus must run whatever its upstream did: ALL_UPSTREAM_TASKS_COMPLETED' });
      deps.add(producer);
      src = { kind: 'finalStatus', task: producer };
    } else {
      ctx.problems.push({ field: f, message: 'needs componentInputParameter, taskOutputParameter, runtimeValue or taskFinalStatus' });
      continue;
    }
    if (want && have && !selector && !typesCompatible(have, want.type)) ctx.problems.push({ field: f, message: `type mismatch: a ${have} is wired to input ${k} of type ${want.type}` });
    task.params[k] = src;
  }
  for (const [k, v] of Object.entries(obj(raw.artifacts) ?? {})) {
    const f = `${at}.inputs.artifacts.${k}`;
    const a = obj(v) ?? {};
    if (!(k in task.inputs.artifacts)) ctx.problems.push({ field: f, message: `component ${task.component} has no input artifact ${k}` });
    let src: ArtifactSource | undefined;
    if (a.componentInputArtifact !== undefined) {
      const name = String(a.componentInputArtifact);
      if (!(name in scope.artifacts)) ctx.problems.push({ field: `${f}.componentInputArtifact`, message: `the enclosing DAG has no input artifact ${name}` });
      src = { kind: 'input', name };
    } else if (obj(a.taskOutputArtifact)) {
      const o = obj(a.taskOutputArtifact)!;
      const producer = siblings[String(o.producerTask)];
      const key = String(o.outputArtifactKey);
      if (!producer) ctx.problems.push({ field: `${f}.taskOutputArtifact.producerTask`, message: `unknown task ${String(o.producerTask)}` });
      else if (!(key in producer.outputs.artifacts)) ctx.problems.push({ field: `${f}.taskOutputArtifact.outputArtifactKey`, message: `task ${producer.name} has no output artifact ${key}` });
      deps.add(String(o.producerTask));
      src = { kind: 'task', task: String(o.producerTask), key };
    } else {
      ctx.problems.push({ field: f, message: 'needs componentInputArtifact or taskOutputArtifact' });
      continue;
    }
    task.artifacts[k] = src;
  }
  for (const [k, def] of Object.entries(task.inputs.parameters)) {
    if (k === task.iterator?.itemInput) continue;
    if (!(k in task.params) && !def.optional && def.default === undefined) ctx.problems.push({ field: `${at}.inputs.parameters.${k}`, message: `missing input: component ${task.component} requires parameter ${k}` });
  }
  for (const [k, def] of Object.entries(task.inputs.artifacts)) if (!(k in task.artifacts) && !def.optional) ctx.problems.push({ field: `${at}.inputs.artifacts.${k}`, message: `missing input: component ${task.component} requires artifact ${k}` });
  if (loopInput && !(loopInput in task.params)) ctx.problems.push({ field: `${at}.parameterIterator.items.inputParameter`, message: `${loopInput} is not wired in inputs.parameters` });
  deps.delete(task.name);
  task.dependsOn = [...deps];
}

function topoOrder(tasks: Record<string, CompiledTask>, at: string, ctx: Ctx): string[] {
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (n: string, path: string[]): void => {
    if (state.get(n) === 2 || !tasks[n]) return;
    if (state.get(n) === 1) {
      ctx.problems.push({ field: `${at}.tasks.${n}.dependentTasks`, message: `cycle: ${[...path.slice(path.indexOf(n)), n].join(' → ')}` });
      return;
    }
    state.set(n, 1);
    for (const d of tasks[n]!.dependsOn) visit(d, [...path, n]);
    state.set(n, 2);
    order.push(n);
  };
  for (const n of Object.keys(tasks)) visit(n, []);
  return order;
}
