/**
 * Kubernetes `v1` ResourceQuota → a Capstan ClusterQueue for that project.
 *
 * Mapping (documented in docs/queues.md):
 * - the ClusterQueue is named like the ResourceQuota and admits only its project
 *   (`metadata.namespace`, "default" when absent); it is annotated so the queueing module points
 *   the project's `default` LocalQueue at it;
 * - `requests.X` (and bare `cpu`/`memory`, which Kubernetes reads as requests) becomes the
 *   nominal quota of X in flavor `default-flavor`; `limits.X` is used only when no request quota
 *   for X is given, because Capstan counts requests (limits ≥ requests, so it is an upper bound);
 * - object counts (`pods`, `count/...`), storage, `scopes` and `scopeSelector` are refused by name.
 */
import type { StatusCause } from '../errors.js';
import type { KindConversion } from '../kind.js';
import { asRecord, CAPSTAN_API_VERSION, checkEnvelope, rejectFields, unknownKeys, unsupported } from './kueue-common.js';

/** The flavor a converted ResourceQuota counts in (the queueing module makes sure it exists). */
export const RESOURCE_QUOTA_FLAVOR = 'default-flavor';
/** Annotation on a ClusterQueue converted from a ResourceQuota: `namespace/name` of the source. */
export const FROM_RESOURCE_QUOTA_ANNOTATION = 'capstan.dev/from-resource-quota';

function quotaTarget(key: string): { resource: string; source: 'requests' | 'limits' } | undefined {
  if (key === 'cpu' || key === 'memory') return { resource: key, source: 'requests' };
  if (key.startsWith('requests.')) return { resource: key.slice('requests.'.length), source: 'requests' };
  if (key.startsWith('limits.')) return { resource: key.slice('limits.'.length), source: 'limits' };
  return undefined;
}

/** Converts a ResourceQuota's hard request/limit quotas into a ClusterQueue for its project. */
export const resourceQuotaConversion: KindConversion = {
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  convert(obj) {
    checkEnvelope(obj, 'ResourceQuota', ['spec']);
    const meta = asRecord(obj.metadata);
    const spec = asRecord(obj.spec);
    const causes: StatusCause[] = [];
    if (spec.scopes !== undefined) causes.push(unsupported('spec.scopes', 'quota scopes are not supported; a ClusterQueue covers every workload of the project'));
    if (spec.scopeSelector !== undefined) causes.push(unsupported('spec.scopeSelector', 'quota scopes are not supported; a ClusterQueue covers every workload of the project'));
    causes.push(...unknownKeys(spec, ['hard', 'scopes', 'scopeSelector'], 'spec'));
    const hard = asRecord(spec.hard);
    const requests = new Map<string, unknown>();
    const limits = new Map<string, unknown>();
    for (const [key, value] of Object.entries(hard)) {
      const t = quotaTarget(key);
      if (!t || t.resource === 'storage' || t.resource === 'ephemeral-storage' || t.resource === '') {
        causes.push(unsupported(`spec.hard.${key}`, 'only cpu, memory and extended-resource request/limit quotas can become a ClusterQueue'));
        continue;
      }
      (t.source === 'requests' ? requests : limits).set(t.resource, value);
    }
    if (Object.keys(hard).length === 0) causes.push({ reason: 'FieldValueRequired', field: 'spec.hard', message: 'required: at least one request quota' });
    rejectFields('ResourceQuota', causes);
    for (const [r, v] of limits) if (!requests.has(r)) requests.set(r, v);
    const project = typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : 'default';
    const name = typeof meta.name === 'string' ? meta.name : undefined;
    const resources = [...requests.keys()].sort();
    return {
      apiVersion: CAPSTAN_API_VERSION,
      kind: 'ClusterQueue',
      metadata: {
        ...(name !== undefined ? { name } : {}),
        ...(meta.labels !== undefined ? { labels: meta.labels } : {}),
        annotations: { ...asRecord(meta.annotations), [FROM_RESOURCE_QUOTA_ANNOTATION]: `${project}/${name ?? ''}` },
      },
      spec: {
        projects: [project],
        resourceGroups: [{
          coveredResources: resources,
          flavors: [{ name: RESOURCE_QUOTA_FLAVOR, resources: resources.map((r) => ({ name: r, nominalQuota: requests.get(r) })) }],
        }],
      },
    };
  },
};
