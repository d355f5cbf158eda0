/**
 * The live parts of a TrainingJob page: a replica's log followed as it is written, and charts of the metrics the
 * replicas report by step (…/metrics, re-read every 3 s while the job runs and the tab is visible).
 */
import { useState } from 'react';
import type { KubeObject } from '../api/client.js';
import { useTextStream } from '../api/text-stream.js';
import { usePolling } from '../state/use-polling.js';
import { EmptyState, ErrorBox } from '../ui/common.js';
import { LineChart, type Series } from '../ui/line-chart.js';
import { LogView } from '../ui/log-view.js';

interface MetricPoint { ts: number; role: string; index: number; step?: number; values: Record<string, number> }

const TERMINAL = new Set(['Succeeded', 'Failed']);

/** The API path of a job's sub-resource. */
export function jobPath(o: KubeObject, sub: string): string {
  return `/apis/capstan.dev/v1alpha1/namespaces/${encodeURIComponent(o.metadata.namespace ?? 'default')}/trainingjobs/${encodeURIComponent(o.metadata.name)}/${sub}`;
}

/** One series per metric name from the replica that reported most (the chief, usually), ordered by step (pure). */
export function metricSeries(points: MetricPoint[]): { steps: number[]; series: Map<string, Array<number | null>>; reporter?: string } {
  const by = new Map<string, MetricPoint[]>();
  for (const p of points) {
    const k = `${p.role}-${p.index}`;
    by.set(k, [...(by.get(k) ?? []), p]);
  }
  const [reporter, pts] = [...by].sort((a, b) => b[1].length - a[1].length)[0] ?? [undefined, []];
  const ordered = pts.map((p, i) => ({ p, x: p.step ?? i })).sort((a, b) => a.x - b.x);
  const names = [...new Set(ordered.flatMap(({ p }) => Object.keys(p.values)))];
  const series = new Map(names.map((n) => [n, ordered.map(({ p }) => p.values[n] ?? null)]));
  return { steps: ordered.map(({ x }) => x), series, reporter };
}

/** Charts of a job's metrics. */
export function JobCharts({ object }: { object: KubeObject }) {
  const phase = (object.status as { phase?: string } | undefined)?.phase;
  const done = phase !== undefined && TERMINAL.has(phase);
  const { data, error } = usePolling<{ points: MetricPoint[] }>(jobPath(object, 'metrics'), done ? 60_000 : 3000);
  const { steps, series, reporter } = metricSeries(data?.points ?? []);
  // loss-like and accuracy-like metrics first, then the rest (at most 6 charts)
  const rank = (n: string) => (/loss/i.test(n) ? 0 : /acc/i.test(n) ? 1 : 2);
  const names = [...series.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, 6);
  const x: [string, string] | undefined = steps.length ? [`step ${steps[0]}`, `step ${steps[steps.length - 1]}`] : undefined;
  return (
    <section className="panel" aria-labelledby="job-charts-title">
      <div className="spread" style={{ marginBottom: '.25rem' }}>
        <h2 id="job-charts-title" style={{ margin: 0 }}>Metrics by step</h2>
        {reporter ? <span className="muted small">reported by {reporter}{done ? '' : ' · refreshed every 3 s'}</span> : null}
      </div>
      <ErrorBox error={error} title="Metrics not available" />
      {data && names.length === 0 ? (
        <EmptyState title="No metrics reported yet">
          <p>A replica reports metrics by printing lines like <code>CAPSTAN_METRIC {'{"step": 10, "loss": 0.3, "accuracy": 0.9}'}</code>.</p>
        </EmptyState>
      ) : (
        <div className="charts">
          {names.map((n) => {
            const s: Series = { name: n, values: series.get(n) ?? [] };
            return <LineChart key={n} testId={`chart-${n}`} title={n} series={[s]} xLabels={x} />;
          })}
        </div>
      )}
    </section>
  );
}

/** A replica's log, followed; pick role and index. */
export function JobLogs({ object }: { object: KubeObject }) {
  const specs = (object.spec?.replicaSpecs ?? {}) as Record<string, { replicas?: number }>;
  const roles = Object.keys(specs);
  const [role, setRole] = useState(roles[0] ?? '');
  const [index, setIndex] = useState(0);
  const count = specs[role]?.replicas ?? 1;
  const path = role ? `${jobPath(object, 'log')}?${new URLSearchParams({ role, index: String(index), follow: 'true', tail: '1000' })}` : undefined;
  const stream = useTextStream(path);
  return (
    <section className="panel" aria-labelledby="job-logs-title">
      <h2 id="job-logs-title">Logs</h2>
      <div className="row">
        <label className="field"><span>Role</span>
          <select value={role} onChange={(e) => { setRole(e.target.value); setIndex(0); }}>{roles.map((r) => <option key={r} value={r}>{r}</option>)}</select>
        </label>
        <label className="field"><span>Replica</span>
          <select value={index} onChange={(e) => setIndex(Number(e.target.value))}>{Array.from({ length: Math.min(count, 512) }, (_, i) => <option key={i} value={i}>#{i}</option>)}</select>
        </label>
      </div>
      <LogView stream={stream} label={`Log of ${role} replica ${index}`} empty="Nothing logged yet: a queued job's log starts when its replicas run." />
    </section>
  );
}
