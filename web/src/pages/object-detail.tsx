/** One object: summary with conditions, its YAML (view, edit, apply), its events. Live. */
import { useState } from 'react';
import { apiFetch, errorText } from '../api/client.js';
import { collectionPath, kindTitle, objectPath, type KindInfo } from '../api/discovery.js';
import { editableYaml, toYaml, type LineProblem } from '../api/yaml-text.js';
import { useApp } from '../state/app-context.js';
import { useCollection } from '../state/collections.js';
import { age } from '../state/health.js';
import { href, Link, navigate, useRoute } from '../state/router.js';
import { EmptyState, ErrorBox, HealthBadge, LiveIndicator, useNow } from '../ui/common.js';
import { ConditionsTable } from '../ui/conditions-table.js';
import { EventsTable, useEventsOf } from '../ui/events-table.js';
import { YamlEditor } from '../ui/yaml-editor.js';
import { applyYaml } from './apply-yaml.js';
import { viewOf } from './kind-views.js';

const TABS = ['summary', 'yaml', 'events'] as const;
type Tab = (typeof TABS)[number];
const TAB_LABEL: Record<Tab, string> = { summary: 'Summary', yaml: 'YAML', events: 'Events' };

/** The detail page. */
export function ObjectDetail({ kind, name }: { kind: KindInfo; name: string }) {
  const app = useApp();
  const route = useRoute();
  const now = useNow();
  const col = useCollection(collectionPath(kind, app.project));
  const object = col.items.find((o) => o.metadata.name === name);
  const tab: Tab = (TABS as readonly string[]).includes(route.query.get('tab') ?? '') ? (route.query.get('tab') as Tab) : 'summary';
  const eventsNs = kind.namespaced ? app.project : 'default';
  const ev = useEventsOf(app.kindByKind('Event'), eventsNs, { kind: kind.kind, name, uid: object?.metadata.uid });
  const [deleteError, setDeleteError] = useState<string>();
  const view = viewOf(kind.kind);
  const setTab = (t: Tab) => navigate(href(app.project, kind.plural, name, t === 'summary' ? undefined : { tab: t }), true);

  const remove = async () => {
    if (!confirm(`Delete ${kind.kind} ${name}? This cannot be undone.`)) return;
    try {
      await apiFetch(objectPath(kind, app.project, name), { method: 'DELETE' });
      navigate(href(app.project, kind.plural));
    } catch (err) {
      setDeleteError(errorText(err));
    }
  };

  if (!object) {
    return (
      <section>
        <h1>{kind.kind} {name}</h1>
        <ErrorBox error={col.error} />
        {col.loaded ? (
          <EmptyState title={`${kind.kind} "${name}" does not exist${kind.namespaced ? ` in ${app.project}` : ''}`}>
            <p>It may have been deleted, or it lives in another project. <Link href={href(app.project, kind.plural)}>See all {kindTitle(kind.kind).toLowerCase()}</Link>.</p>
          </EmptyState>
        ) : <p role="status" className="muted">Loading…</p>}
      </section>
    );
  }
  const m = object.metadata;
  const st = object.status as { observedGeneration?: number } | undefined;
  return (
    <section aria-labelledby="detail-title">
      <p className="small"><Link href={href(app.project, kind.plural)}>{kindTitle(kind.kind)}</Link> /</p>
      <div className="spread">
        <h1 id="detail-title">{name} <HealthBadge object={object} /></h1>
        <div className="row">
          <LiveIndicator live={col.live} loaded={col.loaded} polled={col.polled} />
          <button type="button" onClick={() => setTab('yaml')}>Edit YAML</button>
          <button type="button" className="danger" onClick={remove}>Delete</button>
        </div>
      </div>
      <ErrorBox error={deleteError} title="Delete failed" />
      <ErrorBox error={col.error} title="Updates paused" />
      <div className="tabs" role="tablist" aria-label={`${kind.kind} sections`}>
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`} onClick={() => setTab(t)}>
            {TAB_LABEL[t]}{t === 'events' && ev.events.length ? ` (${ev.events.length})` : ''}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'summary' ? (
          <>
            {view.Summary ? <view.Summary object={object} project={app.project} /> : null}
            <div className="grid-overview">
              <div className="panel">
                <h2>About</h2>
                <dl className="facts">
                  <dt>Kind</dt><dd>{kind.kind}</dd>
                  {m.namespace ? <><dt>Project</dt><dd>{m.namespace}</dd></> : null}
                  <dt>Created</dt><dd title={m.creationTimestamp}>{age(m.creationTimestamp, now)} ago</dd>
                  <dt>Generation</dt><dd>{m.generation ?? '—'}{st?.observedGeneration !== undefined ? ` (observed ${st.observedGeneration})` : ''}</dd>
                  {m.labels ? <><dt>Labels</dt><dd>{Object.entries(m.labels).map(([k, v]) => <code key={k}>{k}={v} </code>)}</dd></> : null}
                  {m.ownerReferences?.length ? <><dt>Owned by</dt><dd>{m.ownerReferences.map((r) => { const ok = app.kindByKind(r.kind); return ok ? <Link key={r.name} href={href(app.project, ok.plural, r.name)}>{r.kind}/{r.name} </Link> : <span key={r.name}>{r.kind}/{r.name} </span>; })}</dd></> : null}
                </dl>
              </div>
              <div className="panel">
                <h2>Conditions</h2>
                <ConditionsTable object={object} />
              </div>
            </div>
            <div className="panel">
              <h2>Recent events</h2>
              <EventsTable events={ev.events} loaded={ev.loaded} error={ev.error} limit={10} />
            </div>
          </>
        ) : null}
        {tab === 'yaml' ? <YamlTab kind={kind} name={name} yaml={toYaml(object)} editable={editableYaml(object)} /> : null}
        {tab === 'events' ? <EventsTable events={ev.events} loaded={ev.loaded} error={ev.error} /> : null}
      </div>
    </section>
  );
}

function YamlTab({ kind, name, yaml, editable }: { kind: KindInfo; name: string; yaml: string; editable: string }) {
  const app = useApp();
  const [editing, setEditing] = useState<string>();
  const [problems, setProblems] = useState<LineProblem[]>([]);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const apply = async () => {
    if (editing === undefined) return;
    setBusy(true);
    const r = await applyYaml(editing, app.project, app.kindByKind);
    setBusy(false);
    if (r.ok) {
      setEditing(undefined);
      setProblems([]);
      setError(undefined);
      setDone(`Applied: ${r.kind.kind} ${r.object.metadata.name} ${r.action}.`);
      if (r.object.metadata.name !== name || r.kind.plural !== kind.plural) navigate(href(app.project, r.kind.plural, r.object.metadata.name));
    } else {
      setProblems(r.problems);
      setError(r.message);
    }
  };
  if (editing === undefined) {
    return (
      <div>
        {done ? <div className="alert ok" role="status">{done}</div> : null}
        <div className="row" style={{ marginBottom: '.5rem' }}>
          <button type="button" className="primary" onClick={() => { setDone(undefined); setEditing(editable); }}>Edit</button>
          <span className="muted small">Status and server-owned fields are shown here but not in the editor.</span>
        </div>
        <pre className="code" aria-label={`${kind.kind} ${name} as YAML`} tabIndex={0}>{yaml}</pre>
      </div>
    );
  }
  return (
    <div>
      <ErrorBox error={error} title="Not applied" />
      <YamlEditor value={editing} onChange={(v) => { setEditing(v); setProblems([]); }} problems={problems} label={`Edit ${kind.kind} ${name}`} />
      <div className="row" style={{ marginTop: '.75rem' }}>
        <button type="button" className="primary" onClick={apply} disabled={busy}>{busy ? 'Applying…' : 'Apply'}</button>
        <button type="button" onClick={() => { setEditing(undefined); setProblems([]); setError(undefined); }}>Cancel</button>
      </div>
    </div>
  );
}
