/** Training jobs: phase, queue position and pending reason, replicas by role, latest metrics, the model it registered. */
import { lazy, Suspense } from 'react';
import type { KubeObject } from '../api/client.js';
import { collectionPath } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { Priority, useCollection } from '../state/collections.js';
import { registerHealth, type Health } from '../state/health.js';
import { href, Link } from '../state/router.js';
import { KIND_VIEWS } from './kind-views.js';
import { JobCharts, JobLogs } from './training-live.js';

// The form (and the YAML writer it uses) loads with the create page, not with the app.
const LazyTrainingForm = lazy(() => import('./training-form.js').then((m) => ({ default: m.TrainingForm })));
function TrainingForm(props: { project: string; onYaml(text: string): void }) {
  return <Suspense fallback={<p className="muted" role="status">Loading…</p>}><LazyTrainingForm {...props} /></Suspense>;
}

interface RoleStatus { active: number; succeeded: number; failed: number; restarts?: number }
interface JobStatus { phase?: string; replicaStatuses?: Record<string, RoleStatus>; metrics?: Record<string, number>; workload?: string; registeredModelVersion?: string; startTime?: string; completionTime?: string; restarts?: number; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }

const js = (o: KubeObject) => (o.status ?? {}) as JobStatus;
const PHASE_HEALTH: Record<string, Health> = { Succeeded: 'ok', Running: 'ok', Failed: 'failing', Queued: 'progressing', Created: 'progressing', Admitted: 'progressing', Restarting: 'progressing', Suspended: 'unknown' };

registerHealth('TrainingJob', (o) => {
  const phase = js(o).phase;
  if (!phase) return undefined;
  const c = js(o).conditions?.find((x) => x.status === 'True' && x.type === phase) ?? js(o).conditions?.find((x) => x.status === 'False');
  return { health: PHASE_HEALTH[phase] ?? 'unknown', label: phase, message: c?.message };
});

function roles(o: KubeObject): string {
  const specs = (o.spec?.replicaSpecs ?? {}) as Record<string, { replicas?: number }>;
  return Object.entries(specs).map(([r, s]) => `${r}×${s.replicas ?? 1}`).join(' ');
}

KIND_VIEWS.TrainingJob = {
  columns: [
    { header: 'Framework', value: (o) => String(o.spec?.framework ?? 'generic'), wide: true },
    { header: 'Replicas', value: (o) => roles(o) },
    { header: 'Queue', value: (o) => String(o.spec?.queueName ?? 'default') },
    { header: 'Metrics', value: (o) => Object.entries(js(o).metrics ?? {}).map(([k, v]) => `${k}=${Number(v.toPrecision(4))}`).join(' '), wide: true },
  ],
  Summary: ({ object, project }) => {
    const app = useApp();
    const wlKind = app.kindByKind('Workload');
    const mvKind = app.kindByKind('ModelVersion');
    const wls = useCollection(wlKind && js(object).workload ? collectionPath(wlKind, project) : undefined, Priority.related);
    const wl = wls.items.find((w) => w.metadata.name === js(object).workload);
    const pending = (wl?.status as { pending?: { reason: string; message: string; position?: number; estimatedStart?: string } } | undefined)?.pending;
    const s = js(object);
    return (
      <>
      <div className="grid2">
        <div className="panel">
          <h2>Run</h2>
          <dl className="facts">
            <dt>Phase</dt><dd>{s.phase ?? 'not started'}</dd>
            <dt>Queue</dt><dd>{String(object.spec?.queueName ?? 'default')}{wl && wlKind ? <> · <Link href={href(project, wlKind.plural, wl.metadata.name)}>workload {wl.metadata.name}</Link></> : null}</dd>
            {pending && (s.phase === 'Queued' || s.phase === 'Created') ? <><dt>Waiting</dt><dd>{pending.position ? `#${pending.position} in line · ` : ''}{pending.reason}: {pending.message}{pending.estimatedStart ? ` · may start ${new Date(pending.estimatedStart).toLocaleString()}` : ''}</dd></> : null}
            {s.startTime ? <><dt>Started</dt><dd>{new Date(s.startTime).toLocaleString()}</dd></> : null}
            {s.completionTime ? <><dt>Finished</dt><dd>{new Date(s.completionTime).toLocaleString()}</dd></> : null}
            {s.registeredModelVersion ? <><dt>Registered</dt><dd>{mvKind ? <Link href={href(project, mvKind.plural, s.registeredModelVersion)}>{s.registeredModelVersion}</Link> : s.registeredModelVersion}</dd></> : null}
          </dl>
        </div>
        <div className="panel">
          <h2>Replicas and metrics</h2>
          <table>
            <thead><tr><th scope="col">Role</th><th scope="col">Active</th><th scope="col">Succeeded</th><th scope="col">Failed</th><th scope="col">Restarts</th></tr></thead>
            <tbody>{Object.entries(s.replicaStatuses ?? {}).map(([r, c]) => <tr key={r}><td>{r}</td><td>{c.active}</td><td>{c.succeeded}</td><td>{c.failed}</td><td>{c.restarts ?? 0}</td></tr>)}</tbody>
          </table>
          <p className="small">{Object.entries(s.metrics ?? {}).map(([k, v]) => `${k} = ${v}`).join(' · ') || 'No metrics reported yet (a replica prints them as JSON lines).'}</p>
        </div>
      </div>
      <JobCharts object={object} />
      <JobLogs object={object} />
      </>
    );
  },
  template: (project) => `apiVersion: capstan.dev/v1alpha1
kind: TrainingJob
metadata:
  name: train-digits
  namespace: ${project}
spec:
  framework: generic
  queueName: default
  replicaSpecs:
    Worker:
      replicas: 1
      template:
        command: [node, train.js]
        resources:
          cpu: "1"
          memory: 2Gi
  output:
    model: digits
`,
  NewForm: TrainingForm,
  emptyHint: <p>A training job waits in its project's queue, starts all its replicas together, streams metrics and can register the model it produced.</p>,
};
