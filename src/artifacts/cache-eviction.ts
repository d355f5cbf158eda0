/** What the eviction policy knows about one cached model. */
export interface CacheEntryState {
  sha256: string;
  size: number;
  /** Logical clock of the last use; larger is more recent. */
  lastUsed: number;
  /** Active users (acquire without release); pinned entries are never evicted. */
  refs: number;
}

/**
 * LRU eviction under a total size limit (pure): evicts the least recently used unpinned entries
 * until the total fits, skipping `protect`. May leave the total above the limit when everything
 * left is pinned or protected.
 */
export function planEviction(entries: readonly CacheEntryState[], maxBytes: number, protect: ReadonlySet<string> = new Set()): string[] {
  let total = entries.reduce((s, e) => s + e.size, 0);
  if (total <= maxBytes) return [];
  const candidates = entries
    .filter((e) => e.refs === 0 && !protect.has(e.sha256))
    .sort((a, b) => a.lastUsed - b.lastUsed || (a.sha256 < b.sha256 ? -1 : 1));
  const evict: string[] = [];
  for (const e of candidates) {
    if (total <= maxBytes) break;
    evict.push(e.sha256);
    total -= e.size;
  }
  return evict;
}
