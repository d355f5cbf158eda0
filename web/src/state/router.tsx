/** A small router over the History API for the dashboard's URLs under /ui/. */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The base every dashboard URL starts with (vite's `base`). */
export const BASE = '/ui/';

/** A parsed dashboard location. */
export interface Route {
  page: 'signin' | 'home' | 'overview' | 'list' | 'detail' | 'new';
  project?: string;
  plural?: string;
  name?: string;
  query: URLSearchParams;
}

/** Parses a pathname + search into a Route. */
export function parseRoute(pathname: string, search: string): Route {
  const query = new URLSearchParams(search);
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\/ui\/?/, '');
  const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'signin') return { page: 'signin', query };
  if (parts[0] !== 'p' || !parts[1]) return { page: 'home', query };
  const project = parts[1];
  if (!parts[2]) return { page: 'overview', project, query };
  if (!parts[3]) return { page: 'list', project, plural: parts[2], query };
  if (parts[3] === '~new') return { page: 'new', project, plural: parts[2], query };
  return { page: 'detail', project, plural: parts[2], name: parts[3], query };
}

/** Builds a dashboard URL. */
export function href(project: string | undefined, plural?: string, name?: string, query?: Record<string, string>): string {
  let path = project ? `${BASE}p/${encodeURIComponent(project)}` : BASE;
  if (project && plural) path += `/${encodeURIComponent(plural)}`;
  if (project && plural && name) path += `/${name === '~new' ? name : encodeURIComponent(name)}`;
  const qs = query ? new URLSearchParams(query).toString() : '';
  return qs ? `${path}?${qs}` : path;
}

const NAV_EVENT = 'capstan:navigate';

/** Goes to a URL without reloading. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAV_EVENT));
}

function subscribe(fn: () => void): () => void {
  window.addEventListener('popstate', fn);
  window.addEventListener(NAV_EVENT, fn);
  return () => {
    window.removeEventListener('popstate', fn);
    window.removeEventListener(NAV_EVENT, fn);
  };
}
const current = () => location.pathname + location.search;

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const key = useSyncExternalStore(subscribe, current);
  const i = key.indexOf('?');
  return parseRoute(i < 0 ? key : key.slice(0, i), i < 0 ? '' : key.slice(i));
}

/** An anchor that navigates in-app (still a real link: middle-click and keyboard work). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { onClick, ...rest } = props;
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...rest} onClick={click} />;
}
