/**
 * What is special about each kind on the generic pages: extra list columns, a summary panel on
 * the detail page, a template for "new", a hint for the empty state. Kinds without an entry get
 * the generic view, so a kind that lands on the server shows up at once.
 */
import type { ReactNode } from 'react';
import type { KubeObject } from '../api/client.js';
import { age } from '../state/health.js';

/** One list column. */
export interface Column {
  header: string;
  value(o: KubeObject, now: number): ReactNode;
  /** Hidden at phone width. */
  wide?: boolean;
}

/** A kind's specialisations. */
export interface KindView {
  columns?: Column[];
  /** Replaces the generic status/message columns (e.g. events have their own). */
  replaceStatus?: boolean;
  /** Sort for the list (default: failing first, then name). */
  sort?(a: KubeObject, b: KubeObject): number;
  Summary?(props: { object: KubeObject; project: string }): ReactNode;
  /** A form for "new" (the YAML editor stays one click away); `onYaml` switches to it with the form's YAML. */
  NewForm?(props: { project: string; onYaml(text: string): void }): ReactNode;
  /** Shown above the list (e.g. an upload form). */
  ListExtra?(props: { project: string }): ReactNode;
  /** YAML for the "new" editor. */
  template?(project: string): string;
  emptyHint?: ReactNode;
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** Registry filled by the kind-specific modules (see pages/*-views.tsx). */
export const KIND_VIEWS: Record<string, KindView> = {
  Event: {
    replaceStatus: true,
    sort: (a, b) => str(b.lastTimestamp ?? b.metadata.creationTimestamp).localeCompare(str(a.lastTimestamp ?? a.metadata.creationTimestamp)),
    columns: [
      { header: 'Type', value: (o) => <span className={`badge ${o.type === 'Warning' ? 'failing' : 'unknown'}`}>{str(o.type || 'Normal')}</span> },
      { header: 'Reason', value: (o) => str(o.reason) },
      { header: 'Object', value: (o) => { const i = o.involvedObject as { kind?: string; name?: string } | undefined; return i ? `${str(i.kind)}/${str(i.name)}` : ''; } },
      { header: 'Message', value: (o) => <span className="msg">{str(o.message)}</span> },
      { header: 'Count', value: (o) => str(o.count ?? 1), wide: true },
      { header: 'Last seen', value: (o, now) => age(str(o.lastTimestamp || o.metadata.creationTimestamp), now) },
    ],
    template: (project) => `apiVersion: capstan.dev/v1alpha1
kind: Event
metadata:
  name: note-1
  namespace: ${project}
involvedObject:
  kind: Project
  name: ${project}
type: Normal
reason: Note
message: Written from the dashboard
`,
    emptyHint: <p>Controllers record events as they act on your objects. Apply something and they appear here live.</p>,
  },
  Project: {
    columns: [{ header: 'Display name', value: (o) => str(o.spec?.displayName) }],
    template: () => `apiVersion: capstan.dev/v1alpha1
kind: Project
metadata:
  name: my-project
spec:
  displayName: My project
  description: What this team trains and serves
`,
  },
};

/** The view of a kind (an empty one when it has no specialisation). */
export function viewOf(kind: string): KindView {
  return KIND_VIEWS[kind] ?? {};
}

/** A generic template for kinds without one. */
export function genericTemplate(kind: string, namespaced: boolean, project: string): string {
  const name = kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  return `apiVersion: capstan.dev/v1alpha1
kind: ${kind}
metadata:
  name: my-${name}${namespaced ? `\n  namespace: ${project}` : ''}
spec: {}
`;
}
