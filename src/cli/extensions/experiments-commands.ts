/** CLI commands of the tuning capability: `capstan experiments get [NAME]`, `trials NAME`, `best NAME`. */
import type { Command } from 'commander';
import { ExperimentKind } from '../../api/kinds/experiment.js';
import type { ExperimentSpec, ExperimentStatus } from '../../api/kinds/experiment-schema.js';
import { EXPERIMENT_LABEL, TRIAL_INDEX_LABEL, TrialKind, type TrialSpec, type TrialStatus } from '../../api/kinds/trial.js';
import type { KubeObject } from '../../api/meta.js';
import type { CommandEnv } from '../commands/resource-commands.js';
import { age, formatTable, objectsTable, serialize } from '../output.js';

function num(v: number | undefined): string {
  return v === undefined ? '' : String(Number(v.toPrecision(6)));
}

/** One experiment in a few lines: phase and reason, counts, the best trial. */
export function describeExperiment(exp: KubeObject): string {
  const spec = exp.spec as ExperimentSpec;
  const st = (exp.status ?? {}) as ExperimentStatus;
  const obj = spec.objective;
  const best = st.currentOptimalTrial;
  const value = best?.observation.metrics.find((m) => m.name === obj.objectiveMetricName)?.value;
  const reasonCond = st.conditions?.find((c) => c.type === st.phase);
  return [
    `experiment/${exp.metadata.name}: ${st.phase ?? 'Created'}${st.completionReason ? ` (${st.completionReason})` : ''}${reasonCond?.message ? ` ${reasonCond.message}` : ''}`,
    `objective: ${obj.type} ${obj.objectiveMetricName}${obj.goal !== undefined ? ` to ${obj.goal}` : ''}; algorithm ${spec.algorithm.algorithmName}${spec.earlyStopping ? `, early stopping ${spec.earlyStopping.algorithmName}` : ''}`,
    `trials: ${st.trials ?? 0} (running ${st.trialsRunning ?? 0}, pending ${st.trialsPending ?? 0}, succeeded ${st.trialsSucceeded ?? 0}, failed ${st.trialsFailed ?? 0}, early-stopped ${st.trialsEarlyStopped ?? 0}, killed ${st.trialsKilled ?? 0}, no metrics ${st.trialsMetricsUnavailable ?? 0}) of max ${spec.maxTrialCount ?? '∞'}, ${spec.parallelTrialCount} at once`,
    best ? `best: ${best.bestTrialName} ${obj.objectiveMetricName}=${num(value)} with ${best.parameterAssignments.map((a) => `${a.name}=${a.value}`).join(' ')}` : 'best: none yet',
    ...(st.registeredModelVersion ? [`model: ${st.registeredModelVersion}`] : []),
  ].join('\n');
}

/** The trials table: index order, status, the objective and other metrics, the parameters. */
export function trialsTable(exp: KubeObject, trials: KubeObject[]): string {
  const spec = exp.spec as ExperimentSpec;
  const metricNames = [spec.objective.objectiveMetricName, ...(spec.objective.additionalMetricNames ?? [])];
  const params = spec.parameters.map((p) => p.name);
  const best = ((exp.status ?? {}) as ExperimentStatus).currentOptimalTrial?.bestTrialName;
  const sorted = [...trials].sort((a, b) => Number(a.metadata.labels?.[TRIAL_INDEX_LABEL] ?? 0) - Number(b.metadata.labels?.[TRIAL_INDEX_LABEL] ?? 0));
  const rows = sorted.map((t) => {
    const st = (t.status ?? {}) as TrialStatus;
    const values = Object.fromEntries(((t.spec as TrialSpec).parameterAssignments ?? []).map((a) => [a.name, a.value]));
    const metrics = metricNames.map((n) => num(st.observation?.metrics.find((m) => m.name === n)?.value));
    return [`${t.metadata.name}${t.metadata.name === best ? ' *' : ''}`, st.phase ?? 'Pending', ...metrics, ...params.map((p) => values[p] ?? ''), age(t.metadata.creationTimestamp)];
  });
  return formatTable(['TRIAL', 'STATUS', ...metricNames.map((m) => m.toUpperCase()), ...params.map((p) => p.toUpperCase()), 'AGE'], rows);
}

/** The best trial as data (for -o json|yaml and the text view). */
export function bestTrial(exp: KubeObject): Record<string, unknown> | undefined {
  const st = (exp.status ?? {}) as ExperimentStatus;
  const best = st.currentOptimalTrial;
  if (!best) return undefined;
  return {
    experiment: exp.metadata.name,
    trial: best.bestTrialName,
    parameters: Object.fromEntries(best.parameterAssignments.map((a) => [a.name, a.value])),
    metrics: Object.fromEntries(best.observation.metrics.map((m) => [m.name, m.value ?? m.latest])),
    ...(st.registeredModelVersion ? { model: st.registeredModelVersion } : {}),
  };
}

async function trialsOf(e: CommandEnv, exp: KubeObject): Promise<KubeObject[]> {
  const list = await e.client.list(TrialKind, { namespace: e.ctx.project, labelSelector: `${EXPERIMENT_LABEL}=${exp.metadata.name}` });
  return list.items;
}

/** Adds the experiments commands to the program; `env()` connects lazily. */
export function registerExperimentsCommands(program: Command, env: () => CommandEnv): void {
  const cmd = program.command('experiments').description('hyperparameter tuning: experiments, their trials and the best one');
  cmd
    .command('get')
    .argument('[name]', 'an experiment (all of the project when omitted)')
    .description('list experiments, or summarize one')
    .action(async (name: string | undefined) => {
      const e = env();
      if (!name) {
        e.out(objectsTable(ExperimentKind, (await e.client.list(ExperimentKind, { namespace: e.ctx.project })).items, {}));
        return;
      }
      e.out(describeExperiment(await e.client.get(ExperimentKind, e.ctx.project, name)));
    });
  cmd
    .command('trials')
    .argument('<name>', 'the experiment')
    .description('the experiment\'s trials with their metrics and parameters (* marks the best)')
    .action(async (name: string) => {
      const e = env();
      const exp = await e.client.get(ExperimentKind, e.ctx.project, name);
      e.out(trialsTable(exp, await trialsOf(e, exp)));
    });
  cmd
    .command('best')
    .argument('<name>', 'the experiment')
    .option('-o, --output <format>', 'yaml or json')
    .description('the best trial: its parameters, metrics and registered model')
    .action(async (name: string, o: { output?: string }) => {
      const e = env();
      const best = bestTrial(await e.client.get(ExperimentKind, e.ctx.project, name));
      if (!best) {
        process.exitCode = 1;
        e.out(`experiment ${name} has no finished trial with its objective yet`);
        return;
      }
      if (o.output === 'json' || o.output === 'yaml') {
        e.out(serialize(best, o.output).trimEnd());
        return;
      }
      if (o.output !== undefined) throw new Error('--output must be yaml or json');
      e.out([`trial: ${String(best.trial)}`, ...Object.entries(best.parameters as Record<string, string>).map(([k, v]) => `  ${k}=${v}`), 'metrics:', ...Object.entries(best.metrics as Record<string, number>).map(([k, v]) => `  ${k}=${v}`), ...(best.model ? [`model: ${String(best.model)}`] : [])].join('\n'));
    });
}
