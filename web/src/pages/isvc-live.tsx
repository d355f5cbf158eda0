/**
 * The live parts of an InferenceService page: charts of requests/s, p50/p99 latency, errors and replicas (polled
 * from …/metrics every 3 s while visible: the one place the dashboard polls), and a replica's log, followed.
 */
import { useState } from 'react';
import type { KubeObject } from '../api/client.js';
import { useTextStream } from '../api/text-stream.js';
import { usePolling } from '../state/use-polling.js';
import { ErrorBox } from '../ui/common.js';
import { LineChart } from '../ui/line-chart.js';
import { LogView } from '../ui/log-view.js';
import { isvcPath } from './isvc-paths.js';

interface Sample { t: number; rps: number; errorsPerSec: number; p50Ms: number | null; p99Ms: number | null; inFlight: number; readyReplicas: number; desiredReplicas: number | null }
interface Revision { name: string; role: string; desiredReplicas: number; replicas?: Array<{ index: number; state: string }> }

const clock = (t: number | undefined) => (t === undefined ? '' : new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }));

const span = (secs: number) => (secs < 60 ? `${secs} s` : `${Math.round(secs / 60)} min`);

/** Live charts of a service. */
export function IsvcCharts({ object }: { object: KubeObject }) {
  const { data, error } = usePolling<{ intervalSeconds: number; samples: Sample[] }>(isvcPath(object, 'metrics'), 3000);
  const s = data?.samples ?? [];
  const x: [string, string] | undefined = s.length ? [clock(s[0]?.t), clock(s[s.length - 1]?.t)] : undefined;
  return (
    <section className="panel" aria-labelledby="charts-title">
      <div className="spread" style={{ marginBottom: '.25rem' }}>
        <h2 id="charts-title" style={{ margin: 0 }}>Live metrics</h2>
        <span className="muted small">sampled every {data?.intervalSeconds ?? 2} s, {span(s.length * (data?.intervalSeconds ?? 2))} kept · refreshed every 3 s</span>
      </div>
      <ErrorBox error={error} title="Charts paused" />
      <div className="charts">
        <LineChart testId="chart-rps" title="Requests/s" series={[{ name: 'requests/s', values: s.map((p) => p.rps) }]} xLabels={x} />
        <LineChart testId="chart-latency" title="Latency" unit="ms" series={[{ name: 'p50', values: s.map((p) => p.p50Ms) }, { name: 'p99', values: s.map((p) => p.p99Ms) }]} xLabels={x} />
        <LineChart testId="chart-errors" title="Errors/s" series={[{ name: 'errors/s', values: s.map((p) => p.errorsPerSec), colour: 'var(--chart-bad)' }]} xLabels={x} />
        <LineChart testId="chart-replicas" title="Replicas" series={[{ name: 'ready', values: s.map((p) => p.readyReplicas) }, { name: 'desired', values: s.map((p) => p.desiredReplicas) }]} xLabels={x} />
      </div>
    </section>
  );
}

/** A replica's log, followed; pick revision and replica. */
export function IsvcLogs({ object }: { object: KubeObject }) {
  const st = (object.status ?? {}) as { revisions?: Revision[]; stableRevision?: string; latestRevision?: string };
  const revisions = st.revisions ?? [];
  const [revision, setRevision] = useState<string>();
  const [replica, setReplica] = useState(0);
  const rev = revisions.find((r) => r.name === revision) ?? revisions.find((r) => r.name === st.stableRevision) ?? revisions[0];
  const indexes = rev ? [...new Set([...(rev.replicas ?? []).map((r) => r.index), ...Array.from({ length: rev.desiredReplicas }, (_, i) => i)])].sort((a, b) => a - b) : [];
  const path = rev ? `${isvcPath(object, 'log')}?${new URLSearchParams({ revision: rev.name, replica: String(replica), follow: 'true', tail: '500' })}` : undefined;
  const stream = useTextStream(path);
  return (
    <section className="panel" aria-labelledby="logs-title">
      <h2 id="logs-title">Replica logs</h2>
      {!rev ? <p className="muted">No revision yet: logs appear once a replica starts.</p> : (
        <>
          <div className="row">
            <label className="field"><span>Revision</span>
              <select value={rev.name} onChange={(e) => { setRevision(e.target.value); setReplica(0); }}>
                {revisions.map((r) => <option key={r.name} value={r.name}>{r.name} ({r.role})</option>)}
              </select>
            </label>
            <label className="field"><span>Replica</span>
              <select value={replica} onChange={(e) => setReplica(Number(e.target.value))}>
                {(indexes.length ? indexes : [0]).map((i) => <option key={i} value={i}>#{i}</option>)}
              </select>
            </label>
          </div>
          <LogView stream={stream} label={`Log of ${rev.name} replica ${replica}`} empty="Nothing logged yet." />
        </>
      )}
    </section>
  );
}
