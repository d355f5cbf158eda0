/** Manifest builders for queueing tests (static nodes, flavors, queues, workloads). */
const V = 'capstan.dev/v1alpha1';

/** A static node with GPUs of a model. */
export function staticNode(name: string, gpus: number, model: string, cpu = '16', memory = '64Gi'): Record<string, unknown> {
  return { apiVersion: V, kind: 'Node', metadata: { name, labels: { 'nvidia.com/gpu.product': model } }, spec: { capacity: { cpu, memory, 'nvidia.com/gpu': gpus } } };
}

/** A flavor selecting nodes of a GPU model. */
export function gpuFlavor(name: string, model: string): Record<string, unknown> {
  return { apiVersion: V, kind: 'ResourceFlavor', metadata: { name }, spec: { nodeLabels: { 'nvidia.com/gpu.product': model } } };
}

/** A ClusterQueue with one flavor and cpu/memory/gpu quota, for some projects. */
export function clusterQueue(name: string, opts: { flavor: string; cpu: string; memory: string; gpu: number; cohort?: string; projects?: string[]; preemption?: Record<string, unknown>; gpuBorrowingLimit?: number; strategy?: string }): Record<string, unknown> {
  return {
    apiVersion: V, kind: 'ClusterQueue', metadata: { name },
    spec: {
      ...(opts.projects ? { projects: opts.projects } : {}),
      ...(opts.cohort ? { cohort: opts.cohort } : {}),
      ...(opts.preemption ? { preemption: opts.preemption } : {}),
      ...(opts.strategy ? { queueingStrategy: opts.strategy } : {}),
      resourceGroups: [{ coveredResources: ['cpu', 'memory', 'nvidia.com/gpu'], flavors: [{ name: opts.flavor, resources: [
        { name: 'cpu', nominalQuota: opts.cpu }, { name: 'memory', nominalQuota: opts.memory },
        { name: 'nvidia.com/gpu', nominalQuota: opts.gpu, ...(opts.gpuBorrowingLimit !== undefined ? { borrowingLimit: opts.gpuBorrowingLimit } : {}) },
      ] }] }],
    },
  };
}

/** A LocalQueue. */
export function localQueue(namespace: string, name: string, cq: string): Record<string, unknown> {
  return { apiVersion: V, kind: 'LocalQueue', metadata: { name, namespace }, spec: { clusterQueue: cq } };
}

/** A project. */
export function project(name: string): Record<string, unknown> {
  return { apiVersion: V, kind: 'Project', metadata: { name }, spec: {} };
}

/** A priority class. */
export function priorityClass(name: string, value: number): Record<string, unknown> {
  return { apiVersion: V, kind: 'WorkloadPriorityClass', metadata: { name }, value };
}

/** A one-podSet workload asking for GPUs. */
export function gpuWorkload(namespace: string, name: string, queue: string, gpus: number, opts: { priorityClassName?: string; count?: number } = {}): Record<string, unknown> {
  return {
    apiVersion: V, kind: 'Workload', metadata: { name, namespace },
    spec: { queueName: queue, ...(opts.priorityClassName ? { priorityClassName: opts.priorityClassName } : {}), podSets: [{ name: 'worker', count: opts.count ?? 1, requests: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': gpus } }] },
  };
}

/** Polls until `fn` returns a truthy value (or throws with the last value after `ms`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
