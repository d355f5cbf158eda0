/**
 * Pure: Katib's metric formats. StdOut and TEXT files hold `name=value` pairs found by a filter
 * (Katib's default, or the experiment's `metricsFormat` regular expressions, each with the name
 * and the value as its first two groups); JSON files hold one object per line. Only the names
 * asked for are kept, in report order.
 */
import { METRIC_PREFIX } from '../training/metric-lines.js';

/** Katib's default StdOut filter: `name=value`, `name = value`. */
export const DEFAULT_METRICS_FORMAT = '([\\w|-]+)\\s*=\\s*([+-]?\\d*(\\.\\d+)?([Ee][+-]?\\d+)?)';

/** A reported value. */
export interface MetricReport {
  name: string;
  value: number;
}

/** Compiles the filters (global, so a line may hold several pairs). */
export function compileFilters(formats: readonly string[] | undefined): RegExp[] {
  return (formats?.length ? formats : [DEFAULT_METRICS_FORMAT]).map((f) => new RegExp(f, 'g'));
}

/** The `name=value` reports of one text line for the wanted names. Capstan's own metric lines are left to its series. */
export function parseTextMetricLine(line: string, wanted: ReadonlySet<string>, filters: readonly RegExp[]): MetricReport[] {
  if (line.includes(METRIC_PREFIX)) return [];
  const out: MetricReport[] = [];
  for (const re of filters) {
    re.lastIndex = 0;
    for (const m of line.matchAll(re)) {
      const name = m[1]?.trim();
      const value = Number(m[2]);
      if (name && wanted.has(name) && m[2] !== '' && Number.isFinite(value)) out.push({ name, value });
    }
  }
  return out;
}

/** The reports of one JSON line (`{"accuracy": 0.9, "loss": "0.3"}`) for the wanted names. */
export function parseJsonMetricLine(line: string, wanted: ReadonlySet<string>): MetricReport[] {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return [];
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return [];
  const out: MetricReport[] = [];
  for (const [name, v] of Object.entries(obj as Record<string, unknown>)) {
    const value = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (wanted.has(name) && Number.isFinite(value)) out.push({ name, value });
  }
  return out;
}
