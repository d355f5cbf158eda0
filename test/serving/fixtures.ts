/** Test fixtures: temporary model repositories built in code, and a small server harness. */
import { seededRandom } from '../../src/random/seeded-random.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildAddOnnx, buildIdentityOnnx, buildMlpOnnx } from '../../src/onnx/index.js';
import { runModelServer, type ModelServerHandle, type ModelServerOptions } from '../../src/serving/model-server/index.js';

/** Every OIP datatype. */
export const ALL_DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;

/** Deterministic pseudo-random numbers (mulberry32). */
export const rng = seededRandom;

/** Writes `<repo>/<name>/<version>/model.onnx` (and config.json when given). */
export function addModel(repo: string, name: string, version: number, bytes: Uint8Array, config?: object): void {
  mkdirSync(join(repo, name, String(version)), { recursive: true });
  writeFileSync(join(repo, name, String(version), 'model.onnx'), bytes);
  if (config) writeFileSync(join(repo, name, 'config.json'), JSON.stringify(config));
}

/** A small deterministic MLP: 4 inputs → 8 relu → 3 softmax. */
export function smallMlp(seed = 1, inputSize = 4): Uint8Array {
  const r = rng(seed);
  const w = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() * 2 - 1);
  return buildMlpOnnx({
    inputSize,
    layers: [
      { weights: w(inputSize * 8), bias: w(8), out: 8, activation: 'relu' },
      { weights: w(8 * 3), bias: w(3), out: 3, activation: 'softmax' },
    ],
  });
}

/** A fresh temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'capstan-'));
}

/** Repository with an MLP, identity models for every datatype, add models and a broken model. */
export function standardRepo(): string {
  const repo = tempDir();
  addModel(repo, 'mlp', 1, smallMlp(1));
  addModel(repo, 'mlp', 2, smallMlp(2));
  for (const dt of ALL_DATATYPES) addModel(repo, `identity_${dt.toLowerCase()}`, 1, buildIdentityOnnx({ datatype: dt }));
  addModel(repo, 'add_fp32', 1, buildAddOnnx({ datatype: 'FP32' }));
  // Second dim dynamic: requests with different widths must be batched separately.
  addModel(repo, 'identity_ragged', 1, buildIdentityOnnx({ datatype: 'FP32', shape: ['batch', 'width'] }));
  return repo;
}

/** Starts a server on ephemeral ports with a silent logger. */
export async function startServer(opts: Partial<ModelServerOptions> & { modelRepository?: string }): Promise<ModelServerHandle & { url: string }> {
  const h = await runModelServer({
    httpPort: 0,
    grpcPort: 0,
    threads: { intraOp: 1, interOp: 1 },
    logger: pino({ level: 'silent' }),
    ...opts,
  });
  return Object.assign(h, { url: `http://127.0.0.1:${h.httpPort}` });
}

/** Removes a temp dir. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** POSTs JSON (or raw bytes) and returns status, headers and body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer; json: () => any }> {
  const payload: string | Uint8Array = body instanceof Uint8Array ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', body: payload as unknown as string, headers });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) };
}

/** GETs a URL. */
export async function get(url: string): Promise<{ status: number; body: Buffer; json: () => any }> {
  const res = await fetch(url);
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body: buf, json: () => JSON.parse(buf.toString('utf8')) };
}

/** Builds a binary-extension request body: JSON header followed by the given tensors' bytes. */
export function binaryBody(doc: object, blobs: Buffer[]): { body: Buffer; headerLength: number } {
  const json = Buffer.from(JSON.stringify(doc));
  return { body: Buffer.concat([json, ...blobs]), headerLength: json.length };
}

/** Four BYTES elements onnxruntime-node cannot carry as-is: every byte 0x00-0xFF, a lone NUL, invalid UTF-8, and text. */
export function oddBytesElements(): Buffer[] {
  return [Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0]), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('héllo')];
}

/** BYTES elements in the wire form: 4-byte little-endian length, then the bytes. */
export function lengthPrefixed(elements: Buffer[]): Buffer {
  return Buffer.concat(elements.flatMap((e) => {
    const l = Buffer.alloc(4);
    l.writeUInt32LE(e.length);
    return [l, e];
  }));
}
