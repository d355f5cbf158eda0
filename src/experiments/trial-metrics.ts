/**
 * Reads a trial's metric series from its TrainingJob's files: the job's series of Capstan metric
 * lines (CAPSTAN_METRIC on any replica's output, $CAPSTAN_METRICS_FILE), plus the experiment's
 * collector: the primary replica's stdout (`name=value`, Katib's default) or a file. A metric
 * the collector reports comes from the collector; otherwise from Capstan's lines. Incremental:
 * each file is read from where the last look stopped (from the start again after a restart,
 * which yields the same series).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { MetricsCollectorSpec } from '../api/kinds/experiment-schema.js';
import type { TrainingJobSpec } from '../api/kinds/training-job-schema.js';
import type { KubeObject } from '../api/meta.js';
import { jobFiles } from '../training/job-files.js';
import { parseMetricObject, splitLines } from '../training/metric-lines.js';
import { compileFilters, parseJsonMetricLine, parseTextMetricLine, type MetricReport } from './metric-text.js';

/** Metric name → values in report order. */
export type MetricSeries = Record<string, number[]>;

interface Source {
  file: string;
  parse: (line: string) => MetricReport[];
  offset: number;
  carry: string;
  series: MetricSeries;
}

interface JobSources {
  capstan: Source;
  collector?: Source;
}

const MAX_READ = 8 * 1024 * 1024;

function readNew(src: Source): string {
  let fd: number;
  try {
    fd = openSync(src.file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    if (size < src.offset) {
      src.offset = 0;
      src.series = {};
    }
    const len = Math.min(size - src.offset, MAX_READ);
    if (len <= 0) return '';
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, src.offset);
    src.offset += n;
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function poll(src: Source, final: boolean): void {
  const text = readNew(src);
  const { lines, carry } = splitLines(src.carry, text);
  src.carry = carry;
  // A finished job's last line may lack its newline.
  if (final && src.carry) {
    lines.push(src.carry);
    src.carry = '';
  }
  for (const line of lines) for (const r of src.parse(line)) (src.series[r.name] ??= []).push(r.value);
}

/** The replica whose stdout Katib's StdOut collector reads: Master or Chief, else the first role's replica 0. */
export function primaryReplica(spec: TrainingJobSpec): { role: string; index: number } {
  const roles = Object.keys(spec.replicaSpecs);
  const role = roles.find((r) => r === 'Master') ?? roles.find((r) => r === 'Chief') ?? roles[0] ?? 'Worker';
  return { role, index: 0 };
}

/** Caches readers per job instance (uid). */
export class TrialMetricReader {
  private readonly jobs = new Map<string, JobSources>();

  constructor(private readonly dataDir: string) {}

  /** The series of the wanted metrics for a trial's job; `final` once the job has ended. */
  read(job: KubeObject, collector: MetricsCollectorSpec, wanted: readonly string[], final = false): MetricSeries {
    const names = new Set(wanted);
    let s = this.jobs.get(job.metadata.uid);
    if (!s) {
      s = this.sources(job, collector, names);
      this.jobs.set(job.metadata.uid, s);
    }
    poll(s.capstan, final);
    if (s.collector) poll(s.collector, final);
    const out: MetricSeries = {};
    for (const n of wanted) {
      const v = s.collector?.series[n]?.length ? s.collector.series[n] : s.capstan.series[n];
      if (v?.length) out[n] = [...v];
    }
    return out;
  }

  /** Forgets jobs no longer of interest (their trials are gone). */
  retain(uids: ReadonlySet<string>): void {
    for (const k of this.jobs.keys()) if (!uids.has(k)) this.jobs.delete(k);
  }

  private sources(job: KubeObject, collector: MetricsCollectorSpec, names: Set<string>): JobSources {
    const files = jobFiles(this.dataDir, job.metadata.namespace!, job.metadata.name, job.metadata.uid);
    const capstan: Source = {
      file: files.seriesFile,
      offset: 0,
      carry: '',
      series: {},
      parse: (line) => {
        let p: unknown;
        try {
          p = JSON.parse(line);
        } catch {
          return [];
        }
        const values = (p as { values?: Record<string, number> } | null)?.values;
        const parsed = values ? parseMetricObject(JSON.stringify(values)) : undefined;
        return parsed ? Object.entries(parsed.values).filter(([n]) => names.has(n)).map(([name, value]) => ({ name, value })) : [];
      },
    };
    const kind = collector.collector.kind;
    if (kind === 'None') return { capstan };
    const filters = compileFilters(collector.source?.filter?.metricsFormat);
    const text = (line: string) => parseTextMetricLine(line, names, filters);
    if (kind === 'File') {
      const fsp = collector.source!.fileSystemPath!;
      // A relative path is the trial's output directory's ($CAPSTAN_OUTPUT_DIR).
      const file = isAbsolute(fsp.path) ? fsp.path : join(files.outputDir, fsp.path);
      return { capstan, collector: { file, offset: 0, carry: '', series: {}, parse: fsp.format === 'JSON' ? (l) => parseJsonMetricLine(l, names) : text } };
    }
    const primary = primaryReplica(job.spec as TrainingJobSpec);
    return { capstan, collector: { file: files.logFile(primary), offset: 0, carry: '', series: {}, parse: text } };
  }
}
