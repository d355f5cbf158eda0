// Microsoft Philly trace (msr-fiddle/philly-traces) `cluster_job_log`: a JSON array of jobs
//   { jobid, vc, user, status, submitted_time, attempts: [{ start_time, end_time, detail: [{ ip, gpus: [...] }] }] }
// GPUs = GPUs listed in the first attempt's detail (one pod per machine); run time = sum of attempt
// run times (what the job actually computed); queue = vc.
import { IssueSink, TraceError, parseTimeSeconds, type TraceJob, type TraceParseOptions, type TraceParseResult } from './trace-types.js';

/** Line number of each top-level array element's opening brace (JSON.parse keeps no positions). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) { line++; continue; }
    if (inStr) {
      if (ch === 92) i++;
      else if (ch === 34) inStr = false;
      continue;
    }
    if (ch === 34) inStr = true;
    else if (ch === 123 || ch === 91) { if (depth === 1 && ch === 123) lines.push(line); depth++; }
    else if (ch === 125 || ch === 93) depth--;
  }
  return lines;
}

interface PhillyAttempt { start_time?: unknown; end_time?: unknown; detail?: { ip?: unknown; gpus?: unknown }[] }
interface PhillyJob { jobid?: unknown; vc?: unknown; status?: unknown; submitted_time?: unknown; attempts?: PhillyAttempt[] }

/** Parse a Philly cluster_job_log JSON text. */
export function parsePhillyTrace(text: string, opts: TraceParseOptions = {}): TraceParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TraceError([{ line: 1, message: `not valid JSON: ${(e as Error).message}` }]);
  }
  if (!Array.isArray(data)) throw new TraceError([{ line: 1, message: 'expected a JSON array of jobs' }]);
  const lines = elementLines(text);
  const sink = new IssueSink(opts.strict ?? false);
  const jobs: TraceJob[] = [];
  data.forEach((raw: PhillyJob, i) => {
    const line = lines[i] ?? 1;
    if (typeof raw !== 'object' || raw === null) return sink.add(line, 'job is not an object');
    const id = typeof raw.jobid === 'string' ? raw.jobid : '';
    const submit = parseTimeSeconds(typeof raw.submitted_time === 'string' ? raw.submitted_time : undefined);
    const attempts = Array.isArray(raw.attempts) ? raw.attempts : [];
    if (!id) return sink.add(line, 'jobid missing');
    if (!Number.isFinite(submit)) return sink.add(line, `job ${id}: submitted_time "${String(raw.submitted_time)}" is not a time`);
    if (attempts.length === 0) return sink.add(line, `job ${id}: no attempts (never ran)`);
    let run = 0;
    for (const a of attempts) {
      const s = parseTimeSeconds(typeof a.start_time === 'string' ? a.start_time : undefined);
      const e = parseTimeSeconds(typeof a.end_time === 'string' ? a.end_time : undefined);
      if (!Number.isFinite(s) || !Number.isFinite(e) || e < s) return sink.add(line, `job ${id}: attempt with start "${String(a.start_time)}" / end "${String(a.end_time)}" is not a finished run`);
      run += e - s;
    }
    const detail = Array.isArray(attempts[0].detail) ? attempts[0].detail : [];
    const perMachine = detail.map((d) => (Array.isArray(d.gpus) ? d.gpus.length : 0)).filter((g) => g > 0);
    const total = perMachine.reduce((a, b) => a + b, 0);
    if (total === 0) return sink.add(line, `job ${id}: first attempt lists no GPUs`);
    const pods = perMachine.length;
    const per = Math.ceil(total / pods);
    jobs.push({ id, submitTime: submit, durationS: run, queue: typeof raw.vc === 'string' ? raw.vc : 'default', priority: 0, podSets: [{ name: 'worker', count: pods, gpus: per }] });
  });
  return { jobs, issues: sink.issues };
}
