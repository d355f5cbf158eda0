// SenseTime Helios trace (S-Lab-System-Group/HeliosData) `cluster_log.csv`, with a header:
//   job_id,user,vc,jobname,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time,duration,queue_time
// One pod per node: gpus per pod = ceil(gpu_num / node_num); queue = vc; duration in seconds.
import { headerIndex, parseCsv } from './csv.js';
import { IssueSink, TraceError, parseTimeSeconds, type TraceJob, type TraceParseOptions, type TraceParseResult } from './trace-types.js';

/** Parse a Helios cluster_log.csv text. */
export function parseHeliosTrace(text: string, opts: TraceParseOptions = {}): TraceParseResult {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new TraceError([{ line: 1, message: 'empty trace: expected a header row' }]);
  const { index, missing } = headerIndex(rows[0].fields, ['job_id', 'gpu_num', 'submit_time']);
  if (missing.length > 0) throw new TraceError([{ line: 1, message: `header is missing column(s) ${missing.join(', ')}` }]);
  const get = (f: string[], c: string) => { const i = index.get(c); return i === undefined ? undefined : f[i]?.trim(); };
  const sink = new IssueSink(opts.strict ?? false);
  const jobs: TraceJob[] = [];
  for (const { line, fields: f } of rows.slice(1)) {
    const id = get(f, 'job_id') ?? '';
    const gpus = Number(get(f, 'gpu_num'));
    const nodes = Math.max(1, Number(get(f, 'node_num') ?? 1) || 1);
    const cpus = Number(get(f, 'cpu_num') ?? 0);
    const submit = parseTimeSeconds(get(f, 'submit_time'));
    let duration = Number(get(f, 'duration'));
    if (!Number.isFinite(duration) || get(f, 'duration') === '') duration = parseTimeSeconds(get(f, 'end_time')) - parseTimeSeconds(get(f, 'start_time'));
    if (!id) { sink.add(line, 'job_id is empty'); continue; }
    if (!Number.isInteger(gpus) || gpus < 0) { sink.add(line, `job ${id}: gpu_num "${get(f, 'gpu_num') ?? ''}" is not a non-negative integer`); continue; }
    if (!Number.isFinite(submit)) { sink.add(line, `job ${id}: submit_time "${get(f, 'submit_time') ?? ''}" is not a time`); continue; }
    if (!Number.isFinite(duration) || duration < 0) { sink.add(line, `job ${id}: no usable duration or start/end time`); continue; }
    const pods = Math.min(nodes, Math.max(1, gpus));
    jobs.push({
      id, submitTime: submit, durationS: duration, queue: get(f, 'vc') || 'default', priority: 0,
      podSets: [{ name: 'worker', count: pods, gpus: Math.ceil(gpus / pods), cpuMilli: Number.isFinite(cpus) && cpus > 0 ? Math.ceil((cpus / pods) * 1000) : undefined }],
    });
  }
  return { jobs, issues: sink.issues };
}
