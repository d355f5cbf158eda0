/** Cluster: a compute target, this machine (`local`, always present) or a Kubernetes cluster. */
import { z } from 'zod';
import { condition } from '../meta.js';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';

/** The name of the Cluster object that stands for this machine. */
export const LOCAL_CLUSTER_NAME = 'local';

/** The annotation that sends an object to a cluster other than this machine. */
export const CLUSTER_ANNOTATION = 'capstan.dev/cluster';

/** The label every Capstan Node mirrored from a kubernetes Cluster carries (its Cluster's name); flavors of that cluster select on it. */
export const NODE_CLUSTER_LABEL = 'capstan.dev/cluster';

/** The Cluster an object runs on: its `capstan.dev/cluster` annotation, else the local one. Local controllers act only on 'local'. */
export function targetClusterOf(obj: { metadata: { annotations?: Record<string, string> } }): string {
  return obj.metadata.annotations?.[CLUSTER_ANNOTATION] ?? LOCAL_CLUSTER_NAME;
}

const kubeconfigSource = z
  .object({
    /** A kubeconfig file on the Capstan server's filesystem. */
    path: z.string().min(1).max(4096).optional(),
    /** The kubeconfig itself, base64-encoded as in a Secret's `data` (kept in Capstan's store). */
    data: z.string().min(1).max(1_000_000).regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64 (as in a Secret\'s data)').optional(),
    /** Use the pod's service account (Capstan running inside the cluster). */
    inCluster: z.boolean().optional(),
    /** The kubeconfig context to use (default: its current-context). */
    context: z.string().min(1).max(253).optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    const n = [k.path !== undefined, k.data !== undefined, k.inCluster === true].filter(Boolean).length;
    if (n !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of path, data or inCluster: true' });
  });

const clusterSpec = z
  .object({
    type: z.enum(['local', 'kubernetes']),
    kubeconfig: kubeconfigSource.optional(),
    /** The Capstan image replicas run on this cluster (`capstan model-server`). */
    image: z.string().min(1).max(512).optional(),
    /** The URL pods on this cluster use to reach Capstan's registry (model downloads). */
    registryUrl: z.string().url().max(2048).optional(),
    /** How often the cluster's health is probed. */
    probeIntervalSeconds: z.number().int().min(5).max(3600).default(30),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.type === 'kubernetes' && !s.kubeconfig) ctx.addIssue({ code: 'custom', path: ['kubeconfig'], message: 'a kubernetes cluster needs kubeconfig (path, data or inCluster: true)' });
    if (s.type === 'local' && s.kubeconfig) ctx.addIssue({ code: 'custom', path: ['kubeconfig'], message: 'a local cluster takes no kubeconfig' });
  });

const clusterStatus = z
  .object({
    reachable: z.boolean().optional(),
    version: z.string().optional(),
    nodeCount: z.number().int().nonnegative().optional(),
    /** Sum over ready nodes, by resource name (Kubernetes quantities). */
    allocatable: z.record(z.string(), z.string()).optional(),
    lastProbeTime: z.string().optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();

/** A Cluster's spec. */
export type ClusterSpec = z.infer<typeof clusterSpec>;
/** A Cluster's status. */
export type ClusterStatus = z.infer<typeof clusterStatus>;

/** The Cluster kind. */
export const ClusterKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Cluster',
  plural: 'clusters',
  singular: 'cluster',
  shortNames: ['cl'],
  namespaced: false,
  description: 'A compute target: this machine (local) or a Kubernetes cluster reached through a kubeconfig, with its health and capacity.',
  body: z.object({ spec: clusterSpec, status: clusterStatus.optional() }),
  status: clusterStatus,
  columns: [
    { name: 'TYPE', value: (o) => String((o.spec as ClusterSpec | undefined)?.type ?? '') },
    { name: 'REACHABLE', value: (o) => { const r = (o.status as ClusterStatus | undefined)?.reachable; return r === undefined ? '' : String(r); } },
    { name: 'VERSION', value: (o) => String((o.status as ClusterStatus | undefined)?.version ?? '') },
    { name: 'NODES', value: (o) => String((o.status as ClusterStatus | undefined)?.nodeCount ?? '') },
    { name: 'GPUS', value: (o) => String((o.status as ClusterStatus | undefined)?.allocatable?.['nvidia.com/gpu'] ?? ''), wide: true },
  ],
});
