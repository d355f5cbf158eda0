/** Inference services: URL, replicas, traffic, revisions, live charts, canary, a "try it" panel speaking OIP, replica logs. */
import type { KubeObject } from '../api/client.js';
import { useApp } from '../state/app-context.js';
import { href, Link } from '../state/router.js';
import { CanaryPanel } from './isvc-canary.js';
import { IsvcCharts, IsvcLogs } from './isvc-live.js';
import { routeName } from './isvc-paths.js';
import { TryIt } from './isvc-try-it.js';
import { KIND_VIEWS } from './kind-views.js';

interface Revision { name: string; role: string; model: { ref?: string; modelVersion?: string; storageUri?: string }; desiredReplicas: number; readyReplicas: number; replicas?: Array<{ index: number; state: string; ready: boolean; restarts: number; reason?: string }>; reason?: string }
interface IsvcStatus { url?: string; revisions?: Revision[]; traffic?: Array<{ revision: string; percent: number; role: string }>; modelVersions?: string[]; autoscaler?: { metric: string; desiredReplicas: number; reason: string } }
const st = (o: KubeObject) => (o.status ?? {}) as IsvcStatus;
const replicas = (o: KubeObject) => (st(o).revisions ?? []).reduce((a, r) => ({ ready: a.ready + r.readyReplicas, desired: a.desired + r.desiredReplicas }), { ready: 0, desired: 0 });


KIND_VIEWS.InferenceService = {
  columns: [
    { header: 'URL', value: (o) => (st(o).url ? <code className="small">{st(o).url}/v2/models/{routeName(o)}</code> : ''), wide: true },
    { header: 'Ready', value: (o) => { const r = replicas(o); return `${r.ready}/${r.desired}`; } },
    { header: 'Traffic', value: (o) => (st(o).traffic ?? []).map((t) => `${t.revision} ${t.percent}%`).join(' · ') },
    { header: 'Model', value: (o) => String((o.spec?.predictor as { model?: string } | undefined)?.model ?? ''), wide: true },
  ],
  Summary: ({ object, project }) => {
    const app = useApp();
    const mv = app.kindByKind('ModelVersion');
    const s = st(object);
    return (
      <>
        <div className="grid2">
          <div className="panel">
            <h2>Serving</h2>
            <dl className="facts">
              <dt>URL</dt><dd>{s.url ? <code>{s.url}/v2/models/{routeName(object)}</code> : 'not routed yet'}</dd>
              <dt>Replicas</dt><dd>{replicas(object).ready} ready of {replicas(object).desired}</dd>
              {s.autoscaler ? <><dt>Autoscaler</dt><dd>{s.autoscaler.desiredReplicas} wanted on {s.autoscaler.metric}: {s.autoscaler.reason}</dd></> : null}
              {s.modelVersions?.length ? <><dt>Model</dt><dd>{s.modelVersions.map((v) => (mv && !v.includes(':') ? <Link key={v} href={href(project, mv.plural, v)}>{v} </Link> : <code key={v}>{v} </code>))}</dd></> : null}
            </dl>
          </div>
          <div className="panel">
            <h2>Traffic</h2>
            {(s.traffic ?? []).length === 0 ? <p className="muted">No traffic split yet.</p> : (s.traffic ?? []).map((t) => (
              <div key={t.revision} style={{ marginBottom: '.5rem' }}>
                <div className="row small" style={{ justifyContent: 'space-between' }}><span>{t.revision} ({t.role})</span><span>{t.percent}%</span></div>
                <div className="bar" role="meter" aria-label={`traffic to ${t.revision}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={t.percent}><span style={{ width: `${t.percent}%` }} /></div>
              </div>
            ))}
          </div>
        </div>
        <div className="panel">
          <h2>Revisions</h2>
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Revision</th><th scope="col">Role</th><th scope="col">Model</th><th scope="col">Ready</th><th scope="col">Replicas</th></tr></thead>
              <tbody>
                {(s.revisions ?? []).map((r) => (
                  <tr key={r.name}>
                    <td>{r.name}</td><td>{r.role}</td><td>{r.model.modelVersion ?? r.model.ref ?? r.model.storageUri ?? ''}</td>
                    <td>{r.readyReplicas}/{r.desiredReplicas}</td>
                    <td className="small">{(r.replicas ?? []).map((p) => `#${p.index} ${p.state}${p.restarts ? ` (${p.restarts} restarts)` : ''}${p.reason ? `: ${p.reason}` : ''}`).join(' · ') || r.reason || ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
        <IsvcCharts object={object} />
        <CanaryPanel object={object} />
        <TryIt object={object} project={project} />
        <IsvcLogs object={object} />
      </>
    );
  },
  template: (project) => `apiVersion: capstan.dev/v1alpha1
kind: InferenceService
metadata:
  name: digits
  namespace: ${project}
spec:
  predictor:
    model: digits@production
    minReplicas: 1
    maxReplicas: 3
`,
  emptyHint: <p>An inference service serves a registered model over the Open Inference Protocol (REST and gRPC) and scales it with traffic.</p>,
};
