/** Which kinds the server serves (its APIResourceList), so pages appear as capabilities land. */
import { apiJson } from './client.js';

/** The API group and version every Capstan kind lives in. */
export const GROUP_VERSION = 'capstan.dev/v1alpha1';

/** One kind as discovery describes it. */
export interface KindInfo {
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames: string[];
  hasStatus: boolean;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
}

/** Fetches the kinds of capstan.dev/v1alpha1. */
export async function discoverKinds(signal?: AbortSignal): Promise<KindInfo[]> {
  const list = await apiJson<{ resources: ApiResource[] }>(`/apis/${GROUP_VERSION}`, { signal });
  const statusOf = new Set(list.resources.filter((r) => r.name.endsWith('/status')).map((r) => r.name.split('/')[0]));
  return list.resources
    .filter((r) => !r.name.includes('/'))
    .map((r) => ({ kind: r.kind, plural: r.name, namespaced: r.namespaced, shortNames: r.shortNames ?? [], hasStatus: statusOf.has(r.name) }));
}

/** The collection path of a kind (in a project when it is namespaced). */
export function collectionPath(k: Pick<KindInfo, 'plural' | 'namespaced'>, project?: string): string {
  if (k.namespaced) {
    if (!project) throw new Error(`${k.plural} live in a project; choose a project first`);
    return `/apis/${GROUP_VERSION}/namespaces/${encodeURIComponent(project)}/${k.plural}`;
  }
  return `/apis/${GROUP_VERSION}/${k.plural}`;
}

/** The path of one object. */
export function objectPath(k: Pick<KindInfo, 'plural' | 'namespaced'>, project: string | undefined, name: string): string {
  return `${collectionPath(k, project)}/${encodeURIComponent(name)}`;
}

/** Human title of a kind: "InferenceService" → "Inference services". */
export function kindTitle(kind: string, plural = true): string {
  const words = kind.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  const text = plural ? (words.endsWith('s') ? `${words}es` : `${words}s`) : words;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
