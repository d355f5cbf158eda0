/**
 * `capstan backup restore|verify|list` and retention. A restore checks the manifest (format,
 * checksum, schema version) and that every blob is present before it writes anything; artifact
 * blobs are copied verified (sha256), the objects are imported in one transaction that also
 * checks the snapshot's digest and count, and on any failure the blobs it added are removed:
 * nothing is left half-restored.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { BlobStore } from '../artifacts/blob-store.js';
import { isArtifactError } from '../artifacts/errors.js';
import type { StorageBackend, WriteOp } from '../store/backend.js';
import { STORE_SCHEMA_VERSION, type SnapshotRow } from '../store/store-ops.js';
import { BackupError, backupsToPrune, parseManifest, type BackupManifest } from './backup-manifest.js';
import type { BackupTarget } from './backup-target.js';
import { projectFilter, readSnapshot } from './snapshot-lines.js';

/** Reads and checks one manifest; `latest` picks the newest. */
export async function loadManifest(target: BackupTarget, id: string): Promise<BackupManifest> {
  let chosen = id;
  if (id === 'latest') {
    const ids = await target.listManifests();
    if (ids.length === 0) throw new BackupError('NotFound', `no backups in ${target.description}`);
    chosen = ids[ids.length - 1];
  }
  const m = parseManifest(await target.getManifest(chosen), `${target.description} backup "${chosen}"`);
  if (m.schemaVersion > STORE_SCHEMA_VERSION) {
    throw new BackupError('NewerVersion', `backup "${m.id}" was taken by Capstan ${m.capstanVersion} at store schema ${m.schemaVersion}; this binary supports up to ${STORE_SCHEMA_VERSION}: upgrade Capstan to restore it`);
  }
  return m;
}

async function requireBlobs(target: BackupTarget, m: BackupManifest): Promise<void> {
  for (const b of [m.snapshot, ...m.blobs]) {
    let size: number;
    try {
      size = (await target.blobs.stat(b.sha256)).size;
    } catch (err) {
      if (isArtifactError(err, 'NotFound')) throw new BackupError('Corrupt', `backup "${m.id}": blob ${b.sha256} is missing from ${target.description}`);
      throw err;
    }
    if (size !== b.size) throw new BackupError('Corrupt', `backup "${m.id}": blob ${b.sha256} is ${size} bytes, the manifest says ${b.size} (truncated?)`);
  }
}

/** Options of restoreBackup. */
export interface RestoreOptions {
  target: BackupTarget;
  id: string;
  backend: StorageBackend;
  /** Where artifact blobs go (the restored platform's artifact store). */
  artifacts?: BlobStore;
  /** Restore only this project (from a platform or a project backup) into a store that lacks it. */
  project?: string;
  log?: Logger;
}

/** What a restore did. */
export interface RestoreResult {
  id: string;
  objects: number;
  blobsCopied: number;
  bytesCopied: number;
}

/** Restores a backup; see the file comment for the guarantees. */
export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  const m = await loadManifest(o.target, o.id);
  const project = o.project ?? m.project;
  if (!project) {
    const n = await o.backend.countObjects();
    if (n > 0) throw new BackupError('TargetNotEmpty', `restore target is not empty (${n} objects): restore a whole platform only into an empty data dir or database`);
  } else if (o.project && m.project && o.project !== m.project) {
    throw new BackupError('Invalid', `backup "${m.id}" holds project "${m.project}", not "${o.project}"`);
  } else {
    const keys = await o.backend.listNamespace(project);
    const proj = await o.backend.get({ resource: 'capstan.dev/projects', namespace: '', name: project });
    if (keys.length > 0 || proj) throw new BackupError('TargetNotEmpty', `project "${project}" already exists in the restore target (${keys.length} objects): delete it first`);
  }
  await requireBlobs(o.target, m);

  const added: string[] = [];
  let bytesCopied = 0;
  try {
    if (o.artifacts) {
      for (const b of m.blobs) {
        if (await o.artifacts.has(b.sha256)) continue;
        try {
          const r = await o.artifacts.put(await o.target.blobs.get(b.sha256), { expectedSha256: b.sha256, expectedSize: b.size });
          if (r.created) added.push(b.sha256);
        } catch (err) {
          if (isArtifactError(err, 'DigestMismatch') || isArtifactError(err, 'SizeMismatch')) {
            throw new BackupError('Corrupt', `backup "${m.id}": artifact blob ${b.sha256} is damaged in ${o.target.description}: ${(err as Error).message}`);
          }
          throw err;
        }
        bytesCopied += b.size;
      }
    }
    const where = `${o.target.description} backup "${m.id}"`;
    const { header, rows } = await readSnapshot(await o.target.blobs.get(m.snapshot.sha256), m.snapshot, where);
    let objects: number;
    if (!project) {
      objects = (await o.backend.importSnapshot({ rv: header.rv, meta: header.meta, rows })).objects;
    } else {
      objects = await importProject(o.backend, rows, project);
    }
    o.log?.info({ id: m.id, objects, blobsCopied: added.length }, 'backup restored');
    return { id: m.id, objects, blobsCopied: added.length, bytesCopied };
  } catch (err) {
    if (o.artifacts) for (const d of added) await o.artifacts.delete(d).catch(() => false);
    throw err;
  }
}

/**
 * One project's objects into a live store: read completely (and verified) first, then written
 * as one commit (one transaction on both backends); any refused write undoes the others.
 */
async function importProject(backend: StorageBackend, rows: AsyncIterable<SnapshotRow[]>, project: string): Promise<number> {
  const keep = projectFilter(project);
  const ops: WriteOp[] = [];
  for await (const page of rows) {
    for (const r of page) if (keep(r)) ops.push({ type: 'create', key: { resource: r.resource, namespace: r.namespace, name: r.name }, object: JSON.parse(r.data) });
  }
  if (ops.length === 0) throw new BackupError('NotFound', `the backup holds no objects of project "${project}"`);
  const results = await backend.commit(ops);
  const failed = results.findIndex((r) => !r.ok);
  if (failed >= 0) {
    const undo: WriteOp[] = [];
    results.forEach((r, i) => {
      if (r.ok) undo.push({ type: 'delete', key: ops[i].key, expectedRv: r.rv });
    });
    if (undo.length) await backend.commit(undo);
    const r = results[failed] as { reason: string };
    throw new BackupError('TargetNotEmpty', `project restore undone: ${ops[failed].key.resource} ${ops[failed].key.namespace}/${ops[failed].key.name}: ${r.reason}`);
  }
  return ops.length;
}

/** What verify found. */
export interface VerifyResult {
  id: string;
  objects: number;
  blobs: number;
  bytes: number;
}

/** Checks a backup end to end: manifest, snapshot digest and count, and every blob's digest (re-read). */
export async function verifyBackup(target: BackupTarget, id: string): Promise<VerifyResult> {
  const m = await loadManifest(target, id);
  await requireBlobs(target, m);
  const where = `${target.description} backup "${m.id}"`;
  const { rows } = await readSnapshot(await target.blobs.get(m.snapshot.sha256), m.snapshot, where);
  let objects = 0;
  for await (const page of rows) {
    for (const r of page) {
      try {
        JSON.parse(r.data);
      } catch {
        throw new BackupError('Corrupt', `${where}: object ${r.resource} ${r.namespace}/${r.name} is not JSON`);
      }
    }
    objects += page.length;
  }
  let bytes = m.snapshot.size;
  for (const b of m.blobs) {
    const h = createHash('sha256');
    for await (const chunk of await target.blobs.get(b.sha256)) h.update(chunk as Buffer);
    if (h.digest('hex') !== b.sha256) throw new BackupError('Corrupt', `${where}: blob ${b.sha256} does not hash to its name (damaged)`);
    bytes += b.size;
  }
  return { id: m.id, objects, blobs: m.blobs.length, bytes };
}

/** Every backup in a target, newest last; unreadable manifests are listed with their error. */
export async function listBackups(target: BackupTarget): Promise<Array<{ id: string; manifest?: BackupManifest; error?: string }>> {
  const out: Array<{ id: string; manifest?: BackupManifest; error?: string }> = [];
  for (const id of await target.listManifests()) {
    try {
      out.push({ id, manifest: parseManifest(await target.getManifest(id), id) });
    } catch (err) {
      out.push({ id, error: (err as Error).message });
    }
  }
  return out;
}

/**
 * Applies a retention policy to one schedule's backups, then deletes blobs no remaining manifest
 * references and that are older than `graceMs` (a backup being written has blobs but no manifest yet).
 */
export async function pruneBackups(
  target: BackupTarget,
  policy: { schedule?: string; keepLast?: number; maxAgeMs?: number; graceMs?: number },
  now: Date,
): Promise<{ deleted: string[]; blobsDeleted: number }> {
  const all = await listBackups(target);
  const mine = all.filter((b) => b.manifest && (policy.schedule === undefined || b.manifest.schedule === policy.schedule));
  const drop = backupsToPrune(mine.map((b) => ({ id: b.id, createdAt: b.manifest!.createdAt })), policy, now.getTime());
  for (const id of drop) await target.deleteManifest(id);
  if (drop.length === 0) return { deleted: [], blobsDeleted: 0 };
  const live = new Set<string>();
  // Unreadable manifests keep everything: never delete what a damaged manifest might still name.
  if (all.some((b) => b.error)) return { deleted: drop, blobsDeleted: 0 };
  for (const b of all) {
    if (!b.manifest || drop.includes(b.id)) continue;
    live.add(b.manifest.snapshot.sha256);
    for (const x of b.manifest.blobs) live.add(x.sha256);
  }
  let blobsDeleted = 0;
  const graceMs = policy.graceMs ?? 3_600_000;
  for await (const info of target.blobs.list()) {
    if (live.has(info.sha256) || now.getTime() - info.mtime.getTime() < graceMs) continue;
    if (await target.blobs.delete(info.sha256)) blobsDeleted++;
  }
  return { deleted: drop, blobsDeleted };
}
