// Alibaba PAI 2020 trace (alibaba/clusterdata cluster-trace-gpu-v2020), headerless CSVs:
//   pai_task_table: job_name,task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type
//   pai_job_table:  job_name,inst_id,user,status,start_time,end_time   (optional, gives the user → queue)
// plan_cpu and plan_gpu are percent (600 = 6 cores, 50 = half a GPU: kept as a 500 milli-GPU slice,
// 150 = one whole GPU plus a 500 milli-GPU slice),
// plan_mem is GB; a job's tasks become podSets of one gang (count = inst_num). The trace has no
// submit time, so the earliest task start is used; duration = latest end − earliest start.
import { parseCsv } from './csv.js';
import { IssueSink, parseTimeSeconds, type TraceJob, type TraceParseOptions, type TraceParseResult } from './trace-types.js';

/** Parse PAI task table text (and optionally the job table for users). */
export function parsePaiTrace(taskText: string, jobText?: string, opts: TraceParseOptions = {}): TraceParseResult {
  const sink = new IssueSink(opts.strict ?? false);
  const users = new Map<string, string>();
  if (jobText) {
    for (const { fields } of parseCsv(jobText)) {
      if (fields[0] === 'job_name') continue;
      if (fields[0] && fields[2]) users.set(fields[0], fields[2]);
    }
  }
  const byJob = new Map<string, { start: number; end: number; podSets: TraceJob['podSets']; line: number }>();
  for (const { line, fields: f } of parseCsv(taskText)) {
    if (f[0] === 'job_name') continue;
    if (f.length < 9) { sink.add(line, `expected 10 columns, found ${f.length}`); continue; }
    const [job, task, instRaw, , startRaw, endRaw, cpuRaw, memRaw, gpuRaw, gpuType] = f;
    const inst = Number(instRaw);
    const start = parseTimeSeconds(startRaw);
    const end = parseTimeSeconds(endRaw);
    const gpuPct = gpuRaw === '' ? 0 : Number(gpuRaw);
    const cpuPct = cpuRaw === '' ? 0 : Number(cpuRaw);
    const memGb = memRaw === '' ? 0 : Number(memRaw);
    if (!job) { sink.add(line, 'job_name is empty'); continue; }
    if (!Number.isInteger(inst) || inst < 1) { sink.add(line, `job ${job}: inst_num "${instRaw}" is not a positive integer`); continue; }
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start || start <= 0) { sink.add(line, `job ${job}: task ${task} has no finished run (start "${startRaw}", end "${endRaw}")`); continue; }
    if (![gpuPct, cpuPct, memGb].every((x) => Number.isFinite(x) && x >= 0)) { sink.add(line, `job ${job}: plan_cpu/plan_mem/plan_gpu not numbers`); continue; }
    const entry = byJob.get(job) ?? { start, end, podSets: [], line };
    entry.start = Math.min(entry.start, start);
    entry.end = Math.max(entry.end, end);
    entry.podSets.push({
      name: task || `task${entry.podSets.length}`, count: inst, gpus: Math.floor(gpuPct / 100),
      gpuMilli: Math.round((gpuPct % 100) * 10) || undefined,
      cpuMilli: cpuPct > 0 ? Math.ceil(cpuPct * 10) : undefined, memoryBytes: memGb > 0 ? Math.ceil(memGb * 2 ** 30) : undefined,
      gpuModel: gpuType && gpuType !== 'MISC' ? gpuType : undefined,
    });
    byJob.set(job, entry);
  }
  const jobs: TraceJob[] = [];
  for (const [id, e] of byJob) {
    // Task names repeat across jobs but must be unique inside one gang.
    const names = new Set<string>();
    for (const ps of e.podSets) { while (names.has(ps.name)) ps.name += '_'; names.add(ps.name); }
    jobs.push({ id, submitTime: e.start, durationS: e.end - e.start, queue: users.get(id) ?? 'default', priority: 0, podSets: e.podSets });
  }
  return { jobs, issues: sink.issues };
}
