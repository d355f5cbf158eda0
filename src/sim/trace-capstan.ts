// Capstan's own trace CSV (documented in docs/scheduler.md):
//   id,submit_time,duration,queue,gpus,pods,cpu,memory,priority,gpu_model,gpu_milli
// submit_time: seconds or a date-time; duration: seconds; gpus/cpu/memory are PER POD
// (cpu and memory as Kubernetes quantities); pods = gang size; gpu_milli = a shared GPU slice per pod
// (1–999 milli-GPU, on one device shared with other pods). Lines starting with # are comments.
import { parseQuantity } from '../scheduler/quantity.js';
import { headerIndex, parseCsv } from './csv.js';
import { IssueSink, TraceError, parseTimeSeconds, type TraceJob, type TraceParseOptions, type TraceParseResult } from './trace-types.js';

const REQUIRED = ['id', 'submit_time', 'duration', 'gpus'];

/** Parse Capstan trace CSV text. */
export function parseCapstanTrace(text: string, opts: TraceParseOptions = {}): TraceParseResult {
  const sink = new IssueSink(opts.strict ?? false);
  const rows = parseCsv(text).filter((r) => !(r.fields[0] ?? '').trimStart().startsWith('#'));
  if (rows.length === 0) throw new TraceError([{ line: 1, message: 'empty trace: expected a header row' }]);
  const { index, missing } = headerIndex(rows[0].fields, REQUIRED);
  if (missing.length > 0) throw new TraceError([{ line: rows[0].line, message: `header is missing column(s) ${missing.join(', ')}` }]);
  const get = (f: string[], col: string) => {
    const i = index.get(col);
    return i === undefined ? undefined : f[i]?.trim();
  };
  const jobs: TraceJob[] = [];
  const seen = new Set<string>();
  for (const row of rows.slice(1)) {
    const f = row.fields;
    const id = get(f, 'id') ?? '';
    const submit = parseTimeSeconds(get(f, 'submit_time'));
    const duration = Number(get(f, 'duration'));
    const gpus = Number(get(f, 'gpus'));
    const pods = get(f, 'pods') ? Number(get(f, 'pods')) : 1;
    const priority = get(f, 'priority') ? Number(get(f, 'priority')) : 0;
    const gpuMilli = get(f, 'gpu_milli') ? Number(get(f, 'gpu_milli')) : 0;
    let problem: string | undefined;
    if (!id) problem = 'id is empty';
    else if (seen.has(id)) problem = `duplicate id ${id}`;
    else if (!Number.isFinite(submit)) problem = `submit_time "${get(f, 'submit_time') ?? ''}" is not a time`;
    else if (!Number.isFinite(duration) || duration < 0) problem = `duration "${get(f, 'duration') ?? ''}" is not a non-negative number of seconds`;
    else if (!Number.isInteger(gpus) || gpus < 0) problem = `gpus "${get(f, 'gpus') ?? ''}" is not a non-negative integer`;
    else if (!Number.isInteger(pods) || pods < 1) problem = `pods "${get(f, 'pods') ?? ''}" is not a positive integer`;
    else if (!Number.isInteger(priority)) problem = `priority "${get(f, 'priority') ?? ''}" is not an integer`;
    else if (!Number.isInteger(gpuMilli) || gpuMilli < 0 || gpuMilli > 999) problem = `gpu_milli "${get(f, 'gpu_milli') ?? ''}" is not an integer from 0 to 999`;
    let cpuMilli: number | undefined;
    let memoryBytes: number | undefined;
    if (!problem) {
      try {
        const cpu = get(f, 'cpu');
        const mem = get(f, 'memory');
        cpuMilli = cpu ? parseQuantity(cpu, 'cpu') : undefined;
        memoryBytes = mem ? parseQuantity(mem, 'memory') : undefined;
      } catch (e) {
        problem = (e as Error).message;
      }
    }
    if (problem) { sink.add(row.line, problem); continue; }
    seen.add(id);
    jobs.push({
      id, submitTime: submit, durationS: duration, queue: get(f, 'queue') || 'default', priority,
      podSets: [{ name: 'main', count: pods, gpus, gpuMilli: gpuMilli || undefined, cpuMilli, memoryBytes, gpuModel: get(f, 'gpu_model') || undefined }],
    });
  }
  return { jobs, issues: sink.issues };
}
