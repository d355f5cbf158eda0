/**
 * The task cache: key → the outputs of the attempt that produced them, one small JSON file per key
 * under `<dataDir>/pipelines/cache/<project>/`. A hit is only a hit when every output artifact it
 * names is still in the artifact store (kfp#7939); an entry whose artifact is gone is dropped.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskStatus } from '../api/kinds/pipeline-schemas.js';

/** A cache entry. */
export interface CacheEntry {
  outputs: NonNullable<TaskStatus['outputs']>;
  run: string;
  runUid: string;
  task: string;
  createdAt: string;
}

/** File-backed cache of task outputs per project. */
export class TaskCache {
  constructor(private readonly root: string) {}

  private file(namespace: string, key: string): string {
    return join(this.root, namespace, `${key}.json`);
  }

  /** The entry for a key, if any. */
  get(namespace: string, key: string): CacheEntry | undefined {
    try {
      return JSON.parse(readFileSync(this.file(namespace, key), 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
  }

  /** Records outputs under a key (atomic replace). */
  put(namespace: string, key: string, entry: CacheEntry): void {
    mkdirSync(join(this.root, namespace), { recursive: true });
    const f = this.file(namespace, key);
    writeFileSync(`${f}.tmp`, JSON.stringify(entry));
    renameSync(`${f}.tmp`, f);
  }

  /** Drops one key; true when it existed. */
  delete(namespace: string, key: string): boolean {
    try {
      rmSync(this.file(namespace, key));
      return true;
    } catch {
      return false;
    }
  }

  /** Artifact digests every entry references (kept when a run is deleted). */
  digests(): Set<string> {
    const out = new Set<string>();
    let projects: string[] = [];
    try {
      projects = readdirSync(this.root);
    } catch {
      return out;
    }
    for (const ns of projects) {
      for (const name of readdirSync(join(this.root, ns))) {
        const e = name.endsWith('.json') ? this.get(ns, name.slice(0, -5)) : undefined;
        for (const v of Object.values(e?.outputs.artifacts ?? {})) for (const a of Array.isArray(v) ? v : [v]) out.add(a.digest);
      }
    }
    return out;
  }

  /** Drops every entry a run wrote (its outputs are being deleted); returns how many. */
  deleteRun(namespace: string, runUid: string): number {
    let n = 0;
    let names: string[] = [];
    try {
      names = readdirSync(join(this.root, namespace));
    } catch {
      return 0;
    }
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const e = this.get(namespace, name.slice(0, -5));
      if (e?.runUid === runUid && this.delete(namespace, name.slice(0, -5))) n++;
    }
    return n;
  }
}
