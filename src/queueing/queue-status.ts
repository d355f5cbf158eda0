/** ClusterQueue and LocalQueue statuses from the core's usage summary and workload counts. Pure. */
import { setCondition } from '../api/conditions.js';
import type { ClusterQueueSpec, ClusterQueueStatus } from '../api/kinds/cluster-queue.js';
import type { LocalQueueStatus } from '../api/kinds/local-queue.js';
import { formatQuantity } from '../scheduler/quantity.js';
import type { QueueUsageRow } from '../scheduler/usage-summary.js';
import { canonicalEqual } from './status-equality.js';

/** Workload counts of a queue. */
export interface QueueCounts {
  pending: number;
  admitted: number;
}

/** Next ClusterQueue status (usage table, Kueue's flavorsUsage, counts, Active), or undefined when unchanged. */
export function clusterQueueStatus(
  cur: ClusterQueueStatus | undefined,
  spec: ClusterQueueSpec,
  rows: QueueUsageRow[],
  counts: QueueCounts,
  knownFlavors: ReadonlySet<string>,
  generation: number,
  now: string,
): ClusterQueueStatus | undefined {
  const q = (a: number, r: string) => formatQuantity(a, r);
  const usage = rows.map((row) => ({
    flavor: row.flavor,
    resource: row.resource,
    nominalQuota: q(row.nominalQuota, row.resource),
    used: q(row.usage, row.resource),
    borrowed: q(row.borrowed, row.resource),
    lent: q(row.lent, row.resource),
    available: q(row.available, row.resource),
    ...(row.borrowingLimit !== undefined && Number.isFinite(row.borrowingLimit) ? { borrowingLimit: q(row.borrowingLimit, row.resource) } : {}),
    ...(row.lendingLimit !== undefined ? { lendingLimit: q(row.lendingLimit, row.resource) } : {}),
  }));
  const byFlavor = new Map<string, { name: string; total: string; borrowed: string }[]>();
  for (const row of rows) {
    const list = byFlavor.get(row.flavor) ?? [];
    list.push({ name: row.resource, total: q(row.usage, row.resource), borrowed: q(row.borrowed, row.resource) });
    byFlavor.set(row.flavor, list);
  }
  const flavorsUsage = [...byFlavor].map(([name, resources]) => ({ name, resources }));
  const missing = [...new Set(spec.resourceGroups.flatMap((g) => g.flavors.map((f) => f.name)))].filter((f) => !knownFlavors.has(f));
  const active = missing.length === 0
    ? { type: 'Active', status: 'True' as const, reason: 'Ready', message: 'Can admit new workloads' }
    : { type: 'Active', status: 'False' as const, reason: 'FlavorNotFound', message: `ResourceFlavor ${missing.join(', ')} not found: workloads needing ${missing.length > 1 ? 'them' : 'it'} cannot be admitted` };
  const next: ClusterQueueStatus = {
    usageTable: usageTable(usage),
    usage,
    flavorsUsage,
    pendingWorkloads: counts.pending,
    reservingWorkloads: counts.admitted,
    admittedWorkloads: counts.admitted,
    observedGeneration: generation,
    conditions: setCondition(cur?.conditions, active, now),
  };
  return cur && canonicalEqual(cur, next) ? undefined : next;
}

/** Aligned text lines: FLAVOR RESOURCE USED QUOTA BORROWED LENT AVAILABLE. */
export function usageTable(rows: { flavor: string; resource: string; used: string; nominalQuota: string; borrowed: string; lent?: string; available?: string }[]): string[] {
  const table = [['FLAVOR', 'RESOURCE', 'USED', 'QUOTA', 'BORROWED', 'LENT', 'AVAILABLE'], ...rows.map((r) => [r.flavor, r.resource, r.used, r.nominalQuota, r.borrowed, r.lent ?? '', r.available ?? ''])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

/** Next LocalQueue status, or undefined when unchanged. */
export function localQueueStatus(cur: LocalQueueStatus | undefined, clusterQueue: string, cqExists: boolean, counts: QueueCounts, generation: number, now: string): LocalQueueStatus | undefined {
  const active = cqExists
    ? { type: 'Active', status: 'True' as const, reason: 'Ready', message: `Workloads go to ClusterQueue ${clusterQueue}` }
    : { type: 'Active', status: 'False' as const, reason: 'ClusterQueueDoesNotExist', message: `ClusterQueue ${clusterQueue} does not exist` };
  const next: LocalQueueStatus = {
    pendingWorkloads: counts.pending,
    reservingWorkloads: counts.admitted,
    admittedWorkloads: counts.admitted,
    observedGeneration: generation,
    conditions: setCondition(cur?.conditions, active, now),
  };
  return cur && canonicalEqual(cur, next) ? undefined : next;
}
