/** Overview panels that appear when their kinds are served: capacity by flavor, services' health. */
import { useMemo } from 'react';
import { collectionPath } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { Priority, useCollection } from '../state/collections.js';
import { href, Link } from '../state/router.js';
import { capacityByFlavor, UsageBar } from './queue-views.js';

/** Capacity and usage by flavor (from ClusterQueues) when queueing is served. */
export function OverviewExtras() {
  const app = useApp();
  const cq = app.kindByKind('ClusterQueue');
  const queues = useCollection(cq ? collectionPath(cq) : undefined, Priority.background);
  const rows = useMemo(() => capacityByFlavor(queues.items), [queues.items]);
  if (!cq || !queues.loaded) return null;
  return (
    <div className="panel">
      <h2>Capacity by flavor</h2>
      {rows.length === 0 ? (
        <p className="muted">No ClusterQueue reports usage yet. <Link href={href(app.project, cq.plural, '~new')}>Create a ClusterQueue</Link> with quotas per resource flavor so training jobs can be admitted.</p>
      ) : <div style={{ display: 'grid', gap: '.6rem', gridTemplateColumns: 'repeat(auto-fill, minmax(16rem, 1fr))' }}>{rows.map((r) => <UsageBar key={`${r.flavor}/${r.resource}`} row={r} />)}</div>}
    </div>
  );
}
