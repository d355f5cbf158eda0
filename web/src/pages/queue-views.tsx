/** Queues: ClusterQueue usage against quota by flavor, LocalQueues, Workloads with their pending reasons. */
import type { KubeObject } from '../api/client.js';
import { registerHealth } from '../state/health.js';
import { EmptyState } from '../ui/common.js';
import { KIND_VIEWS } from './kind-views.js';

interface UsageRow { flavor: string; resource: string; nominalQuota: string; used: string; borrowed: string; borrowingLimit?: string; available?: string }
interface Pending { reason: string; message: string; position?: number; clusterQueue?: string; estimatedStart?: string }
interface WorkloadStatus { admission?: { clusterQueue: string }; pending?: Pending; priority?: number; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }

const SUFFIX: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** A Kubernetes quantity ("500m", "4Gi", "2") as a number. */
export function quantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return Number(q) || 0;
  return Number(m[1]) * (SUFFIX[m[2]] ?? 1);
}

/** A number back as a readable quantity: memory in Gi/Mi, others as plain numbers. */
export function formatQuantity(n: number, resource: string): string {
  const r = (x: number) => String(Math.round(x * 100) / 100);
  if (/memory|storage/.test(resource) && n >= 1024 ** 2) return n >= 1024 ** 3 ? `${r(n / 1024 ** 3)}Gi` : `${r(n / 1024 ** 2)}Mi`;
  return n === 0 ? '0' : r(n);
}

function workloadPhase(o: KubeObject): 'Pending' | 'Admitted' | 'Evicting' | 'Finished' {
  const st = o.status as WorkloadStatus | undefined;
  const c = (t: string) => st?.conditions?.find((x) => x.type === t);
  if (c('Finished')?.status === 'True') return 'Finished';
  if (st?.admission && c('Evicted')?.status === 'True') return 'Evicting';
  if (st?.admission && c('QuotaReserved')?.status === 'True') return 'Admitted';
  return 'Pending';
}

registerHealth('Workload', (o) => {
  const st = o.status as WorkloadStatus | undefined;
  const phase = workloadPhase(o);
  if (phase === 'Finished') {
    const f = st?.conditions?.find((x) => x.type === 'Finished');
    return { health: /fail/i.test(f?.reason ?? '') ? 'failing' : 'ok', label: 'Finished', message: f?.message };
  }
  if (phase === 'Admitted') return { health: 'ok', label: 'Admitted', message: `admitted by ${st?.admission?.clusterQueue ?? '?'}` };
  if (phase === 'Evicting') return { health: 'progressing', label: 'Evicting' };
  const p = st?.pending;
  return { health: /inadmissible|notfound|invalid/i.test(p?.reason ?? '') ? 'failing' : 'progressing', label: p?.position ? `Pending #${p.position}` : 'Pending', message: p ? `${p.reason}: ${p.message}` : 'waiting for the queue' };
});

/** One bar: used of quota, with borrowing shown beyond 100%. */
export function UsageBar({ row }: { row: UsageRow }) {
  const quota = quantity(row.nominalQuota);
  const used = quantity(row.used);
  const pct = quota > 0 ? (used / quota) * 100 : used > 0 ? 100 : 0;
  return (
    <div>
      <div className="row small" style={{ justifyContent: 'space-between' }}>
        <span>{row.flavor} · {row.resource}</span>
        <span>{formatQuantity(used, row.resource)} of {formatQuantity(quota, row.resource)}{quantity(row.borrowed) > 0 ? ` (borrowing ${formatQuantity(quantity(row.borrowed), row.resource)})` : ''}</span>
      </div>
      <div className="bar" role="meter" aria-label={`${row.flavor} ${row.resource} used`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)}>
        <span className={pct > 100 ? 'over' : undefined} style={{ width: `${Math.min(100, pct)}%` }} />
      </div>
    </div>
  );
}

/** Usage rows of ClusterQueues summed by flavor and resource (the overview's capacity panel). */
export function capacityByFlavor(queues: KubeObject[]): UsageRow[] {
  const sum = new Map<string, { row: UsageRow; q: number; u: number; b: number }>();
  for (const cq of queues) {
    for (const r of ((cq.status as { usage?: UsageRow[] } | undefined)?.usage ?? [])) {
      const k = `${r.flavor}\u0000${r.resource}`;
      const s = sum.get(k) ?? { row: { ...r }, q: 0, u: 0, b: 0 };
      s.q += quantity(r.nominalQuota);
      s.u += quantity(r.used);
      s.b += quantity(r.borrowed);
      sum.set(k, s);
    }
  }
  return [...sum.values()]
    .filter(({ q, u }) => q > 0 || u > 0)
    .map(({ row, q, u, b }) => ({ ...row, nominalQuota: formatQuantity(q, row.resource), used: formatQuantity(u, row.resource), borrowed: formatQuantity(b, row.resource) }));
}

KIND_VIEWS.ClusterQueue = {
  columns: [
    { header: 'Cohort', value: (o) => String(o.spec?.cohort ?? '') },
    { header: 'Pending', value: (o) => String((o.status as { pendingWorkloads?: number } | undefined)?.pendingWorkloads ?? 0) },
    { header: 'Admitted', value: (o) => String((o.status as { admittedWorkloads?: number } | undefined)?.admittedWorkloads ?? 0) },
    { header: 'Usage', value: (o) => ((o.status as { usage?: UsageRow[] } | undefined)?.usage ?? []).map((r) => `${r.resource} ${r.used}/${r.nominalQuota}`).join(' · '), wide: true },
  ],
  Summary: ({ object }) => {
    const rows = (object.status as { usage?: UsageRow[] } | undefined)?.usage ?? [];
    return (
      <div className="panel">
        <h2>Usage against quota</h2>
        {rows.length ? <div style={{ display: 'grid', gap: '.6rem' }}>{rows.map((r) => <UsageBar key={`${r.flavor}/${r.resource}`} row={r} />)}</div> : <EmptyState title="No usage reported yet">The queue controller reports usage once the queue has resource groups and admits work.</EmptyState>}
      </div>
    );
  },
  template: () => `apiVersion: capstan.dev/v1alpha1
kind: ClusterQueue
metadata:
  name: team-a
spec:
  cohort: all
  resourceGroups:
    - coveredResources: [cpu, memory]
      flavors:
        - name: default
          resources:
            - name: cpu
              nominalQuota: "8"
            - name: memory
              nominalQuota: 32Gi
`,
};

KIND_VIEWS.LocalQueue = {
  columns: [
    { header: 'Cluster queue', value: (o) => String(o.spec?.clusterQueue ?? '') },
    { header: 'Pending', value: (o) => String((o.status as { pendingWorkloads?: number } | undefined)?.pendingWorkloads ?? 0) },
    { header: 'Admitted', value: (o) => String((o.status as { admittedWorkloads?: number } | undefined)?.admittedWorkloads ?? 0) },
  ],
  template: (project) => `apiVersion: capstan.dev/v1alpha1
kind: LocalQueue
metadata:
  name: default
  namespace: ${project}
spec:
  clusterQueue: team-a
`,
};

KIND_VIEWS.Workload = {
  columns: [
    { header: 'Queue', value: (o) => String(o.spec?.queueName ?? '') },
    { header: 'Position', value: (o) => { const p = (o.status as WorkloadStatus | undefined)?.pending; return workloadPhase(o) === 'Pending' && p?.position ? String(p.position) : ''; } },
    { header: 'Admitted by', value: (o) => (o.status as WorkloadStatus | undefined)?.admission?.clusterQueue ?? '', wide: true },
    { header: 'Estimated start', value: (o) => (workloadPhase(o) === 'Pending' ? (o.status as WorkloadStatus | undefined)?.pending?.estimatedStart ?? '' : ''), wide: true },
  ],
  sort: (a, b) => {
    const rank = (o: KubeObject) => ({ Pending: 0, Evicting: 1, Admitted: 2, Finished: 3 })[workloadPhase(o)];
    const pa = (a.status as WorkloadStatus | undefined)?.pending?.position ?? 1e9;
    const pb = (b.status as WorkloadStatus | undefined)?.pending?.position ?? 1e9;
    return rank(a) - rank(b) || pa - pb || a.metadata.name.localeCompare(b.metadata.name);
  },
  emptyHint: <p>Workloads are made for you from training jobs; each waits in its project's LocalQueue until its ClusterQueue has quota.</p>,
};
