/** The list of one kind in the project (or cluster-wide), live, failing things first. */
import { useMemo, useState } from 'react';
import { collectionPath, kindTitle, type KindInfo } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { useCollection } from '../state/collections.js';
import { age, HEALTH_RANK, healthOf } from '../state/health.js';
import { href, Link } from '../state/router.js';
import { EmptyState, ErrorBox, HealthBadge, LiveIndicator, useNow } from '../ui/common.js';
import { viewOf } from './kind-views.js';

const PAGE = 200;

/** The list page. */
export function ObjectList({ kind }: { kind: KindInfo }) {
  const app = useApp();
  const now = useNow();
  const view = viewOf(kind.kind);
  const col = useCollection(collectionPath(kind, app.project));
  const [filter, setFilter] = useState('');
  const [shown, setShown] = useState(PAGE);
  const rows = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const items = f ? col.items.filter((o) => JSON.stringify(o).toLowerCase().includes(f)) : col.items;
    const sort = view.sort ?? ((a, b) => HEALTH_RANK[healthOf(a).health] - HEALTH_RANK[healthOf(b).health] || a.metadata.name.localeCompare(b.metadata.name));
    return [...items].sort(sort);
  }, [col.items, filter, view]);
  const title = kindTitle(kind.kind);
  return (
    <section aria-labelledby="list-title">
      <div className="spread">
        <h1 id="list-title">{title} {kind.namespaced ? <span className="muted small">in {app.project}</span> : null}</h1>
        <div className="row">
          <LiveIndicator live={col.live} loaded={col.loaded} polled={col.polled} />
          <Link className="button primary" href={href(app.project, kind.plural, '~new')}>New {kindTitle(kind.kind, false).toLowerCase()}</Link>
        </div>
      </div>
      <ErrorBox error={col.error} title={`Cannot load ${title.toLowerCase()}`} />
      {view.ListExtra ? <view.ListExtra project={app.project} /> : null}
      {col.loaded && col.items.length === 0 ? (
        <EmptyState title={`No ${title.toLowerCase()} ${kind.namespaced ? `in ${app.project}` : 'yet'}`}>
          {view.emptyHint ?? null}
          <p>
            Create one with <Link href={href(app.project, kind.plural, '~new')}>the YAML editor</Link>, or from a terminal: <code>capstan apply -f {kind.plural}.yaml{kind.namespaced ? ` --project ${app.project}` : ''}</code>
          </p>
        </EmptyState>
      ) : null}
      {col.items.length > 0 ? (
        <>
          <div className="row" style={{ marginBottom: '.5rem' }}>
            <label className="row small">
              Filter
              <input type="search" value={filter} onChange={(e) => { setFilter(e.target.value); setShown(PAGE); }} placeholder="name, label, reason…" />
            </label>
            <span className="muted small" role="status">{rows.length} of {col.items.length}</span>
          </div>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  {view.replaceStatus ? null : <th scope="col">Status</th>}
                  {(view.columns ?? []).map((c) => <th scope="col" key={c.header} className={c.wide ? 'hide-narrow' : undefined}>{c.header}</th>)}
                  {view.replaceStatus ? null : <th scope="col" className="hide-narrow">Message</th>}
                  {view.replaceStatus ? null : <th scope="col">Age</th>}
                </tr>
              </thead>
              <tbody>
                {rows.slice(0, shown).map((o) => (
                  <tr key={o.metadata.name} data-name={o.metadata.name}>
                    <td><Link href={href(app.project, kind.plural, o.metadata.name)}>{o.metadata.name}</Link></td>
                    {view.replaceStatus ? null : <td><HealthBadge object={o} /></td>}
                    {(view.columns ?? []).map((c) => <td key={c.header} className={c.wide ? 'hide-narrow' : undefined}>{c.value(o, now)}</td>)}
                    {view.replaceStatus ? null : <td className="msg hide-narrow">{healthOf(o).message ?? ''}</td>}
                    {view.replaceStatus ? null : <td>{age(o.metadata.creationTimestamp, now)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {rows.length > shown ? <button type="button" onClick={() => setShown((s) => s + PAGE)}>Show {Math.min(PAGE, rows.length - shown)} more</button> : null}
        </>
      ) : null}
    </section>
  );
}
