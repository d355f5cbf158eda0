import type { BlobInfo, BlobStore } from './blob-store.js';
import { ArtifactError } from './errors.js';
import { planGarbageCollection } from './gc-plan.js';
import { MANIFEST_PREFIX, looksLikeManifest } from './manifest.js';
import { readManifest } from './directory-transfer.js';

/** Options of one GC pass; `now` is passed in so runs are reproducible. */
export interface CollectGarbageOptions {
  graceMs: number;
  now: Date;
  /** Also keep the files listed by referenced manifests (default true). */
  expandManifests?: boolean;
  /** Plan and report without deleting. */
  dryRun?: boolean;
}

/** What one GC pass did. */
export interface CollectGarbageResult {
  deleted: string[];
  keptYoung: string[];
  keptReferenced: number;
  bytesFreed: number;
  /** Leftover temp files/uploads of interrupted puts removed. */
  tempRemoved: number;
  /** Referenced digests that are not in the store (a registry inconsistency worth reporting). */
  missingReferenced: string[];
}

/**
 * Returns `referenced` plus every file listed by a referenced manifest. A manifest is recognised by
 * its first bytes, so only a small range of each referenced blob is read. Errors other than
 * NotFound abort: guessing wrong here would delete the files of a live model.
 */
export async function expandManifestReferences(
  store: BlobStore,
  referenced: ReadonlySet<string>,
): Promise<{ all: Set<string>; missing: string[] }> {
  const all = new Set(referenced);
  const missing: string[] = [];
  for (const sha of referenced) {
    let head: Buffer;
    try {
      const chunks: Buffer[] = [];
      const { size } = await store.stat(sha);
      if (size < MANIFEST_PREFIX.length) continue;
      for await (const c of await store.get(sha, { start: 0, end: MANIFEST_PREFIX.length - 1 })) chunks.push(c as Buffer);
      head = Buffer.concat(chunks);
    } catch (err) {
      if (err instanceof ArtifactError && err.code === 'NotFound') {
        missing.push(sha);
        continue;
      }
      throw err;
    }
    if (!looksLikeManifest(head)) continue;
    try {
      for (const f of (await readManifest(store, sha)).files) all.add(f.sha256);
    } catch (err) {
      // a blob that merely starts like a manifest but is not one is an ordinary blob
      if (err instanceof ArtifactError && (err.code === 'InvalidManifest' || err.code === 'InvalidPath')) continue;
      throw err;
    }
  }
  return { all, missing };
}

/**
 * One GC pass (the I/O driver around planGarbageCollection): deletes blobs no version references
 * that are older than the grace period, and temp leftovers older than it. Each candidate is
 * re-checked right before deletion, so a blob re-uploaded during the pass survives.
 */
export async function collectGarbage(
  store: BlobStore,
  referenced: ReadonlySet<string>,
  opts: CollectGarbageOptions,
): Promise<CollectGarbageResult> {
  const { all, missing } = opts.expandManifests === false ? { all: new Set(referenced), missing: [] } : await expandManifestReferences(store, referenced);
  const blobs: BlobInfo[] = [];
  for await (const b of store.list()) blobs.push(b);
  const plan = planGarbageCollection(blobs, all, opts);
  const result: CollectGarbageResult = {
    deleted: [],
    keptYoung: plan.keptYoung.map((b) => b.sha256),
    keptReferenced: plan.keptReferenced,
    bytesFreed: 0,
    tempRemoved: 0,
    missingReferenced: missing,
  };
  const cutoff = new Date(opts.now.getTime() - opts.graceMs);
  for (const b of plan.delete) {
    if (!opts.dryRun) {
      const fresh = await store.stat(b.sha256).catch(() => null);
      if (fresh === null) continue;
      if (fresh.mtime.getTime() > cutoff.getTime()) {
        result.keptYoung.push(b.sha256);
        continue;
      }
      if (!(await store.delete(b.sha256))) continue;
    }
    result.deleted.push(b.sha256);
    result.bytesFreed += b.size;
  }
  if (!opts.dryRun) result.tempRemoved = await store.cleanupTemp(cutoff);
  return result;
}
