// `capstan sim`: replay a job trace through the scheduler core and print the report.
//   capstan sim --trace FILE [--format capstan|philly|pai|helios|openb] --cluster cluster.yaml
//               --policy fifo|priority|drf|sjf|srtf [--placement binpack|spread|topology|firstfit|bestfit|worstfit|fgd]
//               [--json] [--svg out.svg] [--strict] [--lookahead N] [--on-preempt restart|resume] [--preemption-cost S]
import { parseArgs } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { parseClusterConfig, ClusterConfigError } from './cluster-config.js';
import { guessFormat, loadTrace, type TraceFormat } from './trace-load.js';
import { TraceError } from './trace-types.js';
import { runSimulation, SIM_DEFAULT_LOOKAHEAD, type OnPreempt, type SimPolicy } from './simulate.js';
import { formatReportTable } from './report.js';
import { renderTimelineSvg } from './svg-chart.js';
import type { PlacementStrategy } from '../scheduler/types.js';

const POLICIES = ['fifo', 'priority', 'drf', 'sjf', 'srtf'] as const;
const PLACEMENTS = ['binpack', 'spread', 'topology', 'firstfit', 'bestfit', 'worstfit', 'fgd'] as const;
const USAGE = `usage: capstan sim --trace FILE [--format capstan|philly|pai|helios|openb] --cluster FILE --policy ${POLICIES.join('|')} [--placement ${PLACEMENTS.join('|')}] [--json] [--svg out.svg] [--strict] [--lookahead N (default ${SIM_DEFAULT_LOOKAHEAD})] [--on-preempt restart|resume (default resume under srtf, else restart)] [--preemption-cost SECONDS (default 0)]`;

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${v}")`);
  return v as T;
}

class UsageError extends Error {}

/** Where simMain writes, and whether it sets process.exitCode (so callers that ignore the result still exit non-zero). */
export interface SimIo {
  out?: (s: string) => void;
  err?: (s: string) => void;
  setExitCode?: boolean;
}

/** Entry point of `capstan sim`; returns the exit code (0 ok, 1 bad input, 2 usage) and, by default, sets process.exitCode to it. */
export async function simMain(argv: string[], io: SimIo = {}): Promise<number> {
  const code = await run(argv, io.out ?? ((s) => process.stdout.write(s)), io.err ?? ((s) => process.stderr.write(s)));
  if (code !== 0 && io.setExitCode !== false) process.exitCode = code;
  return code;
}

async function run(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const args = argv[0] === 'sim' ? argv.slice(1) : argv;
  try {
    const { values } = parseArgs({
      args, strict: true, allowPositionals: false,
      options: {
        trace: { type: 'string' }, format: { type: 'string' }, cluster: { type: 'string' }, policy: { type: 'string' },
        placement: { type: 'string' }, json: { type: 'boolean' }, svg: { type: 'string' }, strict: { type: 'boolean' },
        lookahead: { type: 'string' }, 'pai-jobs': { type: 'string' }, help: { type: 'boolean', short: 'h' },
        'on-preempt': { type: 'string' }, 'preemption-cost': { type: 'string' },
      },
    });
    if (values.help) { out(`${USAGE}\n`); return 0; }
    if (!values.trace) throw new UsageError('--trace is required');
    if (!values.cluster) throw new UsageError('--cluster is required');
    const format = oneOf<TraceFormat>('format', values.format, ['capstan', 'philly', 'pai', 'helios', 'openb'], guessFormat(values.trace));
    const policy = oneOf<SimPolicy>('policy', values.policy, POLICIES, 'fifo');
    const placement = oneOf<PlacementStrategy>('placement', values.placement, PLACEMENTS, 'binpack');
    const onPreempt = values['on-preempt'] === undefined ? undefined : oneOf<OnPreempt>('on-preempt', values['on-preempt'], ['restart', 'resume'], 'restart');
    const preemptionCostS = values['preemption-cost'] === undefined ? undefined : Number(values['preemption-cost']);
    if (preemptionCostS !== undefined && !(Number.isFinite(preemptionCostS) && preemptionCostS >= 0)) throw new UsageError('--preemption-cost must be a non-negative number of seconds');
    const lookahead = values.lookahead === undefined ? undefined : Number(values.lookahead);
    if (lookahead !== undefined && (!Number.isInteger(lookahead) || lookahead < 1)) throw new UsageError('--lookahead must be a positive integer');
    const cluster = parseClusterConfig(await readFile(values.cluster, 'utf8'));
    const trace = await loadTrace(values.trace, format, { strict: values.strict ?? false, paiJobTable: values['pai-jobs'] });
    if (trace.issues.length > 0) {
      err(`skipped ${trace.issues.length} malformed row(s) in ${values.trace}:\n${trace.issues.slice(0, 10).map((i) => `  line ${i.line}: ${i.message}`).join('\n')}${trace.issues.length > 10 ? `\n  … ${trace.issues.length - 10} more` : ''}\n`);
    }
    if (trace.jobs.length === 0) { err(`no usable jobs in ${values.trace}\n`); return 1; }
    const report = runSimulation({ trace: trace.jobs, cluster, policy, placement, lookahead, onPreempt, preemptionCostS });
    if (values.svg) await writeFile(values.svg, renderTimelineSvg(report));
    if (values.json) out(`${JSON.stringify({ ...report, skippedRows: trace.issues.length, issues: trace.issues.slice(0, 100) })}\n`);
    else out(`${formatReportTable(report)}\n${values.svg ? `\nchart written to ${values.svg}\n` : ''}`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) { err(`${(e as Error).message}\n${USAGE}\n`); return 2; }
    if (e instanceof TraceError || e instanceof ClusterConfigError) { err(`${e.name}: ${e.message}\n`); return 1; }
    if ((e as { code?: string }).code === 'ENOENT') { err(`${(e as Error).message}\n`); return 1; }
    throw e;
  }
}
