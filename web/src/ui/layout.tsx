/** The shell: top bar (project switcher, identity, theme, sign-out) and the navigation by kind. */
import { useState, type ReactNode } from 'react';
import { kindTitle } from '../api/discovery.js';
import { useApp } from '../state/app-context.js';
import { href, Link, navigate, type Route } from '../state/router.js';
import { applyTheme, nextTheme, savedTheme, type ThemeChoice } from './theme.js';

/** Kinds shown in the navigation in this order; any other served kind follows alphabetically. */
const NAV_ORDER = ['Model', 'ModelVersion', 'InferenceService', 'TrainingJob', 'Workload', 'LocalQueue', 'Pipeline', 'PipelineRun', 'Event'];
const CLUSTER_ORDER = ['Project', 'ClusterQueue', 'ResourceFlavor', 'Cluster', 'Node'];
const THEME_LABEL: Record<ThemeChoice, string> = { auto: 'Theme: system', dark: 'Theme: dark', light: 'Theme: light' };

function ordered<T extends { kind: string }>(items: T[], order: string[]): T[] {
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return [...items].sort((a, b) => rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind));
}

/** Wraps every signed-in page. */
export function Layout({ projects, route, children }: { projects: string[]; route: Route; children: ReactNode }) {
  const app = useApp();
  const [theme, setTheme] = useState(savedTheme);
  const namespaced = ordered(app.kinds.filter((k) => k.namespaced), NAV_ORDER);
  const cluster = ordered(app.kinds.filter((k) => !k.namespaced), CLUSTER_ORDER);
  const choices = projects.includes(app.project) ? projects : [app.project, ...projects];
  const current = (plural?: string) => (route.page === 'overview' && !plural) || (plural !== undefined && route.plural === plural) ? 'page' : undefined;
  return (
    <div className="shell">
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header className="topbar">
        <Link className="brand" href={href(app.project)}>
          <svg viewBox="0 0 16 16" aria-hidden="true"><circle cx="8" cy="8" r="7" fill="var(--accent-bg)" /><circle cx="8" cy="8" r="3" fill="var(--bg)" /></svg>
          Capstan
        </Link>
        <span className="row">
          <label htmlFor="project-switcher">Project</label>
          <select id="project-switcher" value={app.project} onChange={(e) => navigate(href(e.target.value, route.page === 'list' ? route.plural : undefined))}>
            {choices.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </span>
        <span className="identity" title={app.identity.groups.join(', ')}>Signed in as <strong>{app.identity.username}</strong></span>
        <button type="button" onClick={() => { const t = nextTheme(theme); applyTheme(t); setTheme(t); }} aria-label={`${THEME_LABEL[theme]}. Change theme`}>
          {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}<span className="hide-narrow"> {THEME_LABEL[theme].replace('Theme: ', '')}</span>
        </button>
        <button type="button" onClick={app.signOut}>Sign out</button>
      </header>
      <aside className="sidenav">
        <nav aria-label="Pages">
          <ul>
            <li><Link href={href(app.project)} aria-current={current()}>Overview</Link></li>
            {namespaced.map((k) => (
              <li key={k.plural}><Link href={href(app.project, k.plural)} aria-current={current(k.plural)}>{kindTitle(k.kind)}</Link></li>
            ))}
          </ul>
          <h2>Cluster</h2>
          <ul>
            {cluster.map((k) => (
              <li key={k.plural}><Link href={href(app.project, k.plural)} aria-current={current(k.plural)}>{kindTitle(k.kind)}</Link></li>
            ))}
          </ul>
        </nav>
      </aside>
      <main id="main" tabIndex={-1}>{children}</main>
    </div>
  );
}
