/**
 * Pure: a cluster's nodes → Capstan Node objects (allocatable cpu/memory/nvidia.com/gpu, labels
 * such as nvidia.com/gpu.product, taints, readiness) and the Cluster's capacity summary.
 */
import { formatQuantity, parseQuantity } from '../../scheduler/quantity.js';
import type { KubeJson } from './kube-api.js';

interface K8sNodeStatus {
  allocatable?: Record<string, string>;
  capacity?: Record<string, string>;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  nodeInfo?: { osImage?: string; architecture?: string; kubeletVersion?: string };
}

const RESOURCES = ['cpu', 'memory', 'nvidia.com/gpu', 'pods', 'ephemeral-storage'];

// Cloud providers add many zone/instance labels; keep what scheduling and users read.
const KEEP_LABEL = /^(nvidia\.com\/|kubernetes\.io\/(hostname|arch|os)$|node\.kubernetes\.io\/instance-type$|topology\.kubernetes\.io\/(zone|region)$|node-role\.kubernetes\.io\/|capstan\.dev\/)/;

/** The Capstan Node name for a node of a cluster (`<cluster>.<node>`, unique across clusters). */
export function capstanNodeName(cluster: string, node: string): string {
  return `${cluster}.${node}`.slice(0, 253);
}

function pick(list: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of RESOURCES) if (list?.[r] !== undefined) out[r] = String(list[r]);
  return out;
}

/**
 * A Capstan Node body (metadata.name, labels, spec, status) for one Kubernetes node. Besides the
 * labels scheduling and users read, `selected` keeps the keys ResourceFlavors select on, so the
 * scheduler core can match a flavor's nodeLabels to the cluster's nodes.
 */
export function capstanNodeFrom(cluster: string, node: KubeJson, now: string, selected: ReadonlySet<string> = new Set()): { metadata: { name: string; labels: Record<string, string> }; spec: Record<string, unknown>; status: Record<string, unknown> } {
  const st = (node.status ?? {}) as K8sNodeStatus;
  const spec = (node.spec ?? {}) as { taints?: { key: string; value?: string; effect: string }[]; unschedulable?: boolean };
  const labels: Record<string, string> = { 'capstan.dev/cluster': cluster.slice(0, 63) };
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) if ((KEEP_LABEL.test(k) || selected.has(k)) && String(v).length <= 63) labels[k] = String(v);
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  return {
    metadata: { name: capstanNodeName(cluster, node.metadata.name), labels },
    spec: {
      cluster,
      ...(spec.taints?.length ? { taints: spec.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })) } : {}),
      ...(spec.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity: pick(st.capacity),
      allocatable: pick(st.allocatable ?? st.capacity),
      nodeInfo: { hostname: node.metadata.name, ...(st.nodeInfo?.osImage ? { os: st.nodeInfo.osImage } : {}), ...(st.nodeInfo?.architecture ? { arch: st.nodeInfo.architecture } : {}) },
      lastHeartbeatTime: now,
      conditions: [{ type: 'Ready', status: ready?.status === 'True' ? 'True' : ready ? 'False' : 'Unknown', reason: ready?.reason ?? 'NodeStatusUnknown', message: ready?.message ?? '', lastTransitionTime: now }],
    },
  };
}

/** True when the node's Ready condition is True. */
export function kubeNodeReady(node: KubeJson): boolean {
  return ((node.status ?? {}) as K8sNodeStatus).conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Sum of allocatable over ready, schedulable nodes, as Kubernetes quantities. */
export function clusterAllocatable(nodes: KubeJson[]): Record<string, string> {
  const sum: Record<string, number> = {};
  for (const n of nodes) {
    if (!kubeNodeReady(n) || (n.spec as { unschedulable?: boolean } | undefined)?.unschedulable) continue;
    for (const [r, q] of Object.entries(pick(((n.status ?? {}) as K8sNodeStatus).allocatable))) {
      try {
        sum[r] = (sum[r] ?? 0) + parseQuantity(q, r);
      } catch {
        // A quantity the core cannot read is left out of the summary rather than failing the probe.
      }
    }
  }
  return Object.fromEntries(Object.entries(sum).map(([r, v]) => [r, formatQuantity(v, r)]));
}

/** Nodes whose labels match every key of a node selector (and that are ready and schedulable). */
export function nodesMatching(nodes: KubeJson[], selector: Record<string, string> | undefined): KubeJson[] {
  return nodes.filter((n) => kubeNodeReady(n) && !(n.spec as { unschedulable?: boolean } | undefined)?.unschedulable && Object.entries(selector ?? {}).every(([k, v]) => n.metadata.labels?.[k] === v));
}
