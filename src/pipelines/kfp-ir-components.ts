/**
 * Reading the pieces of KFP v2 IR that are not the DAG itself: input/output definitions, typed
 * constants, executors (containers, resources, the platform spec's timeout and Capstan's
 * register/deploy extensions). Every unknown or unsupported field is a problem naming it.
 */
import { PARAM_TYPES, type ContainerExec, type FieldProblem, type Interface, type ParamDef, type ParamType } from './pipeline-model.js';

/** A plain object or undefined. */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Reports fields of `o` not in `known` as unsupported. */
export function onlyFields(o: Record<string, unknown>, known: string[], at: string, problems: FieldProblem[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) problems.push({ field: `${at}.${k}`, message: `unsupported field ${k}` });
}

/** True when `v` is a value of type `t` (integers for NUMBER_INTEGER). */
export function valueHasType(v: unknown, t: ParamType): boolean {
  switch (t) {
    case 'STRING':
      return typeof v === 'string';
    case 'NUMBER_INTEGER':
      return typeof v === 'number' && Number.isInteger(v);
    case 'NUMBER_DOUBLE':
      return typeof v === 'number' && Number.isFinite(v);
    case 'BOOLEAN':
      return typeof v === 'boolean';
    case 'LIST':
      return Array.isArray(v);
    case 'STRUCT':
    case 'TASK_FINAL_STATUS':
      return !!obj(v);
  }
}

/** Converts a value given as text (`-p k=v`) to the declared type; undefined when it is not one. */
export function coerceParam(v: unknown, t: ParamType): unknown {
  if (valueHasType(v, t)) return v;
  if (t === 'NUMBER_DOUBLE' && typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  if (t === 'STRING') return v;
  if (t === 'NUMBER_INTEGER') return /^[-+]?\d+$/.test(v.trim()) ? Number(v) : undefined;
  if (t === 'NUMBER_DOUBLE') return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
  if (t === 'BOOLEAN') return v === 'true' ? true : v === 'false' ? false : undefined;
  try {
    const parsed = JSON.parse(v);
    return valueHasType(parsed, t) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether an output of type `from` may feed an input of type `to`. */
export function typesCompatible(from: ParamType, to: ParamType): boolean {
  return from === to || (from === 'NUMBER_INTEGER' && to === 'NUMBER_DOUBLE');
}

/** Reads `inputDefinitions`/`outputDefinitions`. */
export function readInterface(v: unknown, at: string, problems: FieldProblem[]): Interface {
  const out: Interface = { parameters: {}, artifacts: {} };
  if (v === undefined) return out;
  const o = obj(v);
  if (!o) return problems.push({ field: at, message: 'must be an object' }), out;
  onlyFields(o, ['parameters', 'artifacts'], at, problems);
  for (const [name, raw] of Object.entries(obj(o.parameters) ?? {})) {
    const p = obj(raw) ?? {};
    const f = `${at}.parameters.${name}`;
    onlyFields(p, ['parameterType', 'defaultValue', 'isOptional', 'description'], f, problems);
    const type = p.parameterType as ParamType;
    if (!PARAM_TYPES.includes(type)) {
      problems.push({ field: `${f}.parameterType`, message: `unknown parameter type ${JSON.stringify(p.parameterType)}: use one of ${PARAM_TYPES.join(', ')}` });
      continue;
    }
    const def: ParamDef = { type };
    if ('defaultValue' in p) {
      if (!valueHasType(p.defaultValue, type)) problems.push({ field: `${f}.defaultValue`, message: `is not a ${type}` });
      def.default = p.defaultValue;
    }
    if (p.isOptional === true) def.optional = true;
    out.parameters[name] = def;
  }
  for (const [name, raw] of Object.entries(obj(o.artifacts) ?? {})) {
    const a = obj(raw) ?? {};
    const f = `${at}.artifacts.${name}`;
    onlyFields(a, ['artifactType', 'isArtifactList', 'isOptional', 'description'], f, problems);
    const t = obj(a.artifactType) ?? {};
    out.artifacts[name] = { schemaTitle: String(t.schemaTitle ?? 'system.Artifact'), ...(a.isArtifactList === true ? { list: true } : {}), ...(a.isOptional === true ? { optional: true } : {}) };
  }
  return out;
}

function quantity(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === 'number' ? String(v) : String(v);
}

function readResources(v: unknown, at: string, problems: FieldProblem[]): ContainerExec['resources'] {
  const r = obj(v);
  if (!r) return {};
  onlyFields(r, ['cpuLimit', 'memoryLimit', 'cpuRequest', 'memoryRequest', 'accelerator', 'resourceCpuLimit', 'resourceCpuRequest', 'resourceMemoryLimit', 'resourceMemoryRequest'], at, problems);
  const cpu = quantity(r.resourceCpuRequest ?? r.resourceCpuLimit ?? r.cpuRequest ?? r.cpuLimit);
  // KFP's numeric memory fields are in GB; the resource* strings carry their own unit (512M, 1G).
  const memNum = (r.memoryRequest ?? r.memoryLimit) as number | undefined;
  const memStr = (r.resourceMemoryRequest ?? r.resourceMemoryLimit) as string | undefined;
  const memory = memStr !== undefined ? String(memStr).replace(/^(\d+(?:\.\d+)?)([KMGT])$/, '$1$2') : memNum !== undefined ? `${Math.ceil(memNum * 1000)}M` : undefined;
  const acc = obj(r.accelerator);
  const gpu = acc ? Number(acc.resourceCount ?? acc.count ?? 0) : undefined;
  return { ...(cpu ? { cpu } : {}), ...(memory ? { memory: memory.replace(/([KMGT])$/, (u) => u) } : {}), ...(gpu ? { gpu } : {}) };
}

/** Reads `deploymentSpec.executors[label]` (a container; importer/resolver are not supported). */
export function readExecutor(deployment: Record<string, unknown> | undefined, label: string, at: string, problems: FieldProblem[]): ContainerExec | undefined {
  const executors = obj(deployment?.executors);
  const e = obj(executors?.[label]);
  const f = `deploymentSpec.executors.${label}`;
  if (!e) return problems.push({ field: at, message: `executor ${label} is not in deploymentSpec.executors` }), undefined;
  if (!e.container) {
    const which = Object.keys(e)[0] ?? 'nothing';
    return problems.push({ field: `${f}.${which}`, message: `unsupported executor type ${which}: only container executors run` }), undefined;
  }
  onlyFields(e, ['container'], f, problems);
  const c = obj(e.container) ?? {};
  onlyFields(c, ['image', 'command', 'args', 'env', 'resources'], `${f}.container`, problems);
  if (typeof c.image !== 'string' || !c.image) problems.push({ field: `${f}.container.image`, message: 'is required' });
  const list = (v: unknown, name: string): string[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) return problems.push({ field: `${f}.container.${name}`, message: 'must be a list' }), [];
    return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  };
  const env: Record<string, string> = {};
  if (c.env !== undefined) {
    if (!Array.isArray(c.env)) problems.push({ field: `${f}.container.env`, message: 'must be a list of {name, value}' });
    else c.env.forEach((x, i) => {
      const ev = obj(x);
      if (!ev || typeof ev.name !== 'string') problems.push({ field: `${f}.container.env[${i}]`, message: 'must be {name, value}' });
      else env[ev.name] = String(ev.value ?? '');
    });
  }
  return { executor: label, image: String(c.image ?? ''), command: list(c.command, 'command'), args: list(c.args, 'args'), env, resources: readResources(c.resources, `${f}.container.resources`, problems) };
}

/** Applies the platform spec (kfp-kubernetes timeout; Capstan's registerModel/deploy) to the executors. */
export function applyPlatformSpec(platform: Record<string, unknown> | undefined, execs: Map<string, ContainerExec>, problems: FieldProblem[]): void {
  const platforms = obj(platform?.platforms);
  if (!platforms) return;
  for (const [name, spec] of Object.entries(platforms)) {
    if (name !== 'kubernetes' && name !== 'capstan') {
      problems.push({ field: `platforms.${name}`, message: 'unsupported platform: use kubernetes or capstan' });
      continue;
    }
    const s = obj(spec) ?? {};
    onlyFields(s, ['deploymentSpec'], `platforms.${name}`, problems);
    const executors = obj(obj(s.deploymentSpec)?.executors) ?? {};
    for (const [label, raw] of Object.entries(executors)) {
      const at = `platforms.${name}.deploymentSpec.executors.${label}`;
      const exec = execs.get(label);
      const cfg = obj(raw) ?? {};
      if (!exec) {
        problems.push({ field: at, message: `executor ${label} is not in deploymentSpec.executors` });
        continue;
      }
      if (name === 'kubernetes') {
        onlyFields(cfg, ['activeDeadlineSeconds'], at, problems);
        if (cfg.activeDeadlineSeconds !== undefined) {
          const n = Number(cfg.activeDeadlineSeconds);
          if (!Number.isInteger(n) || n < 1) problems.push({ field: `${at}.activeDeadlineSeconds`, message: 'must be a positive integer' });
          else exec.timeoutSeconds = n;
        }
        continue;
      }
      onlyFields(cfg, ['registerModel', 'deploy'], at, problems);
      const reg = obj(cfg.registerModel);
      if (reg) {
        if (typeof reg.model !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(reg.model)) problems.push({ field: `${at}.registerModel.model`, message: 'must be a model name' });
        if (typeof reg.artifact !== 'string') problems.push({ field: `${at}.registerModel.artifact`, message: 'must name an output artifact' });
        else exec.registerModel = { model: String(reg.model), artifact: reg.artifact };
      }
      const dep = obj(cfg.deploy);
      if (dep) {
        if (typeof dep.service !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(dep.service)) problems.push({ field: `${at}.deploy.service`, message: 'must be an InferenceService name' });
        if (typeof dep.modelInput !== 'string') problems.push({ field: `${at}.deploy.modelInput`, message: 'must name an input parameter holding model@version' });
        else exec.deploy = { service: String(dep.service), modelInput: dep.modelInput };
      }
    }
  }
}

/** Parses a protobuf duration ("5s", "1.5s", "0s") into milliseconds. */
export function durationMs(v: unknown): number | undefined {
  if (v === undefined) return 0;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(String(v));
  return m ? Math.round(Number(m[1]) * 1000) : undefined;
}
