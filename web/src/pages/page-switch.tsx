/** Picks the page for a route. */
import { kindTitle } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { href, Link, type Route } from '../state/router.js';
import { EmptyState } from '../ui/common.js';
import { ObjectDetail } from './object-detail.js';
import { ObjectList } from './object-list.js';
import { ObjectNew } from './object-new.js';
import { Overview } from './overview.js';

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
  if (route.page === 'new') return <ObjectNew key={kind.plural} kind={kind} />;
  if (route.page === 'detail' && route.name) return <ObjectDetail key={`${kind.plural}/${route.name}`} kind={kind} name={route.name} />;
  return <ObjectList key={`${kind.plural}/${app.project}`} kind={kind} />;
}
