import { randomUUID } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store.js';
import { planEviction } from './cache-eviction.js';
import { assertSha256, isSha256 } from './digest.js';
import { DigestGuard } from './digest-guard.js';
import { getDirectory } from './directory-transfer.js';
import { artifactErrorFromIo } from './errors.js';
import { processAlive } from './process-alive.js';

/** Writes the content of `sha256` (a file or a directory) at `destPath`, which does not exist yet. */
export type CacheFetcher = (sha256: string, destPath: string) => Promise<void>;

/** Options of ModelCache. */
export interface ModelCacheOptions {
  /** Directory owned by this cache (entries/, tmp/, .lock). */
  root: string;
  /** Total size the cache tries to stay under; pinned entries may push it above. */
  maxBytes: number;
}

/** Counters for metrics and logs. */
export interface ModelCacheStats {
  entries: number;
  totalBytes: number;
  pinned: number;
  fetches: number;
  evictions: number;
}

interface Entry {
  size: number;
  lastUsed: number;
}

/**
 * Node-local cache of models keyed by sha256, shared by the replicas of this node through one
 * owning process (a lock file refuses a second owner). Downloads once under concurrent callers
 * (single-flight), verifies, then renames into place; evicts least recently used entries above
 * `maxBytes`, never one in use (acquire/release).
 */
export class ModelCache {
  private readonly root: string;
  private readonly entries = new Map<string, Entry>();
  private readonly pins = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly evicting = new Map<string, Promise<void>>();
  private clock = 0;
  private fetches = 0;
  private evictions = 0;
  private opened = false;

  constructor(private readonly opts: ModelCacheOptions) {
    this.root = path.resolve(opts.root);
  }

  private entryPath(sha256: string): string {
    return path.join(this.root, 'entries', sha256);
  }

  /** Takes the directory lock, removes leftovers of interrupted downloads and indexes existing entries. */
  async open(): Promise<void> {
    await fsp.mkdir(path.join(this.root, 'entries'), { recursive: true });
    await takeLock(path.join(this.root, '.lock'));
    await fsp.rm(path.join(this.root, 'tmp'), { recursive: true, force: true });
    await fsp.mkdir(path.join(this.root, 'tmp'));
    const found: { sha: string; size: number; mtime: number }[] = [];
    for (const name of await fsp.readdir(path.join(this.root, 'entries'))) {
      if (!isSha256(name)) continue;
      const p = this.entryPath(name);
      const st = await fsp.stat(p);
      found.push({ sha: name, size: await diskSize(p), mtime: st.mtimeMs });
    }
    // entries from an earlier run: rebuild LRU order from their mtime (refreshed on every use)
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.entries.set(f.sha, { size: f.size, lastUsed: ++this.clock });
    this.opened = true;
    await this.evict(new Set());
  }

  /** Releases the directory lock. In-use entries stay on disk. */
  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    await fsp.rm(path.join(this.root, '.lock'), { force: true });
  }

  /** Local path of the model, fetching it once if absent. Not pinned: prefer acquire when you will read it. */
  async ensure(sha256: string, fetcher: CacheFetcher): Promise<string> {
    assertSha256(sha256);
    if (!this.opened) throw new Error('ModelCache.open() must be called first');
    const hit = this.entries.get(sha256);
    if (hit !== undefined) {
      hit.lastUsed = ++this.clock;
      const p = this.entryPath(sha256);
      const now = new Date();
      await fsp.utimes(p, now, now).catch(() => undefined);
      return p;
    }
    let pending = this.inflight.get(sha256);
    if (pending === undefined) {
      pending = this.fetch(sha256, fetcher).finally(() => this.inflight.delete(sha256));
      this.inflight.set(sha256, pending);
    }
    return pending;
  }

  /** ensure() and pin: the entry is not evicted until a matching release(). */
  async acquire(sha256: string, fetcher: CacheFetcher): Promise<string> {
    assertSha256(sha256);
    // pin before fetching so the eviction that follows our own insert cannot remove it
    this.pins.set(sha256, (this.pins.get(sha256) ?? 0) + 1);
    try {
      return await this.ensure(sha256, fetcher);
    } catch (err) {
      this.unpin(sha256);
      throw err;
    }
  }

  /** Drops one pin taken by acquire; entries over the size limit may then be evicted. */
  async release(sha256: string): Promise<void> {
    this.unpin(sha256);
    await this.evict(new Set());
  }

  private unpin(sha256: string): void {
    const n = (this.pins.get(sha256) ?? 0) - 1;
    if (n > 0) this.pins.set(sha256, n);
    else this.pins.delete(sha256);
  }

  /** True when the model is cached now. */
  has(sha256: string): boolean {
    return this.entries.has(sha256);
  }

  /** Current counters. */
  stats(): ModelCacheStats {
    let totalBytes = 0;
    for (const e of this.entries.values()) totalBytes += e.size;
    return { entries: this.entries.size, totalBytes, pinned: this.pins.size, fetches: this.fetches, evictions: this.evictions };
  }

  private async fetch(sha256: string, fetcher: CacheFetcher): Promise<string> {
    await this.evicting.get(sha256);
    const tmp = path.join(this.root, 'tmp', `${sha256}-${randomUUID()}`);
    this.fetches++;
    try {
      await fetcher(sha256, tmp);
      const size = await diskSize(tmp);
      await fsp.rename(tmp, this.entryPath(sha256));
      this.entries.set(sha256, { size, lastUsed: ++this.clock });
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw artifactErrorFromIo(err, `fetching ${sha256} into the model cache`);
    }
    await this.evict(new Set([sha256]));
    return this.entryPath(sha256);
  }

  private async evict(protect: ReadonlySet<string>): Promise<void> {
    const states = [...this.entries].map(([sha256, e]) => ({ sha256, size: e.size, lastUsed: e.lastUsed, refs: this.pins.get(sha256) ?? 0 }));
    const victims = planEviction(states, this.opts.maxBytes, protect);
    // forget them all synchronously: no caller is handed a path about to disappear, and a concurrent
    // evict() cannot plan the same victims again
    for (const sha of victims) this.entries.delete(sha);
    await Promise.all(
      victims.map((sha) => {
        this.evictions++;
        const gone = path.join(this.root, 'tmp', `${sha}-${randomUUID()}.evicted`);
        const done = fsp
          .rename(this.entryPath(sha), gone)
          .then(() => fsp.rm(gone, { recursive: true, force: true }))
          .finally(() => this.evicting.delete(sha));
        this.evicting.set(sha, done);
        return done;
      }),
    );
  }
}

/** Fetcher for a single-file model: streams the blob to the path, verifying its digest. */
export function blobFetcher(store: BlobStore): CacheFetcher {
  return async (sha256, dest) => {
    const { size } = await store.stat(sha256);
    await pipeline(await store.get(sha256), new DigestGuard({ expectedSha256: sha256, expectedSize: size }), fs.createWriteStream(dest, { flags: 'wx' }));
  };
}

/** Fetcher for a directory model: `sha256` is a manifest, materialised with getDirectory. */
export function directoryFetcher(store: BlobStore): CacheFetcher {
  return async (sha256, dest) => {
    await getDirectory(store, sha256, dest);
  };
}

async function diskSize(p: string): Promise<number> {
  const st = await fsp.lstat(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of await fsp.readdir(p)) total += await diskSize(path.join(p, name));
  return total;
}

/** O_EXCL lock file holding our pid; a lock left by a dead process is taken over. */
async function takeLock(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(lockPath, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await fsp.readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new Error(`model cache ${path.dirname(lockPath)} is in use by process ${pid}`);
      }
      if (pid === process.pid) throw new Error(`model cache ${path.dirname(lockPath)} is already open in this process`);
      await fsp.rm(lockPath, { force: true });
    }
  }
  throw new Error(`could not lock model cache ${path.dirname(lockPath)}`);
}
