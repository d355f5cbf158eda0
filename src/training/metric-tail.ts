/**
 * Reads what replicas wrote since the last look (their logs for `CAPSTAN_METRIC` lines, their
 * metrics files for JSON lines) and appends the points to the job's series file. Incremental:
 * each file is read from where the previous poll stopped.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseMetricLogLine, parseMetricObject, splitLines, type MetricPoint } from './metric-lines.js';

interface Source {
  role: string;
  index: number;
  file: string;
  kind: 'log' | 'jsonl';
  offset: number;
  carry: string;
}

const MAX_READ = 4 * 1024 * 1024;

function readNew(src: Source): string {
  let fd: number;
  try {
    fd = openSync(src.file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    // A truncated file (replica rewrote it) is read again from the start.
    if (size < src.offset) src.offset = 0;
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

/** Tails a job's replica logs and metrics files into its series. */
export class MetricTail {
  private readonly sources: Source[] = [];
  private readonly latestMap: Record<string, number> = {};

  constructor(private readonly seriesFile: string, replicas: Array<{ role: string; index: number; logFile?: string; metricsFile: string }>, private readonly now: () => number = Date.now) {
    for (const r of replicas) {
      if (r.logFile) this.sources.push({ role: r.role, index: r.index, file: r.logFile, kind: 'log', offset: 0, carry: '' });
      this.sources.push({ role: r.role, index: r.index, file: r.metricsFile, kind: 'jsonl', offset: 0, carry: '' });
    }
    mkdirSync(dirname(seriesFile), { recursive: true });
  }

  /** Reads new lines; returns how many points were added. */
  poll(): number {
    const added: MetricPoint[] = [];
    for (const src of this.sources) {
      const text = readNew(src);
      if (!text) continue;
      const { lines, carry } = splitLines(src.carry, text);
      src.carry = carry;
      for (const line of lines) {
        const parsed = src.kind === 'log' ? parseMetricLogLine(line) : parseMetricObject(line.trim());
        if (parsed) added.push({ ts: this.now(), role: src.role.toLowerCase(), index: src.index, ...parsed });
      }
    }
    if (added.length > 0) {
      appendFileSync(this.seriesFile, added.map((p) => JSON.stringify(p)).join('\n') + '\n');
      // Only the latest values are kept in memory; the file keeps the whole series.
      for (const p of added) Object.assign(this.latestMap, p.values);
    }
    return added.length;
  }

  /** The latest value of every metric read so far. */
  latest(): Record<string, number> {
    return { ...this.latestMap };
  }
}
