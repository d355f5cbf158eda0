/**
 * Node: a machine workloads are placed on. The local runtime reports this machine; users may
 * declare static nodes (capacity in spec) to try bigger clusters; the Kubernetes runtime mirrors
 * a cluster's nodes.
 */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { condition, type KubeObject } from '../meta.js';
import { resourceMap, taint } from './node-scheduling-schemas.js';

/** The label carrying the GPU model (NVIDIA GPU feature discovery's name). */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
/** The GPU extended resource. */
export const GPU_RESOURCE = 'nvidia.com/gpu';

/** The spec of a Node. Labels live in metadata.labels, as in Kubernetes. */
export const nodeSpec = z
  .object({
    /** Declared capacity (static nodes); reported nodes have it in status. */
    capacity: resourceMap.optional(),
    /** Declared allocatable; defaults to capacity. */
    allocatable: resourceMap.optional(),
    taints: z.array(taint).max(32).optional(),
    /** Cordoned: keeps running workloads, takes no new ones. */
    unschedulable: z.boolean().optional(),
    /** Which Capstan Cluster the node belongs to (unset: this installation's local runtime). */
    cluster: z.string().max(253).optional(),
  })
  .strict();
/** A Node spec as stored. */
export type NodeSpec = z.infer<typeof nodeSpec>;

const gpuInfo = z.object({ index: z.number().int().nonnegative(), name: z.string(), memory: z.string().optional() }).strict();

const nodeStatus = z
  .object({
    capacity: resourceMap.optional(),
    allocatable: resourceMap.optional(),
    gpus: z.array(gpuInfo).optional(),
    nodeInfo: z.object({ hostname: z.string().optional(), os: z.string().optional(), arch: z.string().optional(), cpuModel: z.string().optional() }).strict().optional(),
    lastHeartbeatTime: z.string().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();
/** A Node status as stored. */
export type NodeStatus = z.infer<typeof nodeStatus>;

/** What the scheduler may use on a node: reported allocatable, else declared allocatable, else capacity. */
export function nodeAllocatable(o: KubeObject): Record<string, string | number> {
  const spec = (o.spec ?? {}) as NodeSpec;
  const st = (o.status ?? {}) as NodeStatus;
  return st.allocatable ?? st.capacity ?? spec.allocatable ?? spec.capacity ?? {};
}

/** Ready unless a Ready condition says otherwise (static nodes have no reporter and count as ready). */
export function nodeReady(o: KubeObject): boolean {
  const c = ((o.status ?? {}) as NodeStatus).conditions?.find((x) => x.type === 'Ready');
  return !c || c.status === 'True';
}

/** The Node kind. */
export const NodeKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  shortNames: ['no'],
  namespaced: false,
  description: 'A machine workloads are placed on: capacity (cpu, memory, GPUs), labels such as the GPU model, taints, readiness.',
  body: z.object({ spec: nodeSpec.default({}), status: nodeStatus.optional() }),
  status: nodeStatus,
  columns: [
    { name: 'STATUS', value: (o) => (nodeReady(o) ? 'Ready' : 'NotReady') + ((o.spec as NodeSpec | undefined)?.unschedulable ? ',SchedulingDisabled' : '') },
    { name: 'CPU', value: (o) => String(nodeAllocatable(o).cpu ?? '') },
    { name: 'MEMORY', value: (o) => String(nodeAllocatable(o).memory ?? '') },
    { name: 'GPUS', value: (o) => String(nodeAllocatable(o)[GPU_RESOURCE] ?? 0) },
    { name: 'GPU MODEL', value: (o) => o.metadata.labels?.[GPU_PRODUCT_LABEL] ?? '' },
  ],
});
