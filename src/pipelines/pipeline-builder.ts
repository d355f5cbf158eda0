/**
 * A small TypeScript builder that emits the KFP v2 IR the SDK would: `definePipeline`,
 * `component`, `p.task(...)`, `.after`, `.if`, `.parallelFor`, `p.collect` (fan-in), `toIR`/`toYAML`.
 * Conditions and loops become `condition-N` / `for-loop-N` DAG components, as KFP compiles them.
 */
import { stringify } from 'yaml';
import type { ParamType } from './pipeline-model.js';

/** A container component. */
export interface ComponentDef {
  name: string;
  image: string;
  command: string[];
  args?: string[];
  inputs?: Record<string, ParamType>;
  outputs?: Record<string, ParamType>;
}

/** Declares a container component (placeholders as in KFP: `{{$.inputs.parameters['x']}}`). */
export function component(def: ComponentDef): ComponentDef {
  return def;
}

type Ref = { kind: 'param'; name: string } | { kind: 'output'; task: string; key: string } | { kind: 'collected'; task: string; key: string } | { kind: 'item' };
/** A value wired to an input: a constant or a reference. */
export type Value = Ref | string | number | boolean | unknown[] | Record<string, unknown>;

const isRef = (v: unknown): v is Ref => !!v && typeof v === 'object' && !Array.isArray(v) && ['param', 'output', 'collected', 'item'].includes((v as { kind?: string }).kind ?? '');

/** A task being declared. */
export class TaskBuilder {
  deps: string[] = [];
  condition?: { ref: Ref; op: '==' | '!='; value: string | number | boolean };
  loop?: { items: unknown[] | Ref; parallelism: number };
  cache = true;
  retry?: { maxRetryCount: number; backoffDuration?: string };

  constructor(readonly name: string, readonly comp: ComponentDef, readonly inputs: Record<string, Value>) {}

  /** Runs after these tasks. */
  after(...tasks: TaskBuilder[]): this {
    this.deps.push(...tasks.map((t) => t.name));
    return this;
  }

  /** Runs only when an upstream output (or a parameter) compares as given (dsl.If). */
  if(ref: Ref, op: '==' | '!=', value: string | number | boolean): this {
    this.condition = { ref, op, value };
    return this;
  }

  /** Runs once per item (dsl.ParallelFor); the input given `p.item()` receives the item. */
  parallelFor(items: unknown[] | Ref, opts: { parallelism?: number } = {}): this {
    this.loop = { items, parallelism: opts.parallelism ?? 0 };
    return this;
  }

  /** An output parameter of this task. */
  output(key: string): Ref {
    return { kind: 'output', task: this.name, key };
  }

  /** set_caching_options(False). */
  noCache(): this {
    this.cache = false;
    return this;
  }

  /** set_retry. */
  withRetry(maxRetryCount: number, backoffDuration = '0s'): this {
    this.retry = { maxRetryCount, backoffDuration };
    return this;
  }
}

/** A pipeline being declared. */
export class PipelineBuilder {
  private readonly tasks: TaskBuilder[] = [];

  constructor(readonly name: string, readonly params: Record<string, { type: ParamType; default?: unknown }> = {}) {}

  /** A pipeline parameter. */
  param(name: string): Ref {
    if (!(name in this.params)) throw new Error(`pipeline ${this.name} has no parameter ${name}`);
    return { kind: 'param', name };
  }

  /** The current loop item (inside a task with `.parallelFor`). */
  item(): Ref {
    return { kind: 'item' };
  }

  /** Every iteration's output of a loop task, as a list (dsl.Collected). */
  collect(loopTask: TaskBuilder, key: string): Ref {
    return { kind: 'collected', task: loopTask.name, key };
  }

  /** Adds a task. */
  task(name: string, comp: ComponentDef, inputs: Record<string, Value> = {}): TaskBuilder {
    const t = new TaskBuilder(name, comp, inputs);
    this.tasks.push(t);
    return t;
  }

  /** The KFP v2 IR. */
  toIR(): Record<string, unknown> {
    const components: Record<string, unknown> = {};
    const executors: Record<string, unknown> = {};
    const rootTasks: Record<string, unknown> = {};
    const typeOf = (r: Ref, self: TaskBuilder, input: string): ParamType => {
      if (r.kind === 'param') return this.params[r.name]!.type;
      if (r.kind === 'collected') return 'LIST';
      if (r.kind === 'item') return self.comp.inputs?.[input] ?? 'STRING';
      return this.tasks.find((t) => t.name === r.task)?.comp.outputs?.[r.key] ?? 'STRING';
    };
    const channel = (r: Ref) => (r.kind === 'param' ? `pipelinechannel--${r.name}` : r.kind === 'item' ? 'pipelinechannel--loop-item' : `pipelinechannel--${r.task}-${r.key}`);
    const rootSource = (r: Ref) =>
      r.kind === 'param' ? { componentInputParameter: r.name } : r.kind === 'output' ? { taskOutputParameter: { producerTask: r.task, outputParameterKey: r.key } } : r.kind === 'collected' ? { taskOutputParameter: { producerTask: `for-loop-${r.task}`, outputParameterKey: `pipelinechannel--${r.task}-${r.key}` } } : undefined;
    let n = 0;
    const dagOf = new Map<string, string>();
    for (const t of this.tasks) {
      const compName = `comp-${t.comp.name}`;
      components[compName] ??= {
        executorLabel: `exec-${t.comp.name}`,
        ...(t.comp.inputs ? { inputDefinitions: { parameters: Object.fromEntries(Object.entries(t.comp.inputs).map(([k, ty]) => [k, { parameterType: ty }])) } } : {}),
        ...(t.comp.outputs ? { outputDefinitions: { parameters: Object.fromEntries(Object.entries(t.comp.outputs).map(([k, ty]) => [k, { parameterType: ty }])) } } : {}),
      };
      executors[`exec-${t.comp.name}`] ??= { container: { image: t.comp.image, command: t.comp.command, ...(t.comp.args ? { args: t.comp.args } : {}) } };
      const wrapped = !!(t.condition || t.loop);
      const refs: Array<[string, Ref]> = Object.entries(t.inputs).filter(([, v]) => isRef(v)) as Array<[string, Ref]>;
      if (t.condition && !refs.some(([, r]) => channel(r) === channel(t.condition!.ref))) refs.push(['__cond', t.condition.ref]);
      if (t.loop && isRef(t.loop.items)) refs.push(['__items', t.loop.items]);
      const inner: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(t.inputs)) {
        if (!isRef(v)) inner[k] = { runtimeValue: { constant: v } };
        else if (wrapped) inner[k] = { componentInputParameter: channel(v) };
        else inner[k] = rootSource(v);
      }
      const core = {
        componentRef: { name: compName },
        inputs: { parameters: inner },
        taskInfo: { name: t.name },
        cachingOptions: { enableCache: t.cache },
        ...(t.retry ? { retryPolicy: { maxRetryCount: t.retry.maxRetryCount, backoffDuration: t.retry.backoffDuration, backoffFactor: 2, backoffMaxDuration: '3600s' } } : {}),
        ...(!wrapped && t.deps.length ? { dependentTasks: t.deps } : {}),
      };
      if (!wrapped) {
        rootTasks[t.name] = core;
        continue;
      }
      n++;
      const dagName = t.loop ? `for-loop-${t.name}` : `condition-${n}`;
      dagOf.set(t.name, dagName);
      const outerInputs = Object.fromEntries(refs.filter(([, r]) => r.kind !== 'item').map(([k, r]) => [channel(r), { parameterType: typeOf(r, t, k) }]));
      const innerDefs = { ...outerInputs, ...(t.loop ? { 'pipelinechannel--loop-item': { parameterType: Object.entries(t.inputs).find(([, v]) => isRef(v) && v.kind === 'item')?.[0] ? t.comp.inputs?.[Object.entries(t.inputs).find(([, v]) => isRef(v) && v.kind === 'item')![0]] ?? 'STRING' : 'STRING' } } : {}) };
      const outs = Object.entries(t.comp.outputs ?? {});
      components[`comp-${dagName}`] = {
        dag: {
          tasks: { [t.name]: core },
          ...(t.loop && outs.length ? { outputs: { parameters: Object.fromEntries(outs.map(([k]) => [`pipelinechannel--${t.name}-${k}`, { valueFromParameter: { producerSubtask: t.name, outputParameterKey: k } }])) } } : {}),
        },
        inputDefinitions: { parameters: innerDefs },
        ...(t.loop && outs.length ? { outputDefinitions: { parameters: Object.fromEntries(outs.map(([k]) => [`pipelinechannel--${t.name}-${k}`, { parameterType: 'LIST' }])) } } : {}),
      };
      const cond = t.condition;
      rootTasks[dagName] = {
        componentRef: { name: `comp-${dagName}` },
        inputs: { parameters: Object.fromEntries(refs.filter(([, r]) => r.kind !== 'item').map(([, r]) => [channel(r), rootSource(r)])) },
        taskInfo: { name: dagName },
        ...(t.deps.length ? { dependentTasks: t.deps } : {}),
        ...(cond ? { triggerPolicy: { condition: `inputs.parameter_values['${channel(cond.ref)}'] ${cond.op} ${JSON.stringify(cond.value).replace(/^"(.*)"$/, "'$1'")}` } } : {}),
        ...(t.loop
          ? {
              parameterIterator: { itemInput: 'pipelinechannel--loop-item', items: isRef(t.loop.items) ? { inputParameter: channel(t.loop.items) } : { raw: JSON.stringify(t.loop.items) } },
              ...(t.loop.parallelism ? { iteratorPolicy: { parallelismLimit: t.loop.parallelism } } : {}),
            }
          : {}),
      };
    }
    // Dependencies on a wrapped task point at its DAG.
    for (const rt of Object.values(rootTasks) as Array<{ dependentTasks?: string[] }>) {
      if (rt.dependentTasks) rt.dependentTasks = rt.dependentTasks.map((d) => dagOf.get(d) ?? d);
    }
    return {
      pipelineInfo: { name: this.name },
      components,
      deploymentSpec: { executors },
      root: {
        dag: { tasks: rootTasks },
        ...(Object.keys(this.params).length ? { inputDefinitions: { parameters: Object.fromEntries(Object.entries(this.params).map(([k, p]) => [k, { parameterType: p.type, ...(p.default !== undefined ? { defaultValue: p.default } : {}) }])) } } : {}),
      },
      schemaVersion: '2.1.0',
      sdkVersion: 'capstan-builder-0.1',
    };
  }

  /** The IR as YAML, ready for `capstan pipelines upload`. */
  toYAML(): string {
    return `# PIPELINE DEFINITION\n# Name: ${this.name}\n${stringify(this.toIR())}`;
  }
}

/** Starts a pipeline definition. */
export function definePipeline(name: string, params: Record<string, { type: ParamType; default?: unknown }> = {}): PipelineBuilder {
  return new PipelineBuilder(name, params);
}
