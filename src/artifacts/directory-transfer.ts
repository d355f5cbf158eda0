import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store.js';
import { assertSha256 } from './digest.js';
import { DigestGuard } from './digest-guard.js';
import { ArtifactError, artifactErrorFromIo } from './errors.js';
import {
  MAX_MANIFEST_BYTES,
  normaliseMode,
  parseManifest,
  serializeManifest,
  validateManifestPath,
  type Manifest,
  type ManifestFile,
} from './manifest.js';

/** What putDirectory stored. */
export interface PutDirectoryResult {
  /** Digest of the manifest blob: the one identity of the whole directory. */
  manifestSha256: string;
  files: ManifestFile[];
  /** Sum of the file sizes (the manifest itself excluded). */
  totalSize: number;
}

/** Limits for directory transfers. */
export interface DirectoryOptions {
  signal?: AbortSignal;
  /** Largest single file accepted. */
  maxFileBytes?: number;
}

/** Walks `dir` (sorted, deterministic); symlinks and special files are refused since they could point outside. */
async function walk(dir: string, rel: string, out: { rel: string; abs: string }[]): Promise<void> {
  const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) await walk(dir, r, out);
    else if (e.isFile()) out.push({ rel: r, abs: path.join(dir, r) });
    else throw new ArtifactError('InvalidPath', `${r} is not a regular file or directory (symlinks are not stored)`, { field: 'path' });
  }
}

/** Stores every file of `dir` as a blob, then the manifest listing them; returns the manifest digest. */
export async function putDirectory(store: BlobStore, dir: string, opts: DirectoryOptions = {}): Promise<PutDirectoryResult> {
  const found: { rel: string; abs: string }[] = [];
  try {
    await walk(path.resolve(dir), '', found);
  } catch (err) {
    throw artifactErrorFromIo(err, `reading directory ${dir}`);
  }
  const files: ManifestFile[] = [];
  let totalSize = 0;
  for (const f of found) {
    validateManifestPath(f.rel);
    const st = await fsp.stat(f.abs);
    // expectedSize catches a file that changes while it is read
    const r = await store.put(fs.createReadStream(f.abs), { expectedSize: st.size, maxBytes: opts.maxFileBytes, signal: opts.signal });
    files.push({ path: f.rel, sha256: r.sha256, size: r.size, mode: normaliseMode(st.mode) });
    totalSize += r.size;
  }
  const bytes = serializeManifest(files);
  const m = await store.put(Readable.from([bytes]), { signal: opts.signal });
  return { manifestSha256: m.sha256, files, totalSize };
}

/** Reads and validates the manifest stored under `manifestSha256`. */
export async function readManifest(store: BlobStore, manifestSha256: string): Promise<Manifest> {
  assertSha256(manifestSha256, 'manifestSha256');
  const { size } = await store.stat(manifestSha256);
  if (size > MAX_MANIFEST_BYTES) throw new ArtifactError('InvalidManifest', `blob ${manifestSha256} is too large to be a manifest`);
  const chunks: Buffer[] = [];
  for await (const c of await store.get(manifestSha256)) chunks.push(c as Buffer);
  return parseManifest(Buffer.concat(chunks));
}

/**
 * Recreates the directory of a manifest under `destDir`, which must not exist or be empty. Each
 * file is verified against its digest while written. On failure, a destDir this call created is
 * removed; callers wanting all-or-nothing visibility write to a temp dir and rename (ModelCache does).
 */
export async function getDirectory(store: BlobStore, manifestSha256: string, destDir: string, opts: DirectoryOptions = {}): Promise<Manifest> {
  const manifest = await readManifest(store, manifestSha256);
  const root = path.resolve(destDir);
  let created = false;
  try {
    const existing = await fsp.readdir(root).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (existing !== null && existing.length > 0) {
      throw new ArtifactError('InvalidPath', `destination ${destDir} is not empty`, { field: 'destDir' });
    }
    if (existing === null) {
      await fsp.mkdir(root, { recursive: true });
      created = true;
    }
    for (const f of manifest.files) {
      const target = path.resolve(root, ...f.path.split('/'));
      // defence in depth: parseManifest already refused traversal, but never write outside root
      if (!target.startsWith(root + path.sep)) {
        throw new ArtifactError('InvalidPath', `path ${f.path} escapes the destination`, { field: 'path' });
      }
      await fsp.mkdir(path.dirname(target), { recursive: true });
      const body = await store.get(f.sha256);
      await pipeline(
        body,
        new DigestGuard({ expectedSha256: f.sha256, expectedSize: f.size }),
        fs.createWriteStream(target, { flags: 'wx', mode: f.mode }),
        opts.signal ? { signal: opts.signal } : {},
      );
      await fsp.chmod(target, f.mode); // the umask may have stripped bits at creation
    }
    return manifest;
  } catch (err) {
    if (created) await fsp.rm(root, { recursive: true, force: true }).catch(() => undefined);
    if (err instanceof ArtifactError) throw err;
    if ((err as Error).name === 'AbortError') throw new ArtifactError('Aborted', 'download aborted', { cause: err });
    throw artifactErrorFromIo(err, `writing directory ${destDir}`);
  }
}
