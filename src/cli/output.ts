/** How the CLI prints objects: kubectl-like aligned tables, YAML or JSON. */
import { stringify } from 'yaml';
import type { Kind } from '../api/kind.js';
import type { KubeObject } from '../api/meta.js';

/** Output formats of `get`. */
export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json' | 'name';

/** Human age like kubectl: 5s, 3m, 2h, 4d. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Aligns rows into columns separated by three spaces. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** A table of objects of one kind, with the kind's declared columns. */
export function objectsTable(kind: Kind, items: KubeObject[], opts: { wide?: boolean; allProjects?: boolean }): string {
  const cols = (kind.columns ?? []).filter((c) => opts.wide || !c.wide);
  const header = [...(opts.allProjects && kind.namespaced ? ['PROJECT'] : []), 'NAME', ...cols.map((c) => c.name), 'AGE'];
  const rows = items.map((o) => [
    ...(opts.allProjects && kind.namespaced ? [o.metadata.namespace ?? ''] : []),
    o.metadata.name,
    ...cols.map((c) => {
      try {
        return c.value(o);
      } catch {
        return '';
      }
    }),
    age(o.metadata.creationTimestamp),
  ]);
  return formatTable(header, rows);
}

/** YAML or JSON for one object or a list. */
export function serialize(value: unknown, format: 'yaml' | 'json'): string {
  return format === 'json' ? JSON.stringify(value, null, 2) : stringify(value, { lineWidth: 0 }).trimEnd();
}
