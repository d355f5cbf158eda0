// Builders for scheduler snapshots in tests: small, explicit, no defaults hidden far away.
import type { ClusterQueue, Node, SchedulerSnapshot, Workload, ResourceFlavor, LocalQueue } from '../../src/scheduler/types.js';

/** A GPU node with `gpus` GPUs of a model label. */
export function gpuNode(name: string, gpus: number, model = 'h100', cpu = 64_000, memory = 512 * 2 ** 30, extra: Partial<Node> = {}): Node {
  return { name, labels: { 'nvidia.com/gpu.product': model }, allocatable: { cpu, memory, 'nvidia.com/gpu': gpus }, ...extra };
}

/** A ClusterQueue with one resource group (cpu, memory, gpu) and one flavor per entry. */
export function gpuQueue(name: string, flavors: { name: string; gpu: number; gpuBorrow?: number; gpuLend?: number }[], extra: Partial<ClusterQueue> = {}): ClusterQueue {
  return {
    name,
    resourceGroups: [{
      coveredResources: ['cpu', 'memory', 'nvidia.com/gpu'],
      flavors: flavors.map((f) => ({
        name: f.name,
        resources: [
          { name: 'cpu', nominalQuota: 1_000_000 },
          { name: 'memory', nominalQuota: 2 ** 50 },
          { name: 'nvidia.com/gpu', nominalQuota: f.gpu, borrowingLimit: f.gpuBorrow, lendingLimit: f.gpuLend },
        ],
      })),
    }],
    ...extra,
  };
}

/** A flavor selecting nodes by GPU model. */
export function modelFlavor(name: string, model = name): ResourceFlavor {
  return { name, nodeLabels: { 'nvidia.com/gpu.product': model } };
}

/** A workload of `count` pods each asking `gpus` GPUs. */
export function gpuJob(name: string, queue: string, gpus: number, opts: Partial<Workload> & { count?: number; ns?: string } = {}): Workload {
  const { count = 1, ns = 'team', ...rest } = opts;
  return {
    namespace: ns, name, queueName: queue, creationTimestamp: 0,
    podSets: [{ name: 'main', count, requests: { cpu: 1000, memory: 2 ** 30, 'nvidia.com/gpu': gpus } }],
    ...rest,
  };
}

/** Snapshot with LocalQueues named like their ClusterQueues in namespace `team`. */
export function snapshot(parts: { flavors: ResourceFlavor[]; queues: ClusterQueue[]; nodes: Node[]; workloads: Workload[]; localQueues?: LocalQueue[] }): SchedulerSnapshot {
  return {
    resourceFlavors: parts.flavors,
    clusterQueues: parts.queues,
    localQueues: parts.localQueues ?? parts.queues.map((q) => ({ namespace: 'team', name: q.name, clusterQueue: q.name })),
    nodes: parts.nodes,
    workloads: parts.workloads,
  };
}
