/** Pure helpers for status conditions: transitions keep their time unless the status flips. */
import type { Condition } from './meta.js';

/** Returns a new list with `next` set; lastTransitionTime moves only when `status` changes. */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition, now: string): Condition[] {
  const list = conditions ? [...conditions] : [];
  const i = list.findIndex((c) => c.type === next.type);
  const prev = i >= 0 ? list[i] : undefined;
  const merged: Condition = {
    ...next,
    lastTransitionTime: prev && prev.status === next.status ? (prev.lastTransitionTime ?? now) : now,
  };
  if (i >= 0) list[i] = merged;
  else list.push(merged);
  return list;
}

/** The condition of a type, if present. */
export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition of that type has status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}
