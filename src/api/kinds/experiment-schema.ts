/**
 * The Experiment schema, Katib's (kubeflow.org/v1beta1) field for field: an objective, a search
 * algorithm with settings, the parameters' feasible spaces, a trial template, a metrics collector,
 * early stopping and trial budgets. Rules that span fields (feasible ranges, the template's
 * placeholders, the algorithm's settings) are checked here, so each bad spec is a 422 naming its
 * field; the template is rendered with sample values and checked as the TrainingJob it becomes.
 */
import { z } from 'zod';
import { ALGORITHM_NAMES, algorithmProblems, EARLY_STOPPING_NAMES } from '../../tuning/algorithms.js';
import { medianStopSettings } from '../../tuning/median-stopping.js';
import { decodeValue, spaceProblems, type ParameterSpec } from '../../tuning/search-space.js';
import { placeholdersIn, substitutePlaceholders, trialJobSpec } from '../convert/katib-trial-template.js';
import { condition } from '../meta.js';

const numberish = z.union([z.number(), z.string().max(64)]);
const settingList = z.array(z.object({ name: z.string().min(1).max(128), value: z.string().max(1024).default('') }).strict()).max(64);

/** The objective: which metric, which way, and when it is good enough. */
export const objectiveSpec = z
  .object({
    type: z.enum(['maximize', 'minimize']),
    goal: z.number().optional(),
    objectiveMetricName: z.string().min(1).max(128),
    additionalMetricNames: z.array(z.string().min(1).max(128)).max(32).optional(),
    /** How a trial's series becomes its value (default: the best for the objective's direction, latest for the others). */
    metricStrategies: z.array(z.object({ name: z.string().min(1).max(128), value: z.enum(['min', 'max', 'latest']) }).strict()).max(33).optional(),
  })
  .strict();

/** One parameter and its feasible space (Katib writes numbers as strings; both are accepted). */
export const parameterSpec = z
  .object({
    name: z.string().min(1).max(128).regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must start with a letter or "_" and hold letters, digits, "_", "." or "-"'),
    parameterType: z.enum(['int', 'double', 'categorical', 'discrete']),
    feasibleSpace: z
      .object({
        min: numberish.optional(),
        max: numberish.optional(),
        step: numberish.optional(),
        list: z.array(z.union([z.string().max(1024), z.number()])).max(10_000).optional(),
        distribution: z.enum(['uniform', 'logUniform', 'normal', 'logNormal']).optional(),
      })
      .strict(),
  })
  .strict();

/** How trial metrics are collected: the trial's stdout (`name=value` lines, Katib's default), a file, or only Capstan's metric lines. */
export const metricsCollectorSpec = z
  .object({
    collector: z.object({ kind: z.enum(['StdOut', 'File', 'None']).default('StdOut') }).strict().default({ kind: 'StdOut' }),
    source: z
      .object({
        filter: z.object({ metricsFormat: z.array(z.string().min(1).max(1024)).max(16).optional() }).strict().optional(),
        fileSystemPath: z.object({ path: z.string().min(1).max(4096), kind: z.enum(['File']).default('File'), format: z.enum(['TEXT', 'JSON']).default('TEXT') }).strict().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The trial template: the job manifest and the trial parameters its placeholders name. */
export const trialTemplateSpec = z
  .object({
    primaryContainerName: z.string().max(253).optional(),
    retain: z.boolean().optional(),
    trialParameters: z.array(z.object({ name: z.string().min(1).max(128), reference: z.string().min(1).max(256), description: z.string().max(1024).optional() }).strict()).min(1).max(128),
    trialSpec: z.record(z.string(), z.unknown()),
  })
  .strict();

/** The Experiment spec with its cross-field rules. */
export const experimentSpec = z
  .object({
    objective: objectiveSpec,
    algorithm: z.object({ algorithmName: z.enum(ALGORITHM_NAMES), algorithmSettings: settingList.optional() }).strict(),
    earlyStopping: z.object({ algorithmName: z.enum(EARLY_STOPPING_NAMES), algorithmSettings: settingList.optional() }).strict().optional(),
    parameters: z.array(parameterSpec).min(1, 'at least one parameter is required').max(64),
    trialTemplate: trialTemplateSpec,
    parallelTrialCount: z.number().int().min(1).max(64).default(3),
    maxTrialCount: z.number().int().min(1).max(100_000).optional(),
    maxFailedTrialCount: z.number().int().min(0).max(100_000).optional(),
    metricsCollectorSpec: metricsCollectorSpec.default({ collector: { kind: 'StdOut' } }),
    resumePolicy: z.enum(['Never', 'LongRunning', 'FromVolume']).default('Never'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const add = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path, message });
    const space = parameterSpace(spec.parameters);
    for (const [at, message] of spaceProblems(space)) {
      const [i, ...rest] = at.split('.');
      add(['parameters', Number(i), ...rest], message);
    }
    spec.parameters.forEach((p, i) => {
      const fs = p.feasibleSpace;
      if (fs.distribution === 'normal' || fs.distribution === 'logNormal') add(['parameters', i, 'feasibleSpace', 'distribution'], 'only uniform and logUniform are supported');
      if ((p.parameterType === 'categorical' || p.parameterType === 'discrete') && (fs.min !== undefined || fs.max !== undefined)) add(['parameters', i, 'feasibleSpace'], `a ${p.parameterType} parameter takes a list, not min/max`);
      if ((p.parameterType === 'int' || p.parameterType === 'double') && fs.list !== undefined) add(['parameters', i, 'feasibleSpace', 'list'], `an ${p.parameterType} parameter takes min/max, not a list`);
      for (const k of ['min', 'max', 'step'] as const) if (typeof fs[k] === 'string' && !Number.isFinite(Number(fs[k]))) add(['parameters', i, 'feasibleSpace', k], 'must be a number');
    });
    const settings = settingsRecord(spec.algorithm.algorithmSettings);
    if (spaceProblems(space).length === 0) for (const [name, message] of algorithmProblems(spec.algorithm.algorithmName, settings, space)) add(['algorithm', name ? 'algorithmSettings' : 'algorithmName'], name ? `${name}: ${message}` : message);
    if (spec.earlyStopping) {
      const es = settingsRecord(spec.earlyStopping.algorithmSettings);
      for (const k of Object.keys(es)) if (k !== 'min_trials_required' && k !== 'start_step') add(['earlyStopping', 'algorithmSettings'], `${k}: unknown setting for medianstop: use min_trials_required, start_step`);
      try {
        medianStopSettings(es);
      } catch (err) {
        add(['earlyStopping', 'algorithmSettings'], (err as Error).message.replace(/^algorithm setting /, ''));
      }
    }
    if (spec.maxTrialCount !== undefined && spec.parallelTrialCount > spec.maxTrialCount) add(['parallelTrialCount'], `must not exceed maxTrialCount (${spec.maxTrialCount})`);
    const metricNames = [spec.objective.objectiveMetricName, ...(spec.objective.additionalMetricNames ?? [])];
    spec.objective.metricStrategies?.forEach((s, i) => {
      if (!metricNames.includes(s.name)) add(['objective', 'metricStrategies', i, 'name'], `not a metric of the objective: use one of ${metricNames.join(', ')}`);
    });
    const mc = spec.metricsCollectorSpec;
    if (mc.collector.kind === 'File' && !mc.source?.fileSystemPath) add(['metricsCollectorSpec', 'source', 'fileSystemPath'], 'the File collector needs a path');
    mc.source?.filter?.metricsFormat?.forEach((f, i) => {
      try {
        if (new RegExp(`${f}|`).exec('')!.length < 3) add(['metricsCollectorSpec', 'source', 'filter', 'metricsFormat', i], 'needs two capture groups: the name and the value');
      } catch {
        add(['metricsCollectorSpec', 'source', 'filter', 'metricsFormat', i], 'not a valid regular expression');
      }
    });
    // The template: every placeholder declared, every declared parameter referenced, each reference known.
    const tt = spec.trialTemplate;
    const names = spec.parameters.map((p) => p.name);
    const declared = new Map<string, number>();
    tt.trialParameters.forEach((tp, i) => {
      if (declared.has(tp.name)) add(['trialTemplate', 'trialParameters', i, 'name'], `duplicate trial parameter ${tp.name}`);
      declared.set(tp.name, i);
      if (!names.includes(tp.reference) && !TRIAL_METADATA_REFERENCES.includes(tp.reference)) add(['trialTemplate', 'trialParameters', i, 'reference'], `${tp.reference} is not a parameter (${names.join(', ')}) nor one of ${TRIAL_METADATA_REFERENCES.join(', ')}`);
    });
    const used = placeholdersIn(tt.trialSpec);
    for (const u of used) if (!declared.has(u)) add(['trialTemplate', 'trialSpec'], `\${trialParameters.${u}} is not declared in trialTemplate.trialParameters`);
    for (const [name, i] of declared) if (!used.has(name)) add(['trialTemplate', 'trialParameters', i, 'name'], `\${trialParameters.${name}} is not used in trialSpec`);
    if (ctx.issues?.length) return;
    const sample = sampleTrialValues(spec.parameters, tt.trialParameters);
    const { causes } = trialJobSpec(substitutePlaceholders(tt.trialSpec, sample), 'trialTemplate.trialSpec');
    for (const c of causes) ctx.addIssue({ code: 'custom', path: (c.field ?? 'trialTemplate.trialSpec').split('.'), message: c.message });
  });

/** References a trial parameter may take besides a parameter name (Katib's trial metadata). */
export const TRIAL_METADATA_REFERENCES = ['${trialSpec.Name}', '${trialSpec.Namespace}'];

/** The algorithm settings as a record. */
export function settingsRecord(list: ReadonlyArray<{ name: string; value: string }> | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map((s) => [s.name, s.value]));
}

function num(v: string | number | undefined): number | undefined {
  return v === undefined || v === '' ? undefined : Number(v);
}

/** The parameters as a search space. */
export function parameterSpace(params: readonly ExperimentParameter[]): ParameterSpec[] {
  return params.map((p) => {
    const fs = p.feasibleSpace;
    return {
      name: p.name,
      type: p.parameterType,
      min: num(fs.min),
      max: num(fs.max),
      step: num(fs.step),
      list: fs.list?.map(String),
      log: fs.distribution === 'logUniform' ? true : undefined,
    };
  });
}

// Values to render the template with at validation time: the first feasible value of each parameter.
function sampleTrialValues(params: readonly ExperimentParameter[], trialParameters: ReadonlyArray<{ name: string; reference: string }>): Record<string, string> {
  const space = parameterSpace(params);
  const first: Record<string, string> = Object.fromEntries(space.map((p) => [p.name, decodeValue(p, 0)]));
  return Object.fromEntries(trialParameters.map((tp) => [tp.name, tp.reference === '${trialSpec.Namespace}' ? 'default' : (first[tp.reference] ?? 'trial-0')]));
}

/** Trial counts, the best trial and the completion reason, as Katib reports them. */
export const experimentStatus = z
  .object({
    observedGeneration: z.number().int().optional(),
    phase: z.enum(['Created', 'Running', 'Succeeded', 'Failed']).optional(),
    completionReason: z.string().optional(),
    conditions: z.array(condition).optional(),
    startTime: z.string().optional(),
    completionTime: z.string().optional(),
    currentOptimalTrial: z
      .object({
        bestTrialName: z.string(),
        parameterAssignments: z.array(z.object({ name: z.string(), value: z.string() }).strict()),
        observation: z.object({ metrics: z.array(z.object({ name: z.string(), min: z.number().optional(), max: z.number().optional(), latest: z.number().optional(), value: z.number().optional() }).strict()) }).strict(),
      })
      .strict()
      .optional(),
    trials: z.number().int().optional(),
    trialsPending: z.number().int().optional(),
    trialsRunning: z.number().int().optional(),
    trialsSucceeded: z.number().int().optional(),
    trialsFailed: z.number().int().optional(),
    trialsEarlyStopped: z.number().int().optional(),
    trialsKilled: z.number().int().optional(),
    trialsMetricsUnavailable: z.number().int().optional(),
    searchExhausted: z.boolean().optional(),
    registeredModelVersion: z.string().optional(),
  })
  .strict();

/** The parsed spec. */
export type ExperimentSpec = z.infer<typeof experimentSpec>;
/** One parameter. */
export type ExperimentParameter = z.infer<typeof parameterSpec>;
/** The objective. */
export type ObjectiveSpec = z.infer<typeof objectiveSpec>;
/** The metrics collector. */
export type MetricsCollectorSpec = z.infer<typeof metricsCollectorSpec>;
/** The status. */
export type ExperimentStatus = z.infer<typeof experimentStatus>;
