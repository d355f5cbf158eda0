import type { BlobInfo } from './blob-store.js';

/** Decision of one GC pass. */
export interface GcPlan {
  /** Unreferenced and older than the grace period. */
  delete: BlobInfo[];
  /** Unreferenced but young: probably an upload whose version is not registered yet. */
  keptYoung: BlobInfo[];
  keptReferenced: number;
}

/**
 * Decides which blobs to delete (pure): those no version references and whose mtime is at least
 * `graceMs` before `now`. A blob from the future (clock skew) counts as young.
 */
export function planGarbageCollection(
  blobs: Iterable<BlobInfo>,
  referenced: ReadonlySet<string>,
  opts: { graceMs: number; now: Date },
): GcPlan {
  const plan: GcPlan = { delete: [], keptYoung: [], keptReferenced: 0 };
  const cutoff = opts.now.getTime() - opts.graceMs;
  for (const b of blobs) {
    if (referenced.has(b.sha256)) plan.keptReferenced++;
    else if (b.mtime.getTime() > cutoff) plan.keptYoung.push(b);
    else plan.delete.push(b);
  }
  return plan;
}
