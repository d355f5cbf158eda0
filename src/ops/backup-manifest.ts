/**
 * A backup's manifest: what it holds (store snapshot blob, artifact blobs), where it came from
 * (versions, resourceVersion) and a checksum over itself, so a truncated or edited manifest is
 * caught before anything is restored. Pure: no I/O, no clock.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../store/canonical-json.js';

/** The format string every manifest carries. */
export const BACKUP_FORMAT = 'capstan-backup/1';

const sha = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest');
const blobRef = z.object({ sha256: sha, size: z.number().int().min(0) }).strict();

const manifestBody = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    id: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
    createdAt: z.string(),
    capstanVersion: z.string(),
    /** The store schema the snapshot was taken at (a restore refuses a newer one than it knows). */
    schemaVersion: z.number().int().min(0),
    /** Backend the snapshot came from ("sqlite", "postgres"); the format itself is the same for both. */
    source: z.string(),
    /** One project's objects only, or the whole platform. */
    project: z.string().optional(),
    /** The schedule that made it, for its retention. */
    schedule: z.string().optional(),
    rv: z.number().int().min(0),
    /** The gzip'd JSON-lines snapshot, stored as a blob like the artifacts. */
    snapshot: blobRef.extend({ objects: z.number().int().min(0), byResource: z.record(z.string(), z.number().int()) }).strict(),
    /** Artifact blobs referenced by the snapshot's ModelVersions. */
    blobs: z.array(blobRef),
    /** Referenced blobs the source store did not have (recorded, not fatal). */
    missingBlobs: z.array(sha).default([]),
    /** How many artifact blobs this backup copied (the rest were already in the target). */
    copiedBlobs: z.number().int().min(0),
    copiedBytes: z.number().int().min(0),
  })
  .strict();

/** A manifest without its checksum. */
export type BackupManifestBody = z.infer<typeof manifestBody>;
/** A manifest as stored. */
export type BackupManifest = BackupManifestBody & { checksum: string };

/** A backup that cannot be used, with a message that says why. */
export class BackupError extends Error {
  constructor(readonly reason: 'Corrupt' | 'NewerVersion' | 'NotFound' | 'TargetNotEmpty' | 'Unreachable' | 'Invalid', message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** sha256 over the canonical JSON of the body. */
export function manifestChecksum(body: BackupManifestBody): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The stored text of a manifest (pretty, with its checksum last). */
export function renderManifest(body: BackupManifestBody): string {
  return `${JSON.stringify({ ...body, checksum: manifestChecksum(body) }, null, 2)}\n`;
}

/** Parses and checks a stored manifest; a corrupt, truncated or edited one is a BackupError naming the problem. */
export function parseManifest(text: string, where: string): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BackupError('Corrupt', `${where}: manifest is not valid JSON (truncated?): ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object') throw new BackupError('Corrupt', `${where}: manifest is not an object`);
  const { checksum, ...rest } = raw as Record<string, unknown>;
  if (typeof rest.format === 'string' && rest.format !== BACKUP_FORMAT) {
    throw new BackupError(/^capstan-backup\/\d+$/.test(rest.format) ? 'NewerVersion' : 'Corrupt', `${where}: format "${rest.format}" is not ${BACKUP_FORMAT}${/^capstan-backup\//.test(rest.format) ? ' (made by a newer Capstan: upgrade to restore it)' : ''}`);
  }
  const parsed = manifestBody.safeParse(rest);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new BackupError('Corrupt', `${where}: manifest field ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  if (typeof checksum !== 'string' || checksum !== manifestChecksum(parsed.data)) {
    throw new BackupError('Corrupt', `${where}: manifest checksum does not match its content (edited or damaged)`);
  }
  return { ...parsed.data, checksum };
}

/** Artifact digests a ModelVersion object references (its artifact and, for directories, every file). */
export function referencedDigests(obj: { spec?: unknown }): string[] {
  const a = (obj.spec as { artifact?: { sha256?: string; files?: Array<{ sha256?: string }> } } | undefined)?.artifact;
  if (!a) return [];
  const out: string[] = [];
  if (a.sha256) out.push(a.sha256);
  for (const f of a.files ?? []) if (f.sha256) out.push(f.sha256);
  return out;
}

/** Which backups a retention policy drops (pure): keep the newest `keepLast`, and none older than `maxAgeMs`. */
export function backupsToPrune(backups: Array<{ id: string; createdAt: string }>, policy: { keepLast?: number; maxAgeMs?: number }, nowMs: number): string[] {
  const sorted = [...backups].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return sorted
    .filter((b, i) => (policy.keepLast !== undefined && i >= policy.keepLast) || (policy.maxAgeMs !== undefined && nowMs - Date.parse(b.createdAt) > policy.maxAgeMs))
    .map((b) => b.id);
}
