/**
 * Converts tensor data between wire forms (JSON arrays, raw little-endian bytes, length-prefixed
 * BYTES) and the typed arrays onnxruntime consumes. Every failure names the tensor and problem.
 */
import { badRequest } from './infer-error.js';
import { DATATYPES, type Datatype, type TensorData, type TypedTensorArray } from './tensor-datatypes.js';
import { fromHalfBits, toHalfBits } from './fp16.js';

function flatten(data: unknown[], name: string): unknown[] {
  if (data.length === 0 || !Array.isArray(data[0])) return data;
  const out: unknown[] = [];
  const walk = (a: unknown[], depth: number): void => {
    if (depth > 32) throw badRequest(`input '${name}': 'data' is nested too deeply`);
    for (const v of a) {
      if (Array.isArray(v)) walk(v, depth + 1);
      else out.push(v);
    }
  };
  walk(data, 0);
  return out;
}

/** Decodes a JSON `data` array (flat or nested) into tensor data with exactly `count` elements. */
export function jsonToTensorData(name: string, datatype: Datatype, count: number, data: unknown): TensorData {
  if (!Array.isArray(data)) throw badRequest(`input '${name}': 'data' must be an array`);
  const flat = flatten(data, name);
  if (flat.length !== count) {
    throw badRequest(`input '${name}': 'data' has ${flat.length} elements but the shape needs ${count}`);
  }
  const info = DATATYPES[datatype];
  if (datatype === 'BYTES') {
    // JSON carries strings; the element's bytes are their UTF-8 encoding.
    const out = new Array<Buffer>(count);
    for (let i = 0; i < count; i++) {
      const v = flat[i];
      if (typeof v !== 'string') throw badRequest(`input '${name}': element ${i} of BYTES data must be a string`);
      out[i] = Buffer.from(v, 'utf8');
    }
    return out;
  }
  const ctor = info.ctor!;
  const arr = new ctor(count);
  if (datatype === 'BOOL') {
    const a = arr as Uint8Array;
    for (let i = 0; i < count; i++) {
      const v = flat[i];
      if (v === true || v === 1) a[i] = 1;
      else if (v === false || v === 0) a[i] = 0;
      else throw badRequest(`input '${name}': element ${i} of BOOL data must be true or false`);
    }
    return a;
  }
  if (datatype === 'FP32' || datatype === 'FP64') {
    const a = arr as Float32Array;
    for (let i = 0; i < count; i++) {
      const v = flat[i];
      if (typeof v !== 'number') throw badRequest(`input '${name}': element ${i} of ${datatype} data must be a number`);
      a[i] = v;
    }
    return a;
  }
  if (datatype === 'FP16') {
    const a = arr as Uint16Array;
    for (let i = 0; i < count; i++) {
      const v = flat[i];
      if (typeof v !== 'number') throw badRequest(`input '${name}': element ${i} of FP16 data must be a number`);
      a[i] = toHalfBits(v);
    }
    return a;
  }
  const min = info.min!;
  const max = info.max!;
  for (let i = 0; i < count; i++) {
    const v = flat[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw badRequest(`input '${name}': element ${i} of ${datatype} data must be an integer in [${min}, ${max}]`);
    }
  }
  if (info.bigint) {
    const a = arr as BigInt64Array;
    for (let i = 0; i < count; i++) a[i] = BigInt(flat[i] as number);
    return a;
  }
  const a = arr as Int32Array;
  for (let i = 0; i < count; i++) a[i] = flat[i] as number;
  return a;
}

/** Decodes raw bytes (binary extension / gRPC raw contents) into tensor data of `count` elements, without copying when aligned. */
export function bytesToTensorData(name: string, datatype: Datatype, count: number, bytes: Uint8Array): TensorData {
  const info = DATATYPES[datatype];
  if (datatype === 'BYTES') return decodeBytesElements(name, count, bytes);
  const expected = count * info.size;
  if (bytes.byteLength !== expected) {
    throw badRequest(`input '${name}': ${bytes.byteLength} bytes of ${datatype} data but the shape needs ${expected}`);
  }
  const ctor = info.ctor!;
  if (bytes.byteOffset % info.size === 0) return new ctor(bytes.buffer, bytes.byteOffset, count);
  // Misaligned views cannot back a typed array; one copy into fresh memory.
  const copy = new Uint8Array(expected);
  copy.set(bytes);
  return new ctor(copy.buffer, 0, count);
}

/** Parses BYTES elements (4-byte little-endian length, then the bytes), rejecting lying prefixes; elements are views of `bytes`. */
export function decodeBytesElements(name: string, count: number, bytes: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off < buf.length) {
    if (out.length >= count) throw badRequest(`input '${name}': BYTES data holds more than the ${count} elements the shape needs`);
    if (off + 4 > buf.length) throw badRequest(`input '${name}': BYTES element ${out.length} has a truncated length prefix`);
    const len = buf.readUInt32LE(off);
    off += 4;
    if (len > buf.length - off) {
      throw badRequest(`input '${name}': BYTES element ${out.length} claims ${len} bytes but only ${buf.length - off} remain`);
    }
    out.push(buf.subarray(off, off + len));
    off += len;
  }
  if (out.length !== count) throw badRequest(`input '${name}': BYTES data has ${out.length} elements but the shape needs ${count}`);
  return out;
}

/** Encodes tensor data as raw bytes; a zero-copy view for typed arrays. */
export function tensorDataToBytes(data: TensorData): Buffer {
  if (Array.isArray(data)) {
    let total = 0;
    for (const e of data) total += 4 + e.byteLength;
    const out = Buffer.allocUnsafe(total);
    let off = 0;
    for (const e of data) {
      out.writeUInt32LE(e.byteLength, off);
      out.set(e, off + 4);
      off += 4 + e.byteLength;
    }
    return out;
  }
  const t = data as TypedTensorArray;
  return Buffer.from(t.buffer, t.byteOffset, t.byteLength);
}

/**
 * Converts tensor data to a flat JSON-able array (FP16 bits become numbers, 64-bit ints numbers,
 * BYTES elements strings decoded as UTF-8: bytes that are not UTF-8 need binary output to stay exact).
 */
export function tensorDataToJson(datatype: Datatype, data: TensorData): unknown[] {
  if (Array.isArray(data)) return data.map((e) => Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString('utf8'));
  if (datatype === 'FP16') return Array.from(data as Uint16Array, fromHalfBits);
  if (datatype === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  if (DATATYPES[datatype].bigint) return Array.from(data as BigInt64Array, Number);
  return Array.from(data as Float32Array);
}
