/** The project overview: counts by kind, failing things first, recent events. Live. */
import { useMemo } from 'react';
import type { KubeObject } from '../api/client.js';
import { collectionPath, kindTitle, type KindInfo } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { Priority, useCollection, useCollections } from '../state/collections.js';
import { HEALTH_RANK, healthOf } from '../state/health.js';
import { href, Link } from '../state/router.js';
import { EmptyState, ErrorBox, HealthBadge } from '../ui/common.js';
import { EventsTable } from '../ui/events-table.js';
import { OverviewExtras } from './overview-extras.js';

const ATTENTION_LIMIT = 15;

/** The overview page. */
export function Overview() {
  const app = useApp();
  const kinds = useMemo(() => app.kinds.filter((k) => k.namespaced && k.kind !== 'Event'), [app.kinds]);
  const eventKind = app.kindByKind('Event');
  const paths = useMemo(() => kinds.map((k) => collectionPath(k, app.project)), [kinds, app.project]);
  const snaps = useCollections(paths, Priority.summary);
  const eventSnap = useCollection(eventKind ? collectionPath(eventKind, app.project) : undefined, Priority.related);
  const byKind = new Map<string, KubeObject[]>(kinds.map((k, i) => [k.kind, snaps[i].items]));
  const events = eventKind ? eventSnap : undefined;
  const loaded = snaps.every((s) => s.loaded) && (!events || events.loaded);
  const errors = [...new Set([...snaps, eventSnap].map((s) => s.error).filter(Boolean))] as string[];

  const attention = useMemo(() => {
    const out: Array<{ kind: KindInfo; object: KubeObject; rank: number }> = [];
    kinds.forEach((k, i) => {
      for (const o of snaps[i].items) {
        const h = healthOf(o).health;
        if (h === 'failing' || h === 'progressing') out.push({ kind: k, object: o, rank: HEALTH_RANK[h] });
      }
    });
    return out.sort((a, b) => a.rank - b.rank || a.object.metadata.name.localeCompare(b.object.metadata.name));
  }, [kinds, snaps]);
  const recent = useMemo(() => [...(events?.items ?? [])].sort((a, b) => String(b.lastTimestamp ?? b.metadata.creationTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? a.metadata.creationTimestamp ?? ''))), [events?.items]);
  const total = kinds.reduce((n, k) => n + (byKind.get(k.kind)?.length ?? 0), 0);

  return (
    <section aria-labelledby="overview-title" data-ready={loaded ? 'true' : 'false'}>
      <div className="spread">
        <h1 id="overview-title">{app.project} <span className="muted small">overview</span></h1>
        <Link className="button" href={href(app.project, 'projects', '~new')}>New project</Link>
      </div>
      {errors.map((e) => <ErrorBox key={e} error={e} title="Some data could not be loaded" />)}
      <div className="cards" aria-label="Objects in this project">
        {kinds.map((k, i) => {
          const items = snaps[i].items;
          const failing = items.filter((o) => healthOf(o).health === 'failing').length;
          return (
            <Link key={k.plural} className="card" href={href(app.project, k.plural)} data-kind={k.kind}>
              <div className="sub">{kindTitle(k.kind)}</div>
              <div className="count">{snaps[i].loaded ? items.length : '…'}</div>
              <div className="sub">{failing ? <span className="badge failing">{failing} failing</span> : snaps[i].loaded ? 'all healthy' : 'loading'}</div>
            </Link>
          );
        })}
        {eventKind ? (
          <Link className="card" href={href(app.project, eventKind.plural)} data-kind="Event">
            <div className="sub">Events</div>
            <div className="count">{events?.loaded ? events.items.length : '…'}</div>
            <div className="sub">{plural(events?.items.filter((e) => e.type === 'Warning').length ?? 0, 'warning')}</div>
          </Link>
        ) : null}
      </div>
      <OverviewExtras />
      {loaded && total === 0 ? (
        <EmptyState title={`Nothing in ${app.project} yet`}>
          <p>Start by applying an object: open a kind on the left and choose <em>New</em>, or run <code>capstan apply -f file.yaml --project {app.project}</code>.</p>
          <p><code>capstan up --demo</code> trains, registers and serves a demo model if you want something to look at.</p>
        </EmptyState>
      ) : null}
      <div className="grid-overview">
        <div className="panel">
          <h2>Needs attention</h2>
          {!loaded ? <p className="muted" role="status">Loading…</p> : attention.length === 0 ? <p className="muted">Nothing is failing or waiting.</p> : (
            <ul className="attention" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
              {attention.slice(0, ATTENTION_LIMIT).map(({ kind, object }) => (
                <li key={`${kind.plural}/${object.metadata.name}`} style={{ marginBottom: '.4rem' }}>
                  <HealthBadge object={object} />{' '}
                  <Link href={href(app.project, kind.plural, object.metadata.name)}>{kind.kind} {object.metadata.name}</Link>
                  {healthOf(object).message ? <div className="muted small msg">{healthOf(object).message}</div> : null}
                </li>
              ))}
              {attention.length > ATTENTION_LIMIT ? <li className="muted small">and {attention.length - ATTENTION_LIMIT} more</li> : null}
            </ul>
          )}
        </div>
        <div className="panel">
          <h2>Recent events</h2>
          {events ? <EventsTable events={recent} loaded={events.loaded} error={events.error} limit={12} showObject /> : <p className="muted">This server has no events API.</p>}
        </div>
      </div>
    </section>
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
