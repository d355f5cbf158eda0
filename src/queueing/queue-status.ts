/** ClusterQueue and LocalQueue statuses from the core's usage summary and workload counts. Pure. */
import { setCondition } from '../api/conditions.js';
import type { ClusterQueueSpec, ClusterQueueStatus } from '../api/kinds/cluster-queue.js';
import type { LocalQueueStatus } from '../api/kinds/local-queue.js';
import { formatQuantity } from '../scheduler/quantity.js';
import type { QueueUsageRow } from '../scheduler/usage-summary.js';
import type { PendingInfo } from '../scheduler/types.js';
import { canonicalEqual } from './status-equality.js';

/** Workload counts of a queue. */
export interface QueueCounts {
  pending: number;
  admitted: number;
}

/** Rows shown in a ClusterQueue's `pendingTable`. */
export const PENDING_TABLE_ROWS = 10;

/**
 * The head of a ClusterQueue as aligned lines: POSITION WORKLOAD REASON ESTIMATED START. The
 * estimate is shown to the minute so the status is not rewritten for every second it drifts.
 */
export function pendingTable(pending: readonly PendingInfo[], limit = PENDING_TABLE_ROWS): string[] {
  const rows = [...pending].filter((p) => p.position > 0).sort((a, b) => a.position - b.position).slice(0, limit);
  if (rows.length === 0) return [];
  const eta = (t: number | undefined) => (t === undefined ? '-' : `${new Date(Math.floor(t / 60_000) * 60_000).toISOString().slice(0, 16)}Z`);
  const table = [['POSITION', 'WORKLOAD', 'REASON', 'ESTIMATED START'], ...rows.map((p) => [String(p.position), `${p.namespace}/${p.name}`, p.reason, eta(p.estimatedStart)])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
}

/** Next ClusterQueue status (usage table, Kueue's flavorsUsage, counts, head of the queue, Active), or undefined when unchanged. */
export function clusterQueueStatus(
  cur: ClusterQueueStatus | undefined,
  spec: ClusterQueueSpec,
  rows: QueueUsageRow[],
  counts: QueueCounts,
  knownFlavors: ReadonlySet<string>,
  generation: number,
  now: string,
  pending: readonly PendingInfo[] = [],
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
  const head = pendingTable(pending);
  if (head.length > 0) next.pendingTable = head;
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
