/** A run's parameters against the pipeline's root inputs, pure: defaults, type conversion, unknown and missing names. */
import { coerceParam } from './kfp-ir-components.js';
import type { CompiledPipeline, CompiledTask, FieldProblem } from './pipeline-model.js';

/** Typed parameters, or the problems (each naming `spec.parameters.<name>`). */
export function resolveRunParameters(p: CompiledPipeline, given: Record<string, unknown>): { ok: true; params: Record<string, unknown> } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given)) {
    const def = p.inputs.parameters[k];
    if (!def) {
      problems.push({ field: `spec.parameters.${k}`, message: `pipeline ${p.name} has no parameter ${k}${Object.keys(p.inputs.parameters).length ? ` (it has ${Object.keys(p.inputs.parameters).join(', ')})` : ''}` });
      continue;
    }
    const c = coerceParam(v, def.type);
    if (c === undefined) problems.push({ field: `spec.parameters.${k}`, message: `${JSON.stringify(v)} is not a ${def.type}` });
    else params[k] = c;
  }
  for (const [k, def] of Object.entries(p.inputs.parameters)) {
    if (k in params || k in given) continue;
    if (def.default !== undefined) params[k] = def.default;
    else if (!def.optional) problems.push({ field: `spec.parameters.${k}`, message: `required: pipeline ${p.name} needs parameter ${k} (${def.type})` });
  }
  return problems.length ? { ok: false, problems } : { ok: true, params };
}

/** The compiled task a task path names (`loop#2/step` → the loop body's `step`). */
export function taskAtPath(p: CompiledPipeline, id: string): CompiledTask | undefined {
  let dag = p.root;
  let task: CompiledTask | undefined;
  for (const part of id.split('/')) {
    if (!dag) return undefined;
    task = dag.tasks[part.replace(/#\d+$/, '')];
    if (!task) return undefined;
    dag = task.body.kind === 'dag' ? task.body.dag : (undefined as never);
  }
  return task;
}
