/**
 * Capstan's internal form of a pipeline, compiled from KFP v2 IR (kfp-ir-compiler.ts): DAGs of
 * tasks whose bodies are a container or a nested DAG, with every input wired to its source and
 * every type checked. The planner and the controller read only this form.
 */

/** KFP parameter types. */
export const PARAM_TYPES = ['STRING', 'NUMBER_INTEGER', 'NUMBER_DOUBLE', 'BOOLEAN', 'LIST', 'STRUCT', 'TASK_FINAL_STATUS'] as const;
/** A parameter type. */
export type ParamType = (typeof PARAM_TYPES)[number];

/** A declared input or output parameter. */
export interface ParamDef {
  type: ParamType;
  default?: unknown;
  optional?: boolean;
}

/** A declared input or output artifact. */
export interface ArtifactDef {
  schemaTitle: string;
  list?: boolean;
  optional?: boolean;
}

/** A component's (or DAG's) declared inputs or outputs. */
export interface Interface {
  parameters: Record<string, ParamDef>;
  artifacts: Record<string, ArtifactDef>;
}

/** Where a task's input parameter comes from. */
export type ParamSource =
  | { kind: 'constant'; value: unknown }
  | { kind: 'input'; name: string; selector?: string }
  | { kind: 'task'; task: string; key: string; selector?: string }
  | { kind: 'finalStatus'; task: string };

/** Where a task's input artifact comes from. */
export type ArtifactSource = { kind: 'input'; name: string } | { kind: 'task'; task: string; key: string };

/** KFP's set_retry: attempts after the first, and the backoff between them. */
export interface RetryPolicy {
  maxRetries: number;
  backoffMs: number;
  factor: number;
  maxBackoffMs: number;
}

/** A container to run (after placeholder resolution, one TrainingJob replica). */
export interface ContainerExec {
  executor: string;
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  resources: { cpu?: string; memory?: string; gpu?: number };
  timeoutSeconds?: number;
  /** Capstan extension: register this output artifact as the next version of a model. */
  registerModel?: { model: string; artifact: string };
  /** Capstan extension: point an InferenceService at the model version a task input names. */
  deploy?: { service: string; modelInput: string };
}

/** A loop over a list (parallelFor). */
export interface Iterator {
  items: { kind: 'raw'; value: unknown } | { kind: 'input'; name: string };
  /** The loop DAG's input that holds one item. */
  itemInput: string;
  /** Iterations at once (0: all). */
  parallelism: number;
}

/** A task of a DAG. */
export interface CompiledTask {
  name: string;
  component: string;
  dependsOn: string[];
  params: Record<string, ParamSource>;
  artifacts: Record<string, ArtifactSource>;
  condition?: string;
  iterator?: Iterator;
  retry?: RetryPolicy;
  cache: boolean;
  /** Runs once its upstream tasks ended, whatever their outcome (exit handlers, ignoreUpstreamFailure). */
  triggerAll: boolean;
  inputs: Interface;
  outputs: Interface;
  body: { kind: 'container'; exec: ContainerExec } | { kind: 'dag'; dag: CompiledDag };
}

/** A DAG output: which subtask output it is (several: the first that ran, as dsl.OneOf). */
export interface DagOutput {
  from: Array<{ task: string; key: string }>;
}

/** A DAG: tasks in a topological order and its outputs. */
export interface CompiledDag {
  tasks: Record<string, CompiledTask>;
  order: string[];
  outputs: { parameters: Record<string, DagOutput>; artifacts: Record<string, DagOutput> };
}

/** A compiled pipeline. */
export interface CompiledPipeline {
  name: string;
  description?: string;
  inputs: Interface;
  root: CompiledDag;
}

/** A compile or runtime problem naming its field. */
export interface FieldProblem {
  field: string;
  message: string;
}
