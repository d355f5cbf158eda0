/** Events of one object (or a project), newest first, live. */
import { useMemo } from 'react';
import type { KubeObject } from '../api/client.js';
import { collectionPath, type KindInfo } from '../api/discovery.js';
import { Priority, useCollection } from '../state/collections.js';
import { age } from '../state/health.js';
import { EmptyState, ErrorBox, useNow } from './common.js';

/** The events involving `object` (kind/name/uid), read from the project's event collection. */
export function useEventsOf(eventKind: KindInfo | undefined, project: string, object?: { kind?: string; name: string; uid?: string }): { events: KubeObject[]; loaded: boolean; error?: string } {
  const col = useCollection(eventKind ? collectionPath(eventKind, project) : undefined, Priority.related);
  const events = useMemo(() => {
    const mine = object
      ? col.items.filter((e) => {
          const io = e.involvedObject as { kind?: string; name?: string; uid?: string } | undefined;
          return io?.name === object.name && (!object.kind || io.kind === object.kind) && (!object.uid || !io.uid || io.uid === object.uid);
        })
      : col.items;
    return [...mine].sort((a, b) => String(b.lastTimestamp ?? b.metadata.creationTimestamp ?? '').localeCompare(String(a.lastTimestamp ?? a.metadata.creationTimestamp ?? '')));
  }, [col.items, object?.kind, object?.name, object?.uid]);
  return { events, loaded: col.loaded, error: col.error };
}

/** A table of events. */
export function EventsTable({ events, loaded, error, limit, showObject }: { events: KubeObject[]; loaded: boolean; error?: string; limit?: number; showObject?: boolean }) {
  const now = useNow();
  if (error) return <ErrorBox error={error} title="Cannot load events" />;
  if (!loaded) return <p className="muted" role="status">Loading events…</p>;
  if (events.length === 0) return <EmptyState title="No events yet">Controllers record what they do here (scheduling, scaling, failures).</EmptyState>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Reason</th>
            {showObject ? <th scope="col">Object</th> : null}
            <th scope="col">Message</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {events.slice(0, limit ?? events.length).map((e) => {
            const io = e.involvedObject as { kind?: string; name?: string } | undefined;
            return (
              <tr key={e.metadata.name}>
                <td><span className={`badge ${e.type === 'Warning' ? 'failing' : 'unknown'}`}>{String(e.type ?? 'Normal')}</span></td>
                <td>{String(e.reason ?? '')}{Number(e.count ?? 1) > 1 ? <span className="muted small"> ×{String(e.count)}</span> : null}</td>
                {showObject ? <td>{io ? `${io.kind}/${io.name}` : ''}</td> : null}
                <td className="msg">{String(e.message ?? '')}</td>
                <td>{age(String(e.lastTimestamp ?? e.metadata.creationTimestamp ?? ''), now)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
