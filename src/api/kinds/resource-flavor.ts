/** ResourceFlavor: a kind of node (GPU model, spot/on-demand, a cluster) quota is counted in, as in Kueue. */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { labelMap } from '../meta.js';
import { taint, toleration } from './node-scheduling-schemas.js';
import { kueueResourceFlavorConversion } from '../convert/kueue-resource-flavor.js';

/** The spec of a ResourceFlavor. */
export const resourceFlavorSpec = z
  .object({
    /** Nodes of this flavor carry these labels; pods admitted on it get them as node selector. */
    nodeLabels: labelMap.optional(),
    /** Taints nodes of this flavor carry: only workloads tolerating them may use the flavor. */
    nodeTaints: z.array(taint).max(32).optional(),
    /** Tolerations added to pods admitted on this flavor. */
    tolerations: z.array(toleration).max(32).optional(),
    /** Which Capstan Cluster this flavor's nodes are in (unset: this machine or any). */
    cluster: z.string().max(253).optional(),
    /** Kueue's topology-aware scheduling name; accepted, not yet used. */
    topologyName: z.string().max(253).optional(),
  })
  .strict();

/** The ResourceFlavor kind. */
export const ResourceFlavorKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'ResourceFlavor',
  plural: 'resourceflavors',
  singular: 'resourceflavor',
  shortNames: ['rf', 'flavor', 'flavors'],
  namespaced: false,
  description: 'A kind of node quota is counted in (GPU model, spot or on-demand, a cluster): node labels, taints and tolerations.',
  body: z.object({ spec: resourceFlavorSpec.default({}) }),
  conversions: [kueueResourceFlavorConversion],
  columns: [
    { name: 'NODE LABELS', value: (o) => Object.entries((o.spec as z.infer<typeof resourceFlavorSpec>)?.nodeLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') },
    { name: 'TAINTS', value: (o) => ((o.spec as z.infer<typeof resourceFlavorSpec>)?.nodeTaints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(','), wide: true },
    { name: 'CLUSTER', value: (o) => (o.spec as z.infer<typeof resourceFlavorSpec>)?.cluster ?? '', wide: true },
  ],
});
