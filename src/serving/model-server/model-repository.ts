/** Scans a Triton-style model repository: `<repo>/<model>/<version>/model.onnx` (+ optional config). */
import { readdir, stat } from 'node:fs/promises';
import { join, basename } from 'node:path';
import type { VersionPolicy } from './model-config.js';

/** A model directory or a single-file model given on the command line. */
export interface ModelSource {
  name: string;
  /** Directory holding `<version>/model.onnx` and maybe a config file. */
  dir?: string;
  /** A single .onnx file served as version 1. */
  file?: string;
}

/** Lists model directories of a repository (subdirectories, sorted). */
export async function listRepositoryModels(repo: string): Promise<ModelSource[]> {
  const entries = await readdir(repo, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => ({ name: e.name, dir: join(repo, e.name) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Numeric version directories of a model that contain model.onnx, ascending. */
export async function listModelVersions(modelDir: string): Promise<Array<{ version: number; path: string }>> {
  const entries = await readdir(modelDir, { withFileTypes: true });
  const out: Array<{ version: number; path: string }> = [];
  for (const e of entries) {
    if (!e.isDirectory() || !/^\d+$/.test(e.name)) continue;
    const p = join(modelDir, e.name, 'model.onnx');
    try {
      if ((await stat(p)).isFile()) out.push({ version: Number(e.name), path: p });
    } catch {
      // a version dir without model.onnx is not a version
    }
  }
  return out.sort((a, b) => a.version - b.version);
}

/** Picks the versions a policy serves from those available (pure). */
export function selectVersions(available: readonly number[], policy: VersionPolicy): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  if (policy.kind === 'all') return sorted;
  if (policy.kind === 'latest') return sorted.slice(Math.max(0, sorted.length - policy.count));
  return sorted.filter((v) => policy.versions.includes(v));
}

/** Parses `NAME=PATH` (a .onnx file or a model directory). */
export async function parseModelArg(arg: string): Promise<ModelSource> {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw new Error(`--model expects NAME=PATH, got '${arg}'`);
  const name = arg.slice(0, eq);
  const path = arg.slice(eq + 1);
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`--model name '${name}' may only hold letters, digits, '_', '.', '-'`);
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new Error(`--model ${name}: '${path}' does not exist`);
  return s.isDirectory() ? { name, dir: path } : { name, file: path };
}

/** Name of a model from a file path, without the extension. */
export function modelNameFromFile(path: string): string {
  return basename(path).replace(/\.onnx$/, '');
}
