/** ClusterQueue: quota per flavor and resource, a cohort to borrow from and lend to, preemption policy (Kueue's). */
import { z } from 'zod';
import { CAPSTAN_GROUP, CAPSTAN_VERSION, defineKind } from '../kind.js';
import { condition, projectName, type KubeObject } from '../meta.js';
import { labelSelector, quantity, resourceName } from './node-scheduling-schemas.js';
import { kueueClusterQueueConversion } from '../convert/kueue-cluster-queue.js';
import { resourceQuotaConversion } from '../convert/kubernetes-scheduling-resource-quota.js';

const resourceQuota = z
  .object({
    name: resourceName,
    nominalQuota: quantity,
    borrowingLimit: quantity.optional(),
    lendingLimit: quantity.optional(),
  })
  .strict();

const flavorQuotas = z
  .object({
    name: z.string().min(1).max(253),
    resources: z.array(resourceQuota).min(1).max(64),
  })
  .strict();

const resourceGroup = z
  .object({
    coveredResources: z.array(resourceName).min(1).max(64),
    flavors: z.array(flavorQuotas).min(1).max(16),
  })
  .strict()
  .superRefine((g, ctx) => {
    // Kueue's rule: each flavor lists exactly the covered resources, in any order.
    g.flavors.forEach((f, i) => {
      const names = f.resources.map((r) => r.name);
      const missing = g.coveredResources.filter((r) => !names.includes(r));
      const extra = names.filter((r) => !g.coveredResources.includes(r));
      if (missing.length || extra.length) {
        ctx.addIssue({ code: 'custom', path: ['flavors', i, 'resources'], message: `must list exactly the covered resources (${g.coveredResources.join(', ')})${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not covered ${extra.join(', ')}` : ''}` });
      }
    });
  });

/** The spec of a ClusterQueue. */
export const clusterQueueSpec = z
  .object({
    /** Which projects may submit: a label selector over projects (unset and no `projects` = all). */
    namespaceSelector: labelSelector.optional(),
    /** Shorthand for a selector: these projects only. */
    projects: z.array(projectName).max(1000).optional(),
    resourceGroups: z.array(resourceGroup).max(16).default([]),
    cohort: z.string().min(1).max(253).optional(),
    queueingStrategy: z.enum(['StrictFIFO', 'BestEffortFIFO']).default('BestEffortFIFO'),
    preemption: z
      .object({
        withinClusterQueue: z.enum(['Never', 'LowerPriority', 'LowerOrNewerEqualPriority']).optional(),
        reclaimWithinCohort: z.enum(['Never', 'LowerPriority', 'Any']).optional(),
        borrowWithinCohort: z
          .object({ policy: z.enum(['Never', 'LowerPriority']).optional(), maxPriorityThreshold: z.number().int().optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    fairSharing: z.object({ weight: quantity.optional() }).strict().optional(),
    flavorFungibility: z
      .object({ whenCanBorrow: z.enum(['Borrow', 'TryNextFlavor']).optional(), whenCanPreempt: z.enum(['Preempt', 'TryNextFlavor']).optional() })
      .strict()
      .optional(),
    stopPolicy: z.enum(['None', 'Hold', 'HoldAndDrain']).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Map<string, number>();
    s.resourceGroups.forEach((g, gi) => g.coveredResources.forEach((r) => {
      if (seen.has(r)) ctx.addIssue({ code: 'custom', path: ['resourceGroups', gi, 'coveredResources'], message: `resource ${r} is already covered by resourceGroups[${seen.get(r)}]` });
      else seen.set(r, gi);
    }));
  });
/** A ClusterQueue spec as stored. */
export type ClusterQueueSpec = z.infer<typeof clusterQueueSpec>;

/** One row of a ClusterQueue's usage table: quantities as strings in the resource's unit. */
const usageRow = z
  .object({
    flavor: z.string(),
    resource: z.string(),
    nominalQuota: z.string(),
    used: z.string(),
    borrowed: z.string(),
    lent: z.string().optional(),
    available: z.string().optional(),
    borrowingLimit: z.string().optional(),
    lendingLimit: z.string().optional(),
  })
  .strict();

const flavorUsage = z
  .object({ name: z.string(), resources: z.array(z.object({ name: z.string(), total: z.string(), borrowed: z.string() }).strict()) })
  .strict();

const clusterQueueStatus = z
  .object({
    /** The usage rows as aligned text lines (what `capstan describe clusterqueue` shows first). */
    usageTable: z.array(z.string()).optional(),
    /** Human table: per flavor × resource, used vs quota vs borrowed. */
    usage: z.array(usageRow).optional(),
    /** Kueue's shape of the same usage (admitted workloads). */
    flavorsUsage: z.array(flavorUsage).optional(),
    flavorsReservation: z.array(flavorUsage).optional(),
    pendingWorkloads: z.number().int().optional(),
    /** The head of the queue as aligned text lines: POSITION WORKLOAD REASON ESTIMATED START (first 10). */
    pendingTable: z.array(z.string()).optional(),
    reservingWorkloads: z.number().int().optional(),
    admittedWorkloads: z.number().int().optional(),
    observedGeneration: z.number().int().optional(),
    conditions: z.array(condition).optional(),
  })
  .strict();
/** A ClusterQueue status as stored. */
export type ClusterQueueStatus = z.infer<typeof clusterQueueStatus>;

function usageSummary(o: KubeObject, resource: string): string {
  const rows = ((o.status as ClusterQueueStatus | undefined)?.usage ?? []).filter((r) => r.resource === resource);
  return rows.map((r) => `${r.used}/${r.nominalQuota}${r.borrowed !== '0' ? `(+${r.borrowed})` : ''}`).join(' ');
}

/** The ClusterQueue kind. */
export const ClusterQueueKind = defineKind({
  group: CAPSTAN_GROUP,
  version: CAPSTAN_VERSION,
  kind: 'ClusterQueue',
  plural: 'clusterqueues',
  singular: 'clusterqueue',
  shortNames: ['cq', 'cqs'],
  namespaced: false,
  description: 'Quota per resource flavor for a set of projects, with a cohort to borrow from and lend to, a queueing strategy and preemption policy.',
  body: z.object({ spec: clusterQueueSpec, status: clusterQueueStatus.optional() }),
  status: clusterQueueStatus,
  conversions: [kueueClusterQueueConversion, resourceQuotaConversion],
  columns: [
    { name: 'COHORT', value: (o) => (o.spec as ClusterQueueSpec | undefined)?.cohort ?? '' },
    { name: 'STRATEGY', value: (o) => (o.spec as ClusterQueueSpec | undefined)?.queueingStrategy ?? '' },
    { name: 'PENDING', value: (o) => String((o.status as ClusterQueueStatus | undefined)?.pendingWorkloads ?? 0) },
    { name: 'ADMITTED', value: (o) => String((o.status as ClusterQueueStatus | undefined)?.admittedWorkloads ?? 0) },
    { name: 'CPU', value: (o) => usageSummary(o, 'cpu'), wide: true },
    { name: 'MEMORY', value: (o) => usageSummary(o, 'memory'), wide: true },
    { name: 'GPU', value: (o) => usageSummary(o, 'nvidia.com/gpu'), wide: true },
  ],
});
