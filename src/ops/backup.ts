/**
 * `capstan backup create`: a consistent snapshot of the store (one read transaction) streamed as
 * gzip'd JSON lines into the target's blob store, then the artifact blobs its ModelVersions
 * reference (only those the target lacks: incremental), then the manifest, written last, so a
 * backup that failed half-way is never listed.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { BlobStore } from '../artifacts/blob-store.js';
import { isArtifactError } from '../artifacts/errors.js';
import type { StorageBackend } from '../store/backend.js';
import { CAPSTAN_VERSION } from '../api/version.js';
import { BACKUP_FORMAT, renderManifest, referencedDigests, type BackupManifest, type BackupManifestBody } from './backup-manifest.js';
import type { BackupTarget } from './backup-target.js';
import { SNAPSHOT_HEADER, projectFilter, type SnapshotHeader } from './snapshot-lines.js';

/** Options of createBackup. */
export interface CreateBackupOptions {
  backend: StorageBackend;
  /** The platform's artifact blob store (absent: an objects-only backup). */
  artifacts?: BlobStore;
  target: BackupTarget;
  now: Date;
  /** Only this project's objects (and its Project), for a project export. */
  project?: string;
  /** The BackupSchedule that asked, recorded for its retention. */
  schedule?: string;
  id?: string;
  log?: Logger;
}

/** A fresh backup id: UTC time to the second plus a random suffix, so ids sort by time. */
export function newBackupId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** Takes a backup and returns its manifest. */
export async function createBackup(o: CreateBackupOptions): Promise<BackupManifest> {
  await o.target.check();
  const id = o.id ?? newBackupId(o.now);
  const keep = o.project ? projectFilter(o.project) : () => true;
  const digests = new Set<string>();
  const byResource: Record<string, number> = {};
  let objects = 0;
  const snap = await o.backend.exportSnapshot();
  let stored: { sha256: string; size: number };
  try {
    const header: SnapshotHeader = { format: SNAPSHOT_HEADER, rv: snap.rv, schemaVersion: snap.schemaVersion, meta: o.project ? [] : snap.meta };
    const lines = async function* () {
      yield `${JSON.stringify(header)}\n`;
      for await (const page of snap.rows()) {
        let chunk = '';
        for (const r of page) {
          if (!keep(r)) continue;
          objects++;
          byResource[r.resource] = (byResource[r.resource] ?? 0) + 1;
          if (r.resource.endsWith('/modelversions')) for (const d of referencedDigests(JSON.parse(r.data))) digests.add(d);
          chunk += `${JSON.stringify({ r: r.resource, ns: r.namespace, n: r.name, rv: r.rv, d: r.data })}\n`;
        }
        if (chunk) yield chunk;
      }
    };
    stored = await o.target.blobs.put(Readable.from(lines()).pipe(createGzip({ level: 6 })));
  } finally {
    await snap.close();
  }

  const blobs: Array<{ sha256: string; size: number }> = [];
  const missingBlobs: string[] = [];
  let copiedBlobs = 0;
  let copiedBytes = 0;
  for (const d of [...digests].sort()) {
    // No artifact store: an objects-only backup (the pre-upgrade one: migrations never touch blobs).
    if (!o.artifacts) continue;
    let size: number;
    try {
      size = (await o.artifacts.stat(d)).size;
    } catch (err) {
      if (isArtifactError(err, 'NotFound')) {
        missingBlobs.push(d);
        o.log?.warn({ sha256: d }, 'backup: a referenced artifact blob is missing from the artifact store');
        continue;
      }
      throw err;
    }
    blobs.push({ sha256: d, size });
    if (await o.target.blobs.has(d)) continue;
    // expectedSha256: the copy is verified on the way, a damaged source blob fails the backup.
    await o.target.blobs.put(await o.artifacts.get(d), { expectedSha256: d, expectedSize: size });
    copiedBlobs++;
    copiedBytes += size;
  }

  const body: BackupManifestBody = {
    format: BACKUP_FORMAT,
    id,
    createdAt: o.now.toISOString(),
    capstanVersion: CAPSTAN_VERSION,
    schemaVersion: snap.schemaVersion,
    source: o.backend.name,
    ...(o.project ? { project: o.project } : {}),
    ...(o.schedule ? { schedule: o.schedule } : {}),
    rv: snap.rv,
    snapshot: { sha256: stored.sha256, size: stored.size, objects, byResource },
    blobs,
    missingBlobs,
    copiedBlobs,
    copiedBytes,
  };
  const text = renderManifest(body);
  await o.target.putManifest(id, text);
  return JSON.parse(text) as BackupManifest;
}
