// Alibaba GPU-sharing trace (alibaba/clusterdata cluster-trace-gpu-v2023, "openb"; Weng et al.,
// USENIX ATC 2023), `openb_pod_list_*.csv` with a header:
//   name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
// One pod per row. num_gpu = 1 with gpu_milli < 1000 is a shared slice (kept as milli-GPU, not
// rounded up); otherwise num_gpu whole GPUs. Duration = deletion_time − creation_time (seconds);
// queue = qos (LS, BE, Burstable…). gpu_spec ("V100M16|V100M32") pins to a GPU model only when it
// names exactly one.
import { headerIndex, parseCsv } from './csv.js';
import { IssueSink, TraceError, type TraceJob, type TraceParseOptions, type TraceParseResult } from './trace-types.js';

const REQUIRED = ['name', 'cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli', 'creation_time', 'deletion_time'];

/** Parse an openb pod list. */
export function parseOpenbTrace(text: string, opts: TraceParseOptions = {}): TraceParseResult {
  const rows = parseCsv(text);
  if (rows.length === 0) throw new TraceError([{ line: 1, message: 'empty trace: expected a header row' }]);
  const { index, missing } = headerIndex(rows[0].fields, REQUIRED);
  if (missing.length > 0) throw new TraceError([{ line: rows[0].line, message: `header is missing column(s) ${missing.join(', ')}` }]);
  const get = (f: string[], c: string) => { const i = index.get(c); return i === undefined ? undefined : f[i]?.trim(); };
  const num = (f: string[], c: string) => { const v = get(f, c); return v === undefined || v === '' ? NaN : Number(v); };
  const sink = new IssueSink(opts.strict ?? false);
  const jobs: TraceJob[] = [];
  const seen = new Set<string>();
  for (const { line, fields: f } of rows.slice(1)) {
    const id = get(f, 'name') ?? '';
    const [cpu, mem, gpus, milli, created, deleted] = ['cpu_milli', 'memory_mib', 'num_gpu', 'gpu_milli', 'creation_time', 'deletion_time'].map((c) => num(f, c));
    let problem: string | undefined;
    if (!id) problem = 'name is empty';
    else if (seen.has(id)) problem = `duplicate name ${id}`;
    else if (!(Number.isFinite(cpu) && cpu >= 0 && Number.isFinite(mem) && mem >= 0)) problem = `pod ${id}: cpu_milli/memory_mib are not non-negative numbers`;
    else if (!Number.isInteger(gpus) || gpus < 0) problem = `pod ${id}: num_gpu "${get(f, 'num_gpu') ?? ''}" is not a non-negative integer`;
    else if (gpus > 0 && (!Number.isInteger(milli) || milli < 1 || milli > 1000)) problem = `pod ${id}: gpu_milli "${get(f, 'gpu_milli') ?? ''}" is not an integer from 1 to 1000`;
    else if (!Number.isFinite(created) || !Number.isFinite(deleted) || deleted < created) problem = `pod ${id}: creation_time/deletion_time do not give a duration`;
    if (problem) { sink.add(line, problem); continue; }
    seen.add(id);
    const shared = gpus === 1 && milli < 1000;
    const spec = (get(f, 'gpu_spec') ?? '').split('|').filter((s) => s && s !== 'nan');
    jobs.push({
      id, submitTime: created, durationS: deleted - created, queue: get(f, 'qos') || 'default', priority: 0,
      podSets: [{ name: 'pod', count: 1, gpus: shared ? 0 : gpus, gpuMilli: shared ? milli : undefined, cpuMilli: cpu, memoryBytes: mem * 2 ** 20, gpuModel: spec.length === 1 ? spec[0] : undefined }],
    });
  }
  return { jobs, issues: sink.issues };
}
