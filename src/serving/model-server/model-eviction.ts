/**
 * Which loaded models to evict so a model of `neededBytes` fits the memory budget: least recently
 * used first, never one with requests in flight or queued (its session is in use; ref-counting).
 * Pure: the manager passes what it knows and unloads what this returns.
 */

/** What eviction sees of a loaded model. */
export interface ResidentModel {
  name: string;
  bytes: number;
  /** Larger = used more recently. */
  lastUsed: number;
  /** Requests in flight or queued. */
  busy: boolean;
}

/**
 * Names to evict (LRU order), [] when it already fits, or undefined when even evicting every idle
 * model would not make room.
 */
export function chooseEvictions(resident: readonly ResidentModel[], budgetBytes: number, neededBytes: number, keep?: string): string[] | undefined {
  let used = resident.reduce((a, m) => a + m.bytes, 0);
  if (used + neededBytes <= budgetBytes) return [];
  const idle = resident.filter((m) => !m.busy && m.name !== keep).sort((a, b) => a.lastUsed - b.lastUsed);
  const out: string[] = [];
  for (const m of idle) {
    out.push(m.name);
    used -= m.bytes;
    if (used + neededBytes <= budgetBytes) return out;
  }
  return undefined;
}
