/** The resources the fake API server serves, and small helpers over its paths and selectors. */

/** One served resource. */
export interface FakeResource {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** Everything the runtime touches. */
export const FAKE_RESOURCES: FakeResource[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true },
  { group: '', version: 'v1', plural: 'resourcequotas', kind: 'ResourceQuota', namespaced: true },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true },
  { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true },
  { group: 'scheduling.k8s.io', version: 'v1', plural: 'priorityclasses', kind: 'PriorityClass', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true },
];

/** apiVersion string of a resource. */
export function apiVersionOf(r: FakeResource): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** A parsed request path. */
export interface ParsedPath {
  discovery?: string;
  resource?: FakeResource;
  namespace?: string;
  name?: string;
  sub?: string;
}

/** Parses `/api/v1/...` and `/apis/{group}/{version}/...`. */
export function parsePath(pathname: string): ParsedPath | undefined {
  const seg = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === 'api' && seg[1]) [group, version, rest] = ['', seg[1], seg.slice(2)];
  else if (seg[0] === 'apis' && seg[1] && seg[2]) [group, version, rest] = [seg[1], seg[2], seg.slice(3)];
  else return undefined;
  const gv = group ? `${group}/${version}` : version;
  if (rest.length === 0) return { discovery: gv };
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const resource = FAKE_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === rest[0]);
  if (!resource) return { discovery: undefined };
  return { resource, namespace, name: rest[1], sub: rest[2] };
}

/** Equality-based label selectors (`a=b,c!=d,e`), as far as the runtime uses them. */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return selector.split(',').filter(Boolean).every((term) => {
    const ne = term.split('!=');
    if (ne.length === 2) return l[ne[0]!.trim()] !== ne[1]!.trim();
    const eq = term.split(/==?/);
    if (eq.length === 2) return l[eq[0]!.trim()] === eq[1]!.trim();
    return term.trim() in l;
  });
}

/** Leaf paths of a JSON value (arrays are atomic, as in SSA's default list type for our fields). */
export function leafPaths(v: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) for (const [p, y] of leafPaths(x, `${prefix}.${k}`)) out.set(p, y);
  } else out.set(prefix, v);
  return out;
}

/** Removes a dotted path from an object (pruning emptied parents). */
export function removePath(obj: Record<string, unknown>, path: string): void {
  const keys = path.split('.').filter(Boolean);
  const stack: Record<string, unknown>[] = [obj];
  for (const k of keys.slice(0, -1)) {
    const next = stack[stack.length - 1]![k];
    if (!next || typeof next !== 'object') return;
    stack.push(next as Record<string, unknown>);
  }
  delete stack[stack.length - 1]![keys[keys.length - 1]!];
  for (let i = stack.length - 1; i > 0; i--) if (Object.keys(stack[i]!).length === 0) delete stack[i - 1]![keys[i - 1]!];
}

/** Deep merge: objects merge, everything else replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(base) && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return structuredClone(over);
}
