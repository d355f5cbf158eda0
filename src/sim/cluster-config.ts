// The simulator's cluster description (YAML or JSON): node groups, flavors, queues with quotas,
// and how trace queue names map onto ClusterQueues. Validated with zod; every error names its field.
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { parseQuantity } from '../scheduler/quantity.js';
import type { ClusterQueue, LocalQueue, Node, ResourceFlavor, ResourceGroup } from '../scheduler/types.js';

const GPU = 'nvidia.com/gpu';
const GPU_MILLI = 'capstan.dev/gpu-milli';
const MODEL_LABEL = 'nvidia.com/gpu.product';
const UNLIMITED = Number.MAX_SAFE_INTEGER;
const qty = z.union([z.string(), z.number()]);
const resourceMap = z.record(z.string(), qty);
const taint = z.object({ key: z.string(), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) });
const toleration = z.object({ key: z.string().optional(), operator: z.enum(['Exists', 'Equal']).optional(), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional() });

const schema = z.object({
  nodeGroups: z.array(z.object({
    name: z.string().min(1), count: z.number().int().min(1), cpu: qty, memory: qty, gpus: z.number().int().min(0).default(0),
    gpuModel: z.string().optional(), labels: z.record(z.string(), z.string()).optional(), taints: z.array(taint).optional(),
  })).min(1),
  flavors: z.array(z.object({ name: z.string().min(1), nodeLabels: z.record(z.string(), z.string()).optional(), nodeTaints: z.array(taint).optional(), tolerations: z.array(toleration).optional() })).optional(),
  queues: z.array(z.object({
    name: z.string().min(1), cohort: z.string().optional(), weight: z.number().min(0).optional(),
    queueingStrategy: z.enum(['StrictFIFO', 'BestEffortFIFO']).optional(),
    preemption: z.object({
      withinClusterQueue: z.enum(['Never', 'LowerPriority', 'LowerOrNewerEqualPriority']).optional(),
      reclaimWithinCohort: z.enum(['Never', 'LowerPriority', 'Any']).optional(),
      borrowWithinCohort: z.object({ policy: z.enum(['Never', 'LowerPriority']).optional(), maxPriorityThreshold: z.number().int().optional() }).optional(),
    }).optional(),
    quota: z.record(z.string(), resourceMap).optional(),
    borrowingLimit: z.record(z.string(), resourceMap).optional(),
    lendingLimit: z.record(z.string(), resourceMap).optional(),
    match: z.array(z.string()).optional(),
  })).min(1),
  defaultQueue: z.string().optional(),
  defaults: z.object({ cpuPerGpu: qty.optional(), memoryPerGpu: qty.optional(), cpuPerJob: qty.optional(), memoryPerJob: qty.optional() }).optional(),
});

/** Thrown for an invalid cluster file; the message names the field path. */
export class ClusterConfigError extends Error {
  override name = 'ClusterConfigError';
}

/** The cluster as the simulator uses it. */
export interface ClusterModel {
  resourceFlavors: ResourceFlavor[];
  clusterQueues: ClusterQueue[];
  localQueues: LocalQueue[];
  nodes: Node[];
  totalGpus: number;
  maxGpusPerNode: number;
  gpuModels: Set<string>;
  /** Share of nominal GPUs each ClusterQueue is entitled to (sums to 1 when any GPU quota exists). */
  entitlement: Record<string, number>;
  /** Trace queue name → ClusterQueue name. */
  queueFor(traceQueue: string): string;
  defaults: { cpuPerGpu: number; memoryPerGpu: number; cpuPerJob: number; memoryPerJob: number };
}

function amount(resource: string, v: string | number, path: string): number {
  try {
    return parseQuantity(v, resource === 'gpu' ? GPU : resource);
  } catch (e) {
    throw new ClusterConfigError(`${path}: ${(e as Error).message}`);
  }
}

/** Parse and validate a cluster file's text (YAML is a superset of JSON). */
export function parseClusterConfig(text: string): ClusterModel {
  let raw: unknown;
  try { raw = parseYaml(text); } catch (e) { throw new ClusterConfigError(`not valid YAML/JSON: ${(e as Error).message}`); }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ClusterConfigError(`${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const c = r.data;
  const nodes: Node[] = [];
  const gpuModels = new Set<string>();
  let totalGpus = 0;
  let maxGpusPerNode = 0;
  c.nodeGroups.forEach((g, gi) => {
    const labels: Record<string, string> = { 'capstan.dev/node-group': g.name, ...(g.gpuModel ? { [MODEL_LABEL]: g.gpuModel } : {}), ...g.labels };
    if (g.gpuModel) gpuModels.add(g.gpuModel);
    const allocatable = { cpu: amount('cpu', g.cpu, `nodeGroups.${gi}.cpu`), memory: amount('memory', g.memory, `nodeGroups.${gi}.memory`), [GPU]: g.gpus };
    for (let i = 0; i < g.count; i++) nodes.push({ name: `${g.name}-${i}`, labels, taints: g.taints, allocatable });
    totalGpus += g.gpus * g.count;
    maxGpusPerNode = Math.max(maxGpusPerNode, g.gpus);
  });
  const flavors: ResourceFlavor[] = c.flavors ?? [...new Set(c.nodeGroups.map((g) => g.gpuModel ?? ''))].map((m) =>
    m ? { name: m.toLowerCase(), nodeLabels: { [MODEL_LABEL]: m } } : { name: 'default' });
  const flavorNames = new Set(flavors.map((f) => f.name));
  const flavorGpus = (f: ResourceFlavor) => nodes.filter((n) => Object.entries(f.nodeLabels ?? {}).every(([k, v]) => n.labels?.[k] === v)).reduce((s, n) => s + n.allocatable[GPU], 0);
  const queueNames = new Set(c.queues.map((q) => q.name));
  const clusterQueues: ClusterQueue[] = c.queues.map((q, qi) => {
    // No quota given: an equal share of each flavor's GPUs.
    const quota = q.quota ?? Object.fromEntries(flavors.map((f) => [f.name, { [GPU]: Math.floor(flavorGpus(f) / c.queues.length) }]));
    const resources = ['cpu', 'memory', GPU, GPU_MILLI];
    const group: ResourceGroup = { coveredResources: resources, flavors: [] };
    for (const [fname, res] of Object.entries(quota)) {
      if (!flavorNames.has(fname)) throw new ClusterConfigError(`queues.${qi}.quota.${fname}: unknown flavor (known: ${[...flavorNames].join(', ')})`);
      const norm = (m: Record<string, string | number> | undefined, path: string) =>
        Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k === 'gpu' ? GPU : k, amount(k, v, `${path}.${k}`)]));
      const nominal = norm(res, `queues.${qi}.quota.${fname}`);
      const borrow = norm(q.borrowingLimit?.[fname], `queues.${qi}.borrowingLimit.${fname}`);
      const lend = norm(q.lendingLimit?.[fname], `queues.${qi}.lendingLimit.${fname}`);
      for (const k of Object.keys(nominal)) if (!resources.includes(k)) throw new ClusterConfigError(`queues.${qi}.quota.${fname}.${k}: unsupported resource (use cpu, memory, ${GPU}, ${GPU_MILLI})`);
      group.flavors.push({ name: fname, resources: resources.map((rname) => ({
        name: rname, nominalQuota: nominal[rname] ?? (rname === GPU ? 0 : UNLIMITED), borrowingLimit: borrow[rname], lendingLimit: lend[rname],
      })) });
    }
    return { name: q.name, cohort: q.cohort, queueingStrategy: q.queueingStrategy, preemption: q.preemption, fairSharing: q.weight === undefined ? undefined : { weight: q.weight }, resourceGroups: [group] };
  });
  if (c.defaultQueue && !queueNames.has(c.defaultQueue)) throw new ClusterConfigError(`defaultQueue: ${c.defaultQueue} is not a queue`);
  const match = new Map<string, string>();
  for (const q of c.queues) for (const m of q.match ?? []) match.set(m, q.name);
  const fallback = c.defaultQueue ?? c.queues[0].name;
  const gpuNominal = (cq: ClusterQueue) => cq.resourceGroups[0].flavors.reduce((s, f) => s + (f.resources.find((x) => x.name === GPU)?.nominalQuota ?? 0), 0);
  const totalNominal = clusterQueues.reduce((s, q) => s + gpuNominal(q), 0);
  const d = c.defaults ?? {};
  return {
    resourceFlavors: flavors, clusterQueues, nodes, totalGpus, maxGpusPerNode, gpuModels,
    localQueues: clusterQueues.map((q) => ({ namespace: q.name, name: 'default', clusterQueue: q.name })),
    entitlement: Object.fromEntries(clusterQueues.map((q) => [q.name, totalNominal > 0 ? gpuNominal(q) / totalNominal : 1 / clusterQueues.length])),
    queueFor: (t) => (queueNames.has(t) ? t : match.get(t) ?? fallback),
    defaults: {
      cpuPerGpu: amount('cpu', d.cpuPerGpu ?? '4', 'defaults.cpuPerGpu'), memoryPerGpu: amount('memory', d.memoryPerGpu ?? '32Gi', 'defaults.memoryPerGpu'),
      cpuPerJob: amount('cpu', d.cpuPerJob ?? '2', 'defaults.cpuPerJob'), memoryPerJob: amount('memory', d.memoryPerJob ?? '8Gi', 'defaults.memoryPerJob'),
    },
  };
}
