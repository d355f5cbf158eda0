/**
 * KFP v2 command-line placeholders, pure: `{{$.inputs.parameters['x']}}`,
 * `{{$.outputs.parameters['x'].output_file}}`, `{{$.inputs.artifacts['x'].path|uri|metadata}}`,
 * `{{$.outputs.artifacts['x'].path|uri}}`, `{{$}}` (the executor input), the run and task names,
 * and the structured `{"IfPresent": …}` and `{"Concat": […]}` arguments. Checked at compile time
 * against the component's declared inputs and outputs, resolved when a task starts.
 */
import type { Interface } from './pipeline-model.js';

const PLACEHOLDER = /\{\{\$[^}]*\}\}/g;
const SHAPES: Array<[RegExp, string]> = [
  [/^\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}$/, 'inParam'],
  [/^\{\{\$\.outputs\.parameters\['([^']+)'\]\.output_file\}\}$/, 'outParamFile'],
  [/^\{\{\$\.inputs\.artifacts\['([^']+)'\]\.(path|uri|metadata)\}\}$/, 'inArtifact'],
  [/^\{\{\$\.outputs\.artifacts\['([^']+)'\]\.(path|uri)\}\}$/, 'outArtifact'],
  [/^\{\{\$\}\}$/, 'executorInput'],
  [/^\{\{\$\.pipeline_job_(name|uuid)\}\}$/, 'run'],
  [/^\{\{\$\.pipeline_task_(name|uuid)\}\}$/, 'task'],
];

type Parsed = { shape: string; name?: string; attr?: string };

function parsePlaceholder(p: string): Parsed | undefined {
  for (const [re, shape] of SHAPES) {
    const m = re.exec(p);
    if (m) return { shape, name: m[1], attr: m[2] };
  }
  return undefined;
}

type Structured = { IfPresent: { InputName: string; Then?: unknown[] | string; Else?: unknown[] | string } } | { Concat: unknown[] };

function structured(arg: unknown): Structured | undefined {
  let v: unknown = arg;
  if (typeof arg === 'string') {
    if (!arg.startsWith('{"IfPresent"') && !arg.startsWith('{"Concat"')) return undefined;
    try {
      v = JSON.parse(arg);
    } catch {
      return undefined;
    }
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && ('IfPresent' in v || 'Concat' in v)) return v as Structured;
  return undefined;
}

/** Problems of one command/args list against a component's inputs and outputs (empty: fine). */
export function checkPlaceholders(items: unknown[], inputs: Interface, outputs: Interface): string[] {
  const problems: string[] = [];
  const visit = (arg: unknown): void => {
    const s = structured(arg);
    if (s && 'IfPresent' in s) {
      const name = s.IfPresent.InputName;
      if (!(name in inputs.parameters) && !(name in inputs.artifacts)) problems.push(`IfPresent names input ${name}, which the component does not declare`);
      for (const branch of [s.IfPresent.Then, s.IfPresent.Else]) (Array.isArray(branch) ? branch : branch === undefined ? [] : [branch]).forEach(visit);
      return;
    }
    if (s && 'Concat' in s) return s.Concat.forEach(visit);
    if (typeof arg !== 'string') return void problems.push(`an argument must be a string, got ${JSON.stringify(arg)}`);
    for (const p of arg.match(PLACEHOLDER) ?? []) {
      const parsed = parsePlaceholder(p);
      if (!parsed) problems.push(`unsupported placeholder ${p}`);
      else if (parsed.shape === 'inParam' && !(parsed.name! in inputs.parameters)) problems.push(`placeholder ${p} names input parameter ${parsed.name}, which the component does not declare`);
      else if (parsed.shape === 'outParamFile' && !(parsed.name! in outputs.parameters)) problems.push(`placeholder ${p} names output parameter ${parsed.name}, which the component does not declare`);
      else if (parsed.shape === 'inArtifact' && !(parsed.name! in inputs.artifacts)) problems.push(`placeholder ${p} names input artifact ${parsed.name}, which the component does not declare`);
      else if (parsed.shape === 'outArtifact' && !(parsed.name! in outputs.artifacts)) problems.push(`placeholder ${p} names output artifact ${parsed.name}, which the component does not declare`);
    }
  };
  items.forEach(visit);
  return problems;
}

/** What a starting task's placeholders resolve against. */
export interface PlaceholderValues {
  parameters: Record<string, unknown>;
  /** Input artifacts: local path (materialized), uri and metadata. */
  artifacts: Record<string, { path: string; uri: string; metadata?: Record<string, unknown> }>;
  outputParameterFile: (name: string) => string;
  outputArtifactPath: (name: string) => string;
  executorInput: () => string;
  runName: string;
  runUid: string;
  taskName: string;
  taskId: string;
}

/** A parameter value as a command-line string (strings as they are, others as JSON). */
export function paramText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function resolveString(arg: string, v: PlaceholderValues): string {
  return arg.replace(PLACEHOLDER, (p) => {
    const x = parsePlaceholder(p);
    if (!x) throw new Error(`unsupported placeholder ${p}`);
    switch (x.shape) {
      case 'inParam':
        if (!(x.name! in v.parameters)) throw new Error(`placeholder ${p}: input parameter ${x.name} has no value`);
        return paramText(v.parameters[x.name!]);
      case 'outParamFile':
        return v.outputParameterFile(x.name!);
      case 'inArtifact': {
        const a = v.artifacts[x.name!];
        if (!a) throw new Error(`placeholder ${p}: input artifact ${x.name} has no value`);
        return x.attr === 'path' ? a.path : x.attr === 'uri' ? a.uri : JSON.stringify(a.metadata ?? {});
      }
      case 'outArtifact':
        return v.outputArtifactPath(x.name!);
      case 'executorInput':
        return v.executorInput();
      case 'run':
        return x.name === 'name' ? v.runName : v.runUid;
      default:
        return x.name === 'name' ? v.taskName : v.taskId;
    }
  });
}

/** Resolves a command or args list (IfPresent expands to zero or more arguments). */
export function resolvePlaceholders(items: unknown[], v: PlaceholderValues): string[] {
  const out: string[] = [];
  const present = (name: string) => (name in v.parameters && v.parameters[name] !== null && v.parameters[name] !== undefined) || name in v.artifacts;
  const one = (arg: unknown): string[] => {
    const s = structured(arg);
    if (s && 'IfPresent' in s) {
      const branch = present(s.IfPresent.InputName) ? s.IfPresent.Then : s.IfPresent.Else;
      return (Array.isArray(branch) ? branch : branch === undefined ? [] : [branch]).flatMap(one);
    }
    if (s && 'Concat' in s) return [s.Concat.flatMap(one).join('')];
    return [resolveString(String(arg), v)];
  };
  for (const a of items) out.push(...one(a));
  return out;
}
