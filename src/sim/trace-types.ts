// The simulator's normalised job record, and how parsers report bad input.

/** One job of a trace, normalised from any supported format. Times in seconds. */
export interface TraceJob {
  id: string;
  /** Submission time, seconds (absolute epoch or relative; only differences matter). */
  submitTime: number;
  /** Run time on the cluster, seconds. */
  durationS: number;
  /** Queue the job is submitted to (VC, team, user…); mapped onto a ClusterQueue by the cluster file. */
  queue: string;
  priority: number;
  /** Gang of identical pods (one per podSet entry). */
  /** `gpus` whole GPUs per pod plus, when set, a shared slice of `gpuMilli` milli-GPU (1–999) on one more device. */
  podSets: { name: string; count: number; gpus: number; gpuMilli?: number; cpuMilli?: number; memoryBytes?: number; gpuModel?: string }[];
}

/** A row the parser could not use, with its 1-based line number in the input. */
export interface TraceIssue {
  line: number;
  message: string;
}

/** Result of parsing a trace. */
export interface TraceParseResult {
  jobs: TraceJob[];
  issues: TraceIssue[];
}

/** Parse options common to every format. */
export interface TraceParseOptions {
  /** Fail on the first malformed row instead of skipping it. */
  strict?: boolean;
}

/** Thrown in strict mode (or when nothing is parseable), naming the line. */
export class TraceError extends Error {
  override name = 'TraceError';
  constructor(readonly issues: TraceIssue[]) {
    super(issues.slice(0, 5).map((i) => `line ${i.line}: ${i.message}`).join('; ') + (issues.length > 5 ? ` (+${issues.length - 5} more)` : ''));
  }
}

/** Collects issues, throwing at once in strict mode. */
export class IssueSink {
  readonly issues: TraceIssue[] = [];
  constructor(private readonly strict: boolean) {}
  /** Record a malformed row. */
  add(line: number, message: string): void {
    const issue = { line, message };
    if (this.strict) throw new TraceError([issue]);
    this.issues.push(issue);
  }
}

/** Parse "2017-10-03 02:34:52", ISO-8601 or a plain number of seconds into seconds; NaN when invalid. */
export function parseTimeSeconds(v: string | undefined): number {
  if (v === undefined) return NaN;
  const s = v.trim();
  if (s === '' || s === 'None' || s === 'null') return NaN;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s) ? `${s.replace(' ', 'T')}Z` : s;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? NaN : ms / 1000;
}
