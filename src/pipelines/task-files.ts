/**
 * A task attempt's files on this machine, and moving artifacts between them and the pipeline
 * artifact store (content-addressed: a file is one blob, a directory a manifest): output
 * parameters read back by their declared type, output artifacts stored, input artifacts written
 * where the task's placeholders point.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline as pipe } from 'node:stream/promises';
import type { ArtifactRef } from '../api/kinds/pipeline-schemas.js';
import { getDirectory, putDirectory, type BlobStore } from '../artifacts/index.js';
import type { ArtifactValue } from './dag-planner.js';
import type { Interface, ParamType } from './pipeline-model.js';

/** Where one attempt of a task keeps its files. */
export interface TaskDirs {
  root: string;
  outputParameter(name: string): string;
  outputArtifact(name: string): string;
  inputArtifact(name: string): string;
}

/** `<dataDir>/pipelines/runs/<ns>/<runUid>/<task path>/a<attempt>/…` */
export function taskDirs(dataDir: string, namespace: string, runUid: string, taskId: string, attempt: number): TaskDirs {
  const safe = taskId.replace(/[^A-Za-z0-9._#-]/g, '_');
  const root = join(dataDir, 'pipelines', 'runs', namespace, runUid, safe, `a${attempt}`);
  return {
    root,
    outputParameter: (n) => join(root, 'outputs', 'parameters', n),
    outputArtifact: (n) => join(root, 'outputs', 'artifacts', n),
    inputArtifact: (n) => join(root, 'inputs', 'artifacts', n),
  };
}

/** The directory of a run's files (deleted with the run). */
export function runDir(dataDir: string, namespace: string, runUid: string): string {
  return join(dataDir, 'pipelines', 'runs', namespace, runUid);
}

/** Parses an output parameter file by its declared type; throws naming the problem. */
export function parseParameter(text: string, type: ParamType, name: string): unknown {
  const t = text.replace(/\n$/, '');
  const fail = (): never => {
    throw new Error(`output parameter ${name} is declared ${type} but the task wrote ${JSON.stringify(t.slice(0, 100))}`);
  };
  switch (type) {
    case 'STRING':
      return t;
    case 'NUMBER_INTEGER':
      return /^\s*[-+]?\d+\s*$/.test(t) ? Number(t) : fail();
    case 'NUMBER_DOUBLE':
      return t.trim() !== '' && Number.isFinite(Number(t)) ? Number(t) : fail();
    case 'BOOLEAN':
      return /^true$/i.test(t.trim()) ? true : /^false$/i.test(t.trim()) ? false : fail();
    default:
      try {
        const v = JSON.parse(t);
        if (type === 'LIST' ? !Array.isArray(v) : !v || typeof v !== 'object' || Array.isArray(v)) fail();
        return v;
      } catch {
        return fail();
      }
  }
}

/** Prepares an attempt's directories (outputs must exist before the task writes into them). */
export function prepareDirs(d: TaskDirs, outputs: Interface): void {
  mkdirSync(join(d.root, 'outputs', 'parameters'), { recursive: true });
  mkdirSync(join(d.root, 'outputs', 'artifacts'), { recursive: true });
  mkdirSync(join(d.root, 'inputs', 'artifacts'), { recursive: true });
  void outputs;
}

/** Reads a finished attempt's outputs: parameters by type, artifacts into the store. */
export async function collectOutputs(store: BlobStore, d: TaskDirs, outputs: Interface, uriPrefix: string): Promise<{ parameters: Record<string, unknown>; artifacts: Record<string, ArtifactRef> }> {
  const parameters: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(outputs.parameters)) {
    const file = d.outputParameter(name);
    if (!existsSync(file)) throw new Error(`output parameter ${name} was not written (expected ${file})`);
    parameters[name] = parseParameter(readFileSync(file, 'utf8'), def.type, name);
  }
  const artifacts: Record<string, ArtifactRef> = {};
  for (const [name, def] of Object.entries(outputs.artifacts)) {
    const path = d.outputArtifact(name);
    if (!existsSync(path)) throw new Error(`output artifact ${name} was not written (expected ${path})`);
    if (statSync(path).isDirectory()) {
      const r = await putDirectory(store, path);
      artifacts[name] = { uri: `${uriPrefix}${r.manifestSha256}`, digest: r.manifestSha256, size: r.totalSize, directory: true, schemaTitle: def.schemaTitle };
    } else {
      const r = await store.put(createReadStream(path));
      artifacts[name] = { uri: `${uriPrefix}${r.sha256}`, digest: r.sha256, size: r.size, schemaTitle: def.schemaTitle };
    }
  }
  return { parameters, artifacts };
}

async function writeArtifact(store: BlobStore, a: ArtifactRef, dest: string): Promise<void> {
  if (a.directory) {
    await getDirectory(store, a.digest, dest);
    return;
  }
  await pipe(await store.get(a.digest), createWriteStream(dest));
}

/** Writes input artifacts where the task reads them (a list: one entry per item under the directory). */
export async function materializeInputs(store: BlobStore, d: TaskDirs, artifacts: Record<string, ArtifactValue>): Promise<void> {
  for (const [name, v] of Object.entries(artifacts)) {
    const dest = d.inputArtifact(name);
    if (existsSync(dest)) continue;
    if (Array.isArray(v)) {
      mkdirSync(dest, { recursive: true });
      for (let i = 0; i < v.length; i++) await writeArtifact(store, v[i]!, join(dest, String(i)));
    } else await writeArtifact(store, v, dest);
  }
}

/** True when every artifact's bytes are still in the store. */
export async function artifactsExist(store: BlobStore, artifacts: Record<string, ArtifactValue | undefined>): Promise<string | undefined> {
  for (const [name, v] of Object.entries(artifacts)) {
    for (const a of v === undefined ? [] : Array.isArray(v) ? v : [v]) if (!(await store.has(a.digest))) return name;
  }
  return undefined;
}
