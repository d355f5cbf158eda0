import { z } from 'zod';
import { ArtifactError } from './errors.js';

/** Media type written first in every manifest, so a manifest is recognisable from its first bytes. */
export const MANIFEST_MEDIA_TYPE = 'application/vnd.capstan.model-manifest.v1+json';
/** Manifests larger than this are refused (a model with 100k files fits in a few MiB). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** Most files a manifest may list. */
export const MAX_MANIFEST_FILES = 100_000;

/** Exact first bytes of a canonical manifest (see serializeManifest). */
export const MANIFEST_PREFIX = `{"mediaType":"${MANIFEST_MEDIA_TYPE}"`;

/** One file of a stored directory; `mode` is normalised to 0o644 or 0o755 so digests ignore umask. */
export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
  mode: 0o644 | 0o755;
}

/** A directory stored as one blob per file plus this listing, itself stored as a blob. */
export interface Manifest {
  mediaType: typeof MANIFEST_MEDIA_TYPE;
  files: ManifestFile[];
}

/**
 * Throws InvalidPath unless `p` is a safe relative POSIX path: no absolute path, no `..` or `.`
 * segment, no empty segment (`a//b`, trailing `/`), no backslash, no NUL, no drive letter (pure).
 */
export function validateManifestPath(p: unknown, field = 'path'): string {
  const bad = (why: string): never => {
    throw new ArtifactError('InvalidPath', `${field} ${JSON.stringify(p)} ${why}`, { field });
  };
  if (typeof p !== 'string' || p.length === 0) return bad('must be a non-empty string');
  if (p.length > 4096) bad('is longer than 4096 characters');
  if (p.includes('\0')) bad('contains NUL');
  if (p.includes('\\')) bad('contains a backslash');
  if (p.startsWith('/')) bad('is absolute');
  if (/^[A-Za-z]:/.test(p)) bad('starts with a drive letter');
  for (const seg of p.split('/')) {
    if (seg === '') bad('has an empty segment');
    if (seg === '.' || seg === '..') bad(`has a "${seg}" segment`);
    if (Buffer.byteLength(seg) > 255) bad('has a segment longer than 255 bytes');
  }
  return p;
}

/** Normalises a file mode to the two values a manifest records (executable or not). */
export function normaliseMode(mode: number): 0o644 | 0o755 {
  return (mode & 0o111) !== 0 ? 0o755 : 0o644;
}

const fileSchema = z.strictObject({
  path: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters'),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  mode: z.union([z.literal(0o644), z.literal(0o755)]),
});
const manifestSchema = z.strictObject({
  mediaType: z.literal(MANIFEST_MEDIA_TYPE),
  files: z.array(fileSchema).max(MAX_MANIFEST_FILES),
});

function byPath(a: ManifestFile, b: ManifestFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Checks a manifest's files (pure): every path safe, no duplicates, no file that is also a
 * directory of another (`a` and `a/b`). Returns the files sorted by path.
 */
export function checkManifestFiles(files: readonly ManifestFile[]): ManifestFile[] {
  files.forEach((f, i) => validateManifestPath(f.path, `files[${i}].path`));
  const sorted = [...files].sort(byPath);
  const seen = new Set<string>();
  for (const f of sorted) {
    if (seen.has(f.path)) throw new ArtifactError('InvalidManifest', `path ${f.path} is listed twice`, { field: 'files' });
    seen.add(f.path);
  }
  for (const f of sorted) {
    const segs = f.path.split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      if (seen.has(dir)) throw new ArtifactError('InvalidManifest', `path ${dir} is both a file and a directory`, { field: 'files' });
    }
  }
  return sorted;
}

/** Canonical bytes of a manifest: fixed key order, files sorted by path, no whitespace (same tree ⇒ same digest). */
export function serializeManifest(files: readonly ManifestFile[]): Buffer {
  const sorted = checkManifestFiles(files);
  const body = sorted.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, mode: f.mode }));
  return Buffer.from(JSON.stringify({ mediaType: MANIFEST_MEDIA_TYPE, files: body }));
}

/** Parses and validates manifest bytes; InvalidManifest (with a field path) or InvalidPath on bad input. */
export function parseManifest(bytes: Buffer): Manifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new ArtifactError('InvalidManifest', `manifest exceeds ${MAX_MANIFEST_BYTES} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ArtifactError('InvalidManifest', 'manifest is not valid JSON', { cause: err });
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
    throw new ArtifactError('InvalidManifest', `manifest ${field || '(root)'}: ${issue.message}`, { field, cause: r.error });
  }
  const files = r.data.files as ManifestFile[];
  return { mediaType: MANIFEST_MEDIA_TYPE, files: checkManifestFiles(files) };
}

/** True when the first bytes of a blob are those of a canonical manifest (cheap check for GC). */
export function looksLikeManifest(head: Buffer): boolean {
  return head.subarray(0, MANIFEST_PREFIX.length).toString('utf8') === MANIFEST_PREFIX;
}
