// Label selectors, node selectors and taint toleration, as Kubernetes defines them.
import type { LabelSelector, Taint, Toleration } from './types.js';

/** Whether labels satisfy a Kubernetes label selector (unset/empty selector matches everything). */
export function matchesLabelSelector(labels: Record<string, string> | undefined, sel: LabelSelector | undefined): boolean {
  if (!sel) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && (!has || !vals.includes(l[e.key]))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(l[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** Whether node labels contain every key=value of a nodeSelector. */
export function matchesNodeSelector(labels: Record<string, string> | undefined, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  for (const k in selector) if (l[k] !== selector[k]) return false;
  return true;
}

/** Whether two label maps disagree on a shared key (a flavor's nodeLabels vs a pod's nodeSelector). */
export function labelsConflict(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  if (!a || !b) return false;
  for (const k in b) if (k in a && a[k] !== b[k]) return true;
  return false;
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key === undefined || t.key === '') return t.operator === 'Exists';
  if (t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/** Whether tolerations cover every scheduling-relevant taint (PreferNoSchedule never blocks). */
export function toleratesAll(taints: Taint[] | undefined, tolerations: Toleration[] | undefined): boolean {
  return untoleratedTaint(taints, tolerations) === undefined;
}

/** The first scheduling-relevant taint the tolerations do not cover, if any. */
export function untoleratedTaint(taints: Taint[] | undefined, tolerations: Toleration[] | undefined): Taint | undefined {
  if (!taints || taints.length === 0) return undefined;
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSchedule') continue;
    let ok = false;
    for (const t of tolerations ?? []) if (tolerates(t, taint)) { ok = true; break; }
    if (!ok) return taint;
  }
  return undefined;
}

/** A taint as kubectl prints it: key=value:Effect (key:Effect without a value). */
export function formatTaint(t: Taint): string {
  return `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
}

/** A nodeSelector as key=value pairs joined by commas. */
export function formatSelector(sel: Record<string, string>): string {
  return Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
}
