/** Inference services: URL, replicas, traffic, revisions, and a "try it" panel speaking OIP. */
import { useMemo, useState } from 'react';
import type { KubeObject } from '../api/client.js';
import { collectionPath } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { Priority, useCollection } from '../state/collections.js';
import { href, Link } from '../state/router.js';
import { ErrorBox } from '../ui/common.js';
import { KIND_VIEWS } from './kind-views.js';

interface Revision { name: string; role: string; model: { ref?: string; modelVersion?: string; storageUri?: string }; desiredReplicas: number; readyReplicas: number; replicas?: Array<{ index: number; state: string; ready: boolean; restarts: number; reason?: string }>; reason?: string }
interface IsvcStatus { url?: string; revisions?: Revision[]; traffic?: Array<{ revision: string; percent: number; role: string }>; modelVersions?: string[]; autoscaler?: { metric: string; desiredReplicas: number; reason: string } }
interface Tensor { name: string; datatype: string; shape: number[] }

const st = (o: KubeObject) => (o.status ?? {}) as IsvcStatus;
const replicas = (o: KubeObject) => (st(o).revisions ?? []).reduce((a, r) => ({ ready: a.ready + r.readyReplicas, desired: a.desired + r.desiredReplicas }), { ready: 0, desired: 0 });

/** The gateway's route name for a service (the project is appended outside "default"). */
export function routeName(o: KubeObject): string {
  const ns = o.metadata.namespace ?? 'default';
  return ns === 'default' ? o.metadata.name : `${o.metadata.name}.${ns}`;
}

/** An OIP v2 request with zeros in every input, shaped by the signature (-1 dims become 1). */
export function oipRequestFor(inputs: Tensor[]): string {
  const body = {
    inputs: inputs.map((t) => {
      const shape = t.shape.map((d) => (d < 0 ? 1 : d));
      const n = shape.reduce((a, b) => a * b, 1);
      return { name: t.name, datatype: t.datatype, shape, data: Array.from({ length: Math.min(n, 4096) }, () => (t.datatype === 'BOOL' ? false : 0)) };
    }),
  };
  return JSON.stringify(body, null, 2);
}

function TryIt({ object, project }: { object: KubeObject; project: string }) {
  const app = useApp();
  const mvKind = app.kindByKind('ModelVersion');
  const versions = useCollection(mvKind ? collectionPath(mvKind, project) : undefined, Priority.related);
  const mvName = st(object).modelVersions?.[0] ?? st(object).revisions?.find((r) => r.role === 'stable')?.model.modelVersion;
  const signature = (versions.items.find((v) => v.metadata.name === mvName)?.spec as { signature?: { inputs: Tensor[] } } | undefined)?.signature;
  const initial = useMemo(() => (signature ? oipRequestFor(signature.inputs) : '{\n  "inputs": []\n}'), [signature]);
  const [body, setBody] = useState<string>();
  const [answer, setAnswer] = useState<string>();
  const [error, setError] = useState<string>();
  const url = st(object).url ? `${st(object).url}/v2/models/${routeName(object)}/infer` : undefined;
  const send = async () => {
    if (!url) return;
    setError(undefined);
    setAnswer(undefined);
    try {
      const t0 = performance.now();
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body ?? initial });
      const text = await res.text();
      setAnswer(`HTTP ${res.status} in ${(performance.now() - t0).toFixed(0)} ms\n${text}`);
    } catch {
      setError(`The browser could not call ${url}. The gateway listens on another port, so it must allow this page's origin (CORS). From a terminal: curl -X POST ${url} -H 'content-type: application/json' -d @request.json`);
    }
  };
  return (
    <div className="panel">
      <h2>Try it</h2>
      {!url ? <p className="muted">The service has no URL yet: it appears once the controller has routed it.</p> : (
        <>
          <p className="small muted">POST <code>{url}</code>{signature ? ` · request built from ${mvName}'s signature` : ' · no signature known: write the inputs yourself'}</p>
          <label className="field"><span>Request (Open Inference Protocol v2)</span>
            <textarea className="code" rows={8} style={{ minHeight: '8rem' }} value={body ?? initial} onChange={(e) => setBody(e.target.value)} spellCheck={false} />
          </label>
          <button type="button" className="primary" onClick={send}>Send</button>
          <ErrorBox error={error} title="Not sent" />
          {answer ? <pre className="code" aria-label="Answer" style={{ marginTop: '.75rem', maxHeight: '16rem' }}>{answer}</pre> : null}
        </>
      )}
    </div>
  );
}

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
              {s.modelVersions?.length ? <><dt>Model versions</dt><dd>{s.modelVersions.map((v) => mv ? <Link key={v} href={href(project, mv.plural, v)}>{v} </Link> : v)}</dd></> : null}
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
        <TryIt object={object} project={project} />
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
