/**
 * Client side of artifact transfer (the CLI and the benchmark use it): streams files up while
 * hashing them in the same pass, registers the version, and pulls a version with every file
 * verified against its digest, fsynced, and only then renamed into place.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { ApiError } from '../api/errors.js';
import type { ModelVersionSpec } from '../api/kinds/model-version.js';
import { statusToError } from '../client/http-client.js';
import { parseManifest, pumpFile, validateManifestPath } from '../artifacts/index.js';
import { downloadVerified, readJson, type DownloadResult } from './verified-download.js';
import type { ModelVersionObject } from './resolve-model-ref.js';

/** Where and as whom. */
export interface TransferTarget {
  server: string;
  token?: string;
  namespace: string;
}

/** Progress callback: bytes moved so far of the whole transfer. */
export type OnProgress = (delta: number) => void;

function base(t: TransferTarget): string {
  return `${t.server.replace(/\/+$/, '')}/apis/capstan.dev/v1alpha1/namespaces/${encodeURIComponent(t.namespace)}`;
}

const UPLOAD_BUFFER_BYTES = 1024 * 1024;

/**
 * Sends `size` bytes of `file` as the body of `req`, hashing them on the way (pumpFile: two reused
 * buffers, the next read and its hashing overlap the previous write). Resolves to the sha256 of
 * what was sent.
 */
async function sendFile(file: string, size: number, req: http.ClientRequest, onProgress?: OnProgress): Promise<string> {
  const h = createHash('sha256');
  const fh = await fsp.open(file, 'r');
  try {
    await pumpFile(fh, 0, size, req, {
      bufferBytes: UPLOAD_BUFFER_BYTES,
      onChunk: (chunk) => {
        h.update(chunk);
        onProgress?.(chunk.length);
      },
      closedMessage: 'the connection closed before the body was sent',
      shortRead: (pos) => `${file} shrank while being uploaded (ended at ${pos} of ${size} bytes)`,
    });
    return h.digest('hex');
  } catch (err) {
    req.destroy(err as Error);
    throw err;
  } finally {
    await fh.close();
  }
}

function send(url: string, method: string, token: string | undefined, headers: Record<string, string>): http.ClientRequest {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return mod.request(u, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

/** Streams one file to the blob store; the local and server digests must agree. Returns {sha256, size}. */
export async function uploadFile(t: TransferTarget, model: string, file: string, onProgress?: OnProgress): Promise<{ sha256: string; size: number }> {
  const size = (await fsp.stat(file)).size;
  const req = send(`${base(t)}/models/${encodeURIComponent(model)}/blobs`, 'POST', t.token, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  // the server may answer (an error) before reading the whole body: the answer wins over a broken pipe
  const sent = sendFile(file, size, req, onProgress).then(
    (sha256) => ({ sha256, err: undefined }),
    (err: unknown) => ({ sha256: undefined, err: err as Error }),
  );
  let res: http.IncomingMessage;
  try {
    res = await response;
  } catch (err) {
    throw new ApiError('ServiceUnavailable', `upload of ${file} failed: ${(err as Error).message}`, undefined, { cause: err });
  }
  const body = await readJson(res);
  if ((res.statusCode ?? 500) >= 300) throw statusToError(res.statusCode ?? 500, body);
  const { sha256: local, err: sendErr } = await sent;
  if (sendErr) throw new ApiError('ServiceUnavailable', `upload of ${file} failed: ${sendErr.message}`);
  const r = body as { sha256: string; size: number };
  if (r.sha256 !== local) throw new ApiError('Invalid', `the server stored sha256 ${r.sha256} but ${file} hashes to ${local} (it changed while uploading?)`);
  return r;
}

/** Files of a directory, sorted, relative POSIX paths; symlinks and special files are refused. */
export async function listDirectory(dir: string): Promise<Array<{ rel: string; abs: string; mode: number; size: number }>> {
  const out: Array<{ rel: string; abs: string; mode: number; size: number }> = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) {
        const st = await fsp.stat(path.join(dir, r));
        out.push({ rel: r, abs: path.join(dir, r), mode: st.mode, size: st.size });
      } else throw new Error(`${r} is not a regular file or directory (symlinks are not pushed)`);
    }
  };
  await walk('');
  return out;
}

/** What to register along with the artifact (the body of POST …/versions minus file/files). */
export type VersionMetadata = Record<string, unknown> & { version?: string; format?: string; aliases?: string[]; reason?: string };

/** Uploads a file or directory and registers it as a version of `model`; returns the ModelVersion. */
export async function pushModel(t: TransferTarget, model: string, source: string, meta: VersionMetadata, onProgress?: OnProgress): Promise<ModelVersionObject> {
  const st = await fsp.stat(source);
  let artifact: Record<string, unknown>;
  if (st.isDirectory()) {
    const files = [];
    for (const f of await listDirectory(source)) {
      const r = await uploadFile(t, model, f.abs, onProgress);
      files.push({ path: f.rel, sha256: r.sha256, mode: (f.mode & 0o111) !== 0 ? 0o755 : 0o644 });
    }
    if (files.length === 0) throw new Error(`${source} is an empty directory`);
    artifact = { files };
  } else {
    const r = await uploadFile(t, model, source, onProgress);
    artifact = { file: { path: path.basename(source), sha256: r.sha256 } };
  }
  const res = await fetch(`${base(t)}/models/${encodeURIComponent(model)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) },
    body: JSON.stringify({ ...meta, ...artifact }),
  });
  const body = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok) throw statusToError(res.status, body);
  return body as ModelVersionObject;
}

/** Total bytes of a push source (for a progress bar's total). */
export async function sourceSize(source: string): Promise<number> {
  const st = await fsp.stat(source);
  if (!st.isDirectory()) return st.size;
  return (await listDirectory(source)).reduce((a, f) => a + f.size, 0);
}

function artifactUrl(t: TransferTarget, versionName: string, query: string): string {
  return `${base(t)}/modelversions/${encodeURIComponent(versionName)}/artifact${query}`;
}

/**
 * Downloads a version into `outDir` (created when missing); returns the paths written. Each file is
 * atomic and durable with its sha256 verified before it gets its name, and resumes a partial file
 * a killed pull left (see verified-download.ts). `onFile` hears what each download did.
 */
export async function pullVersion(
  t: TransferTarget,
  mv: ModelVersionObject,
  outDir: string,
  onProgress?: OnProgress,
  onFile?: (r: DownloadResult) => void,
): Promise<string[]> {
  const spec: ModelVersionSpec = mv.spec;
  const name = mv.metadata.name;
  const root = path.resolve(outDir);
  const target = (rel: string): string => {
    validateManifestPath(rel, 'path');
    const p = path.resolve(root, ...rel.split('/'));
    if (!p.startsWith(root + path.sep)) throw new Error(`path ${rel} escapes ${outDir}`);
    return p;
  };
  if (spec.artifact.layout === 'file') {
    const f = spec.artifact.files[0] ?? { path: `${name}.bin`, sha256: spec.artifact.sha256 };
    const dest = target(path.posix.basename(f.path));
    const r = await downloadVerified({ url: artifactUrl(t, name, ''), token: t.token, dest, sha256: spec.artifact.sha256, size: spec.artifact.size, onProgress });
    onFile?.(r);
    return [dest];
  }
  // a directory: fetch and verify the manifest first, then each file it lists
  const manifestPath = path.join(root, `.${name}.manifest.json`);
  await downloadVerified({ url: artifactUrl(t, name, ''), token: t.token, dest: manifestPath, sha256: spec.artifact.sha256 });
  const manifest = parseManifest(await fsp.readFile(manifestPath));
  await fsp.rm(manifestPath, { force: true });
  const written: string[] = [];
  for (const f of manifest.files) {
    const dest = target(f.path);
    const url = artifactUrl(t, name, `?path=${encodeURIComponent(f.path)}`);
    const r = await downloadVerified({ url, token: t.token, dest, sha256: f.sha256, size: f.size, mode: f.mode, onProgress });
    onFile?.(r);
    written.push(dest);
  }
  return written;
}

/** Resolves `selector` of `model` through the server (`GET …/models/{model}/resolve`). */
export async function resolveRemote(t: TransferTarget, model: string, selector: string): Promise<ModelVersionObject> {
  const res = await fetch(`${base(t)}/models/${encodeURIComponent(model)}/resolve?selector=${encodeURIComponent(selector)}`, {
    headers: t.token ? { authorization: `Bearer ${t.token}` } : {},
  });
  const body = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok) throw statusToError(res.status, body);
  return body as ModelVersionObject;
}
