/**
 * The snapshot's line format inside a backup (gzip'd JSON lines): a header with the
 * resourceVersion, schema version and meta values, then one line per object with its stored
 * JSON kept as a string, byte for byte. Reading checks the digest and count of what was written.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { SnapshotRow } from '../store/store-ops.js';
import { BackupError } from './backup-manifest.js';

/** The header line's format value. */
export const SNAPSHOT_HEADER = 'capstan-snapshot/1';

/** The first line of a snapshot. */
export interface SnapshotHeader {
  format: string;
  rv: number;
  schemaVersion: number;
  meta: Array<[string, string]>;
}

/** Keeps one project's objects and its Project. */
export function projectFilter(project: string): (r: { resource: string; namespace: string; name: string }) => boolean {
  return (r) => r.namespace === project || (r.resource.endsWith('/projects') && r.namespace === '' && r.name === project);
}

/**
 * Reads a snapshot blob: resolves the header, then yields rows in pages; the generator throws a
 * Corrupt BackupError (so an import in progress rolls back) when the stream is truncated or does
 * not hash to `expect.sha256`, or the row count differs.
 */
export async function readSnapshot(body: Readable, expect: { sha256: string; objects: number }, where: string): Promise<{ header: SnapshotHeader; rows: AsyncIterable<SnapshotRow[]> }> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const gunzip = createGunzip();
  const corrupt = (msg: string) => new BackupError('Corrupt', `${where}: snapshot ${msg}`);
  let failure: Error | undefined;
  const fail = (err: Error) => (failure ??= corrupt(`is damaged or truncated (${err.message})`));
  body.on('error', fail);
  tap.on('error', fail);
  gunzip.on('error', fail);
  body.pipe(tap).pipe(gunzip);
  const lines = createInterface({ input: gunzip, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next().catch((e: Error) => ({ done: true as const, value: undefined, err: e }));
  if (failure) throw failure;
  if (first.done || !first.value) throw corrupt('is empty or truncated before its header');
  let header: SnapshotHeader;
  try {
    header = JSON.parse(first.value) as SnapshotHeader;
  } catch {
    throw corrupt('header is not JSON');
  }
  if (header.format !== SNAPSHOT_HEADER) throw corrupt(`header format "${String(header.format)}" is not ${SNAPSHOT_HEADER}`);
  const rows = async function* (): AsyncIterable<SnapshotRow[]> {
    let page: SnapshotRow[] = [];
    let count = 0;
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await lines.next();
      } catch (err) {
        throw fail(err as Error);
      }
      if (failure) throw failure;
      if (next.done) break;
      if (!next.value) continue;
      let l: { r: string; ns: string; n: string; rv: number; d: string };
      try {
        l = JSON.parse(next.value);
      } catch {
        throw corrupt(`line ${count + 2} is not JSON`);
      }
      page.push({ resource: l.r, namespace: l.ns, name: l.n, rv: l.rv, data: l.d });
      count++;
      if (page.length >= 1000) {
        yield page;
        page = [];
      }
    }
    if (failure) throw failure;
    if (page.length) yield page;
    const digest = hash.digest('hex');
    if (digest !== expect.sha256) throw corrupt(`digest ${digest} does not match the manifest's ${expect.sha256}`);
    if (count !== expect.objects) throw corrupt(`holds ${count} objects, the manifest says ${expect.objects}`);
  };
  return { header, rows: rows() };
}
