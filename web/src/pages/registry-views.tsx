/** Models and versions: versions with metrics side by side, aliases and their history, move or roll back an alias. */
import { useMemo, useState, type FormEvent } from 'react';
import { apiJson, errorText, type KubeObject } from '../api/client.js';
import { collectionPath, objectPath } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { Priority, useCollection } from '../state/collections.js';
import { age } from '../state/health.js';
import { href, Link } from '../state/router.js';
import { EmptyState, ErrorBox, useNow } from '../ui/common.js';
import { KIND_VIEWS } from './kind-views.js';
import { ModelUpload } from './model-upload.js';

interface AliasTarget { version: string; since: string; by: string }
interface AliasMove { alias: string; from: string | null; to: string | null; by: string; at: string; reason: string; rollback?: boolean }
interface ModelStatus { aliases?: Record<string, AliasTarget>; aliasHistory?: AliasMove[]; latestVersion?: string; versionCount?: number }
interface MvSpec { model: string; version: string; format: string; artifact: { size: number; sha256: string }; metrics?: Record<string, number>; params?: Record<string, string>; signature?: { inputs: Tensor[]; outputs: Tensor[] }; lineage?: { trainingJob?: string; pipelineRun?: string; dataset?: string; parentVersion?: string } }
interface Tensor { name: string; datatype: string; shape: number[] }

const ms = (o: KubeObject) => (o.status ?? {}) as ModelStatus;
const mv = (o: KubeObject) => o.spec as unknown as MvSpec;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

function compareSemver(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i], y = pb[i];
    if (x === y) continue;
    if (x === undefined) return i >= 3 ? 1 : -1; // a release sorts after its prereleases
    if (y === undefined) return i >= 3 ? -1 : 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x).localeCompare(String(y));
  }
  return 0;
}

function AliasForm({ model, versions, project, aliases }: { model: KubeObject; versions: string[]; project: string; aliases: string[] }) {
  const app = useApp();
  const kind = app.kindByKind('Model')!;
  const [alias, setAlias] = useState(aliases[0] ?? 'production');
  const [version, setVersion] = useState(versions[0] ?? '');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok?: string; error?: string }>({});
  const base = `${objectPath(kind, project, model.metadata.name)}/aliases/${encodeURIComponent(alias)}`;
  const run = async (e: FormEvent, rollback: boolean) => {
    e.preventDefault();
    if (!reason.trim()) return setMsg({ error: 'Say why: the reason is kept in the alias history.' });
    setBusy(true);
    try {
      const body = rollback ? { reason } : { version, reason };
      const res = await apiJson<{ status?: ModelStatus }>(rollback ? `${base}/rollback` : base, { method: rollback ? 'POST' : 'PUT', body: JSON.stringify(body) });
      setMsg({ ok: `${model.metadata.name}@${alias} now points at ${res.status?.aliases?.[alias]?.version ?? version}.` });
      setReason('');
    } catch (err) {
      setMsg({ error: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="panel" onSubmit={(e) => run(e, false)} aria-labelledby="alias-form-title">
      <h2 id="alias-form-title">Move an alias</h2>
      <div className="row">
        <label className="field"><span>Alias</span><input value={alias} onChange={(e) => setAlias(e.target.value)} list="alias-names" required /></label>
        <datalist id="alias-names">{aliases.map((a) => <option key={a} value={a} />)}</datalist>
        <label className="field"><span>Version</span>
          <select value={version} onChange={(e) => setVersion(e.target.value)}>{versions.map((v) => <option key={v} value={v}>{v}</option>)}</select>
        </label>
        <label className="field" style={{ flex: 1, minWidth: '12rem' }}><span>Reason</span><input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why (kept in the history)" /></label>
      </div>
      <div className="row">
        <button type="submit" className="primary" disabled={busy || !version}>Move {alias || 'alias'} to {version || '…'}</button>
        <button type="button" disabled={busy || !aliases.includes(alias)} onClick={(e) => run(e, true)}>Roll back {alias || 'alias'}</button>
      </div>
      {msg.ok ? <div className="alert ok" role="status" style={{ marginTop: '.75rem' }}>{msg.ok}</div> : null}
      <div style={{ marginTop: '.75rem' }}><ErrorBox error={msg.error} title="Alias not moved" /></div>
    </form>
  );
}

function ModelSummary({ object, project }: { object: KubeObject; project: string }) {
  const app = useApp();
  const now = useNow();
  const mvKind = app.kindByKind('ModelVersion');
  const jobKind = app.kindByKind('TrainingJob');
  const col = useCollection(mvKind ? collectionPath(mvKind, project) : undefined, Priority.related);
  const versions = useMemo(() => col.items.filter((v) => mv(v).model === object.metadata.name).sort((a, b) => compareSemver(mv(b).version, mv(a).version)), [col.items, object.metadata.name]);
  const metricNames = [...new Set(versions.flatMap((v) => Object.keys(mv(v).metrics ?? {})))].sort();
  const s = ms(object);
  const aliasesOf = (v: string) => Object.entries(s.aliases ?? {}).filter(([, t]) => t.version === v).map(([a]) => a);
  const history = [...(s.aliasHistory ?? [])].reverse();
  return (
    <>
      <div className="panel">
        <h2>Versions</h2>
        {col.loaded && versions.length === 0 ? <EmptyState title="No versions yet">Push one: <code>capstan models push model.onnx --model {object.metadata.name} --metric accuracy=0.97</code>, or let a training job register its output.</EmptyState> : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Version</th><th scope="col">Aliases</th>{metricNames.map((m) => <th scope="col" key={m}>{m}</th>)}<th scope="col">Size</th><th scope="col">Made by</th><th scope="col">Age</th></tr></thead>
              <tbody>
                {versions.map((v) => (
                  <tr key={v.metadata.name}>
                    <td>{mvKind ? <Link href={href(project, mvKind.plural, v.metadata.name)}>{mv(v).version}</Link> : mv(v).version}</td>
                    <td>{aliasesOf(mv(v).version).map((a) => <span key={a} className="badge ok" style={{ marginRight: '.25rem' }}>{a}</span>)}</td>
                    {metricNames.map((m) => <td key={m}>{mv(v).metrics?.[m] ?? '—'}</td>)}
                    <td>{bytes(mv(v).artifact?.size ?? 0)}</td>
                    <td>{mv(v).lineage?.trainingJob ? (jobKind ? <Link href={href(project, jobKind.plural, mv(v).lineage!.trainingJob!)}>job {mv(v).lineage!.trainingJob}</Link> : mv(v).lineage!.trainingJob) : 'pushed'}</td>
                    <td>{age(v.metadata.creationTimestamp, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <ModelUpload project={project} model={object.metadata.name} />
      {versions.length ? <AliasForm model={object} project={project} versions={versions.map((v) => mv(v).version)} aliases={Object.keys(s.aliases ?? {})} /> : null}
      <div className="panel">
        <h2>Alias history</h2>
        {history.length === 0 ? <p className="muted">No alias has moved yet.</p> : (
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">When</th><th scope="col">Alias</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Who</th><th scope="col">Reason</th></tr></thead>
              <tbody>
                {history.slice(0, 50).map((h, i) => (
                  <tr key={i}><td title={h.at}>{age(h.at, now)} ago</td><td>{h.alias}</td><td>{h.from ?? '—'}</td><td>{h.to ?? '(removed)'}</td><td>{h.by}</td><td className="msg">{h.rollback ? <span className="badge progressing">rollback</span> : null} {h.reason}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}

KIND_VIEWS.Model = {
  columns: [
    { header: 'Latest', value: (o) => ms(o).latestVersion ?? '' },
    { header: 'Versions', value: (o) => String(ms(o).versionCount ?? '') },
    { header: 'Aliases', value: (o) => Object.entries(ms(o).aliases ?? {}).map(([a, t]) => `${a}→${t.version}`).join(' · ') },
    { header: 'Task', value: (o) => String(o.spec?.task ?? ''), wide: true },
  ],
  Summary: ModelSummary,
  ListExtra: ModelUpload,
  template: (project) => `apiVersion: capstan.dev/v1alpha1
kind: Model
metadata:
  name: digits
  namespace: ${project}
spec:
  task: classification
  owner: ml-team
  description: Handwritten digit classifier
`,
  emptyHint: <p>Models are families of versions. <code>capstan models push model.onnx --model NAME</code> registers a version (and makes the model).</p>,
};

KIND_VIEWS.ModelVersion = {
  columns: [
    { header: 'Model', value: (o) => mv(o).model },
    { header: 'Version', value: (o) => mv(o).version },
    { header: 'Metrics', value: (o) => Object.entries(mv(o).metrics ?? {}).map(([k, v]) => `${k}=${v}`).join(' '), wide: true },
    { header: 'Size', value: (o) => bytes(mv(o).artifact?.size ?? 0), wide: true },
  ],
  Summary: ({ object, project }) => {
    const app = useApp();
    const s = mv(object);
    const model = app.kindByKind('Model');
    const job = app.kindByKind('TrainingJob');
    const tensors = (ts: Tensor[] | undefined) => (ts ?? []).map((t) => `${t.name}: ${t.datatype}[${t.shape.join(', ')}]`).join(' · ') || '—';
    return (
      <div className="panel">
        <h2>Version {s.version}</h2>
        <dl className="facts">
          <dt>Model</dt><dd>{model ? <Link href={href(project, model.plural, s.model)}>{s.model}</Link> : s.model}</dd>
          <dt>Format</dt><dd>{s.format} · {bytes(s.artifact?.size ?? 0)} · sha256 <code>{s.artifact?.sha256.slice(0, 16)}…</code></dd>
          <dt>Inputs</dt><dd><code>{tensors(s.signature?.inputs)}</code></dd>
          <dt>Outputs</dt><dd><code>{tensors(s.signature?.outputs)}</code></dd>
          <dt>Metrics</dt><dd>{Object.entries(s.metrics ?? {}).map(([k, v]) => `${k} = ${v}`).join(' · ') || '—'}</dd>
          <dt>Params</dt><dd>{Object.entries(s.params ?? {}).map(([k, v]) => `${k} = ${v}`).join(' · ') || '—'}</dd>
          <dt>Lineage</dt><dd>{s.lineage?.trainingJob ? (job ? <Link href={href(project, job.plural, s.lineage.trainingJob)}>training job {s.lineage.trainingJob}</Link> : s.lineage.trainingJob) : 'pushed by hand'}{s.lineage?.dataset ? ` · data ${s.lineage.dataset}` : ''}{s.lineage?.parentVersion ? ` · from ${s.lineage.parentVersion}` : ''}</dd>
          <dt>Used by</dt><dd>{((object.status as { usedBy?: string[] } | undefined)?.usedBy ?? []).join(', ') || 'nothing'}</dd>
        </dl>
      </div>
    );
  },
};
