/** Picks the page for a route. */
import { lazy, Suspense } from 'react';
import { kindTitle } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { href, Link, type Route } from '../state/router.js';
import { EmptyState } from '../ui/common.js';
import { ObjectList } from './object-list.js';
import { Overview } from './overview.js';

// The detail and create pages carry the YAML editor and its parser: loaded when first opened, so
// the first page (overview or a list) does not parse them.
const ObjectDetail = lazy(() => import('./object-detail.js').then((m) => ({ default: m.ObjectDetail })));
const ObjectNew = lazy(() => import('./object-new.js').then((m) => ({ default: m.ObjectNew })));

function Loading() {
  return <p className="muted" role="status">Loading…</p>;
}

/** The page body for the current route. */
export function PageSwitch({ route }: { route: Route }) {
  const app = useApp();
  if (route.page === 'overview' || route.page === 'home' || route.page === 'signin') return <Overview />;
  const kind = route.plural ? app.kindByPlural(route.plural) : undefined;
  if (!kind) {
    return (
      <EmptyState title={`This server does not serve "${route.plural ?? ''}"`}>
        <p>Pick a kind on the left, or go back to the <Link href={href(app.project)}>overview</Link>. Served kinds: {app.kinds.map((k) => kindTitle(k.kind)).join(', ')}.</p>
      </EmptyState>
    );
  }
  if (route.page === 'new') return <Suspense fallback={<Loading />}><ObjectNew key={kind.plural} kind={kind} /></Suspense>;
  if (route.page === 'detail' && route.name) return <Suspense fallback={<Loading />}><ObjectDetail key={`${kind.plural}/${route.name}`} kind={kind} name={route.name} /></Suspense>;
  return <ObjectList key={`${kind.plural}/${app.project}`} kind={kind} />;
}
