/**
 * Pure: the metric line format replicas use. A replica prints
 * `CAPSTAN_METRIC {"step": 10, "loss": 0.3, "accuracy": 0.9}` on stdout/stderr, or appends the JSON
 * object alone as a line to $CAPSTAN_METRICS_FILE. Only finite numbers are kept; `step` and
 * `epoch` index the series.
 */

/** The marker that starts a metric line in a log. */
export const METRIC_PREFIX = 'CAPSTAN_METRIC ';

/** One reported point. */
export interface MetricPoint {
  /** Epoch milliseconds when the platform read it. */
  ts: number;
  role: string;
  index: number;
  step?: number;
  values: Record<string, number>;
}

/** Parses a JSON object of metrics; undefined when it holds no finite number. */
export function parseMetricObject(json: string): { step?: number; values: Record<string, number> } | undefined {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const values: Record<string, number> = {};
  let step: number | undefined;
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || k.length > 128) continue;
    if (k === 'step') step = v;
    else values[k] = v;
  }
  if (Object.keys(values).length === 0) return undefined;
  return step === undefined ? { values } : { step, values };
}

/** Parses a log line; undefined unless it is a metric line. */
export function parseMetricLogLine(line: string): { step?: number; values: Record<string, number> } | undefined {
  const at = line.indexOf(METRIC_PREFIX);
  if (at < 0) return undefined;
  return parseMetricObject(line.slice(at + METRIC_PREFIX.length).trim());
}

/**
 * Splits a chunk of text into complete lines, returning the unfinished tail to prepend to the
 * next chunk (a metric line may arrive in two reads).
 */
export function splitLines(carry: string, chunk: string): { lines: string[]; carry: string } {
  const text = carry + chunk;
  const parts = text.split('\n');
  const rest = parts.pop() ?? '';
  // A runaway line without newlines must not grow without bound.
  return { lines: parts, carry: rest.length > 65536 ? '' : rest };
}

/** The latest value of every metric over a series (later points win). */
export function latestValues(points: readonly MetricPoint[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of points) Object.assign(out, p.values);
  return out;
}
