/**
 * Decodes OIP v2 REST inference bodies (JSON, or JSON + binary tensor data per Triton's binary
 * extension) and encodes responses. Binary inputs become views of the body, not copies.
 */
import { badRequest } from './infer-error.js';
import type { InferInput, InferParameterValue, InferRequest, InferResult, RequestedOutput } from './infer-types.js';
import { bytesToTensorData, jsonToTensorData, tensorDataToBytes, tensorDataToJson } from './tensor-codec.js';
import { elementCount, isDatatype } from './tensor-datatypes.js';

/** Header naming the length of the JSON part of a binary-extension body. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

/** A decoded REST request plus whether outputs default to binary. */
export interface RestInferRequest extends InferRequest {
  binaryOutputByDefault: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseParameters(v: unknown, where: string): Record<string, InferParameterValue> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw badRequest(`${where}: 'parameters' must be an object`);
  for (const [k, p] of Object.entries(v)) {
    if (typeof p !== 'boolean' && typeof p !== 'number' && typeof p !== 'string') {
      throw badRequest(`${where}: parameter '${k}' must be a boolean, number or string`);
    }
  }
  return v as Record<string, InferParameterValue>;
}

/** Parses and validates the JSON header of an inference request (no model knowledge needed). */
export function decodeRestInferRequest(body: Buffer, headerLength: number | undefined): RestInferRequest {
  let jsonEnd = body.length;
  if (headerLength !== undefined) {
    if (!Number.isInteger(headerLength) || headerLength < 0 || headerLength > body.length) {
      throw badRequest(`Inference-Header-Content-Length ${headerLength} is not within the body of ${body.length} bytes`);
    }
    jsonEnd = headerLength;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8', 0, jsonEnd));
  } catch (err) {
    throw badRequest(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw badRequest('request body must be a JSON object');
  if (doc.id !== undefined && typeof doc.id !== 'string') throw badRequest("'id' must be a string");
  const parameters = parseParameters(doc.parameters, 'request');
  const binaryDefault = parameters?.binary_data_output;
  if (binaryDefault !== undefined && typeof binaryDefault !== 'boolean') throw badRequest("parameter 'binary_data_output' must be a boolean");
  if (!Array.isArray(doc.inputs) || doc.inputs.length === 0) throw badRequest("'inputs' must be a non-empty array");

  let offset = jsonEnd;
  const inputs: InferInput[] = doc.inputs.map((raw: unknown, i: number): InferInput => {
    if (!isObject(raw)) throw badRequest(`inputs[${i}] must be an object`);
    const name = raw.name;
    if (typeof name !== 'string' || name === '') throw badRequest(`inputs[${i}].name must be a non-empty string`);
    const { datatype, shape } = raw;
    if (!isDatatype(datatype)) throw badRequest(`input '${name}': unknown datatype ${JSON.stringify(datatype)}`);
    if (!Array.isArray(shape)) throw badRequest(`input '${name}': 'shape' must be an array of non-negative integers`);
    const count = elementCount(shape as number[], 0x7fffffff);
    if (count < 0) throw badRequest(`input '${name}': shape ${JSON.stringify(shape)} must be non-negative integers with a product under 2^31`);
    const params = parseParameters(raw.parameters, `input '${name}'`);
    const size = params?.binary_data_size;
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw badRequest(`input '${name}': binary_data_size must be a non-negative integer`);
      if (headerLength === undefined) throw badRequest(`input '${name}': binary_data_size given but the Inference-Header-Content-Length header is missing`);
      if (offset + size > body.length) {
        throw badRequest(`input '${name}': binary_data_size ${size} runs past the end of the body (${body.length - offset} bytes left)`);
      }
      const bytes = body.subarray(offset, offset + size);
      offset += size;
      return { name, datatype, shape: shape as number[], data: bytesToTensorData(name, datatype, count, bytes) };
    }
    if (raw.data === undefined) throw badRequest(`input '${name}': neither 'data' nor binary_data_size is given`);
    return { name, datatype, shape: shape as number[], data: jsonToTensorData(name, datatype, count, raw.data) };
  });
  if (offset !== body.length) {
    throw badRequest(`binary data sizes add up to ${offset - jsonEnd} bytes but ${body.length - jsonEnd} bytes follow the JSON header`);
  }

  let outputs: RequestedOutput[] | undefined;
  if (doc.outputs !== undefined && doc.outputs !== null) {
    if (!Array.isArray(doc.outputs)) throw badRequest("'outputs' must be an array");
    outputs = doc.outputs.map((raw: unknown, i: number): RequestedOutput => {
      if (!isObject(raw) || typeof raw.name !== 'string') throw badRequest(`outputs[${i}].name must be a string`);
      const p = parseParameters(raw.parameters, `output '${raw.name}'`);
      const binary = p?.binary_data;
      if (binary !== undefined && typeof binary !== 'boolean') throw badRequest(`output '${raw.name}': binary_data must be a boolean`);
      return { name: raw.name, binary };
    });
    if (outputs.length === 0) outputs = undefined;
  }
  return { id: doc.id as string | undefined, parameters, inputs, outputs, binaryOutputByDefault: binaryDefault === true };
}

/** An encoded response: the JSON part, the binary tensors after it, and the headers that go with them. */
export interface EncodedRestResponse {
  json: string;
  /** UTF-8 length of `json`. */
  jsonBytes: number;
  blobs: Buffer[];
  /** Total body bytes. */
  length: number;
  headers: Record<string, string>;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Encodes a result as JSON, or JSON + binary tensors when any output is to be binary. */
export function encodeRestInferResponse(result: InferResult, req: RestInferRequest): EncodedRestResponse {
  let binaryOf: Map<string, boolean> | undefined;
  if (req.outputs) {
    for (const o of req.outputs) if (o.binary !== undefined) (binaryOf ??= new Map()).set(o.name, o.binary);
  }
  const blobs: Buffer[] = [];
  const outputs = result.outputs.map((o) => {
    if (binaryOf?.get(o.name) ?? req.binaryOutputByDefault) {
      const b = tensorDataToBytes(o.data);
      blobs.push(b);
      return { name: o.name, datatype: o.datatype, shape: o.shape, parameters: { binary_data_size: b.length } };
    }
    return { name: o.name, datatype: o.datatype, shape: o.shape, data: tensorDataToJson(o.datatype, o.data) };
  });
  const doc: Record<string, unknown> = { model_name: result.modelName, model_version: result.modelVersion };
  if (req.id !== undefined) doc.id = req.id;
  doc.outputs = outputs;
  const json = JSON.stringify(doc);
  const jsonBytes = NON_ASCII.test(json) ? Buffer.byteLength(json, 'utf8') : json.length;
  if (blobs.length === 0) {
    return { json, jsonBytes, blobs, length: jsonBytes, headers: { 'content-type': 'application/json' } };
  }
  let length = jsonBytes;
  for (const b of blobs) length += b.length;
  return {
    json, jsonBytes, blobs, length,
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(jsonBytes) },
  };
}

/** The whole body as a latin1 string (one character per byte), so it can go out in one write with the head. */
export function restResponseLatin1(enc: EncodedRestResponse): string {
  let body = enc.jsonBytes === enc.json.length ? enc.json : Buffer.from(enc.json, 'utf8').toString('latin1');
  for (const b of enc.blobs) body += b.toString('latin1');
  return body;
}

/** The whole body as buffers. */
export function restResponseChunks(enc: EncodedRestResponse): Buffer[] {
  return [Buffer.from(enc.json, 'utf8'), ...enc.blobs];
}

/** Splits a binary-extension response into its JSON header and the binary tensors by name (used by clients and tests). */
export function decodeRestInferResponse(body: Buffer, headerLength?: number): { json: Record<string, unknown>; binary: Map<string, Buffer> } {
  const end = headerLength ?? body.length;
  const json = JSON.parse(body.toString('utf8', 0, end)) as Record<string, unknown>;
  const binary = new Map<string, Buffer>();
  let off = end;
  for (const o of (json.outputs ?? []) as Array<{ name: string; parameters?: { binary_data_size?: number } }>) {
    const n = o.parameters?.binary_data_size;
    if (n === undefined) continue;
    binary.set(o.name, body.subarray(off, off + n));
    off += n;
  }
  return { json, binary };
}
