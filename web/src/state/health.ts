/** Reads an object's conditions into one health verdict, so lists can put failing things first. */
import type { KubeObject } from '../api/client.js';

/** A status condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The verdict, most urgent first when sorted by `rank`. */
export type Health = 'failing' | 'progressing' | 'ok' | 'unknown';

/** Sort order: failing first. */
export const HEALTH_RANK: Record<Health, number> = { failing: 0, progressing: 1, unknown: 2, ok: 3 };

const SUMMARY_TYPES = ['Ready', 'Succeeded', 'Available', 'Admitted', 'Active'];
const WAITING = /pend|progress|wait|creat|start|load|scal|queue|reconcil|deploy|admit|init|provision|roll/i;
const BAD_PHASES = /^(failed|error|crashloop|degraded)/i;
const GOOD_PHASES = /^(active|running|succeeded|ready|complete|completed|bound|available|admitted)$/i;

/** The object's conditions (empty when it has none). */
export function conditionsOf(o: KubeObject): Condition[] {
  const c = (o.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

/** A verdict with its short label and the sentence that explains it. */
export interface HealthVerdict {
  health: Health;
  label: string;
  message?: string;
}

const overrides = new Map<string, (o: KubeObject) => HealthVerdict | undefined>();

/** Lets a kind read its own status (e.g. a pending Workload is waiting, not failing). */
export function registerHealth(kind: string, fn: (o: KubeObject) => HealthVerdict | undefined): void {
  overrides.set(kind, fn);
}

/** The health and a short label plus the sentence that explains it. */
export function healthOf(o: KubeObject): HealthVerdict {
  if (o.metadata.deletionTimestamp) return { health: 'progressing', label: 'Deleting' };
  const own = o.kind ? overrides.get(o.kind)?.(o) : undefined;
  if (own) return own;
  const conds = conditionsOf(o);
  const failed = conds.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed) return { health: 'failing', label: failed.reason || 'Failed', message: failed.message };
  const phase = String((o.status as { phase?: unknown } | undefined)?.phase ?? '');
  if (phase && BAD_PHASES.test(phase)) return { health: 'failing', label: phase, message: conds.find((c) => c.status === 'False')?.message };
  const summary = SUMMARY_TYPES.map((t) => conds.find((c) => c.type === t)).find(Boolean) ?? conds[0];
  if (summary) {
    if (summary.status === 'True') return { health: 'ok', label: phase || summary.type, message: summary.message };
    if (summary.status === 'Unknown' || WAITING.test(summary.reason ?? '')) return { health: 'progressing', label: summary.reason || phase || `Not ${summary.type}`, message: summary.message };
    return { health: 'failing', label: summary.reason || `Not ${summary.type}`, message: summary.message };
  }
  if (phase) return { health: GOOD_PHASES.test(phase) ? 'ok' : 'progressing', label: phase };
  if (o.kind === 'Event') {
    const t = String(o.type ?? 'Normal');
    return { health: t === 'Warning' ? 'failing' : 'ok', label: t };
  }
  return { health: 'unknown', label: '—' };
}

/** "3m", "2h", "5d": how long ago an ISO time was, relative to `now`. */
export function age(iso: string | undefined, now: number): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '—';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
