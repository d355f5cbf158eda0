/** Small shared pieces: health badge, error box, empty state, live indicator, a ticking clock. */
import { useEffect, useState, type ReactNode } from 'react';
import type { KubeObject } from '../api/client.js';
import { healthOf, type Health } from '../state/health.js';

/** A coloured badge with the health label (colour is never the only signal: the text says it). */
export function HealthBadge({ object }: { object: KubeObject }) {
  const h = healthOf(object);
  if (h.health === 'unknown' && h.label === '—') return <span className="muted small" title="no status reported">—</span>;
  return <Badge health={h.health} title={h.message}>{h.label}</Badge>;
}

/** A badge of a given health. */
export function Badge({ health, children, title }: { health: Health; children: ReactNode; title?: string }) {
  return <span className={`badge ${health}`} title={title}>{children}</span>;
}

/** An error in words, announced to screen readers. */
export function ErrorBox({ error, title }: { error: string | undefined; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {error}
    </div>
  );
}

/** What to do when there is nothing to show. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children}
    </div>
  );
}

/** Whether the page is receiving live updates. */
export function LiveIndicator({ live, loaded, polled }: { live: boolean; loaded: boolean; polled?: boolean }) {
  if (!loaded) return <span className="live off" role="status">Loading…</span>;
  if (polled) return <span className="live off" role="status" title="Other views hold the live streams; this one refreshes every 15 seconds">↻ Refreshing</span>;
  return <span className={live ? 'live' : 'live off'} role="status" title={live ? 'Changes appear as they happen (watch API)' : 'Reconnecting to the watch'}>{live ? '● Live' : '○ Reconnecting'}</span>;
}

/** The current time, refreshed every `ms` (for "age" columns). */
export function useNow(ms = 10_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
