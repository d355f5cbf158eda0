/** Converts decoded ModelInferRequest messages into protocol-neutral requests, and results back into responses. */
import { badRequest } from './infer-error.js';
import type { InferInput, InferParameterValue, InferRequest, InferResult } from './infer-types.js';
import { bytesToTensorData, tensorDataToBytes } from './tensor-codec.js';
import { DATATYPES, elementCount, isDatatype, type Datatype, type TensorData } from './tensor-datatypes.js';

interface LongLike { toString(): string }
type Int64 = number | LongLike;

interface GrpcParameter { bool_param?: boolean; int64_param?: Int64; string_param?: string; parameter_choice?: string }
interface GrpcContents {
  bool_contents?: boolean[]; int_contents?: number[]; int64_contents?: Int64[]; uint_contents?: number[];
  uint64_contents?: Int64[]; fp32_contents?: number[]; fp64_contents?: number[]; bytes_contents?: Uint8Array[];
}
/** A decoded ModelInferRequest as protobufjs yields it. */
export interface GrpcInferRequestMessage {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, GrpcParameter>;
  inputs?: Array<{ name?: string; datatype?: string; shape?: Int64[]; parameters?: Record<string, GrpcParameter>; contents?: GrpcContents | null }>;
  outputs?: Array<{ name?: string }>;
  raw_input_contents?: Uint8Array[];
}

function toNum(v: Int64): number {
  return typeof v === 'number' ? v : Number(v.toString());
}

function paramValue(p: GrpcParameter): InferParameterValue {
  if (p.parameter_choice === 'bool_param') return p.bool_param ?? false;
  if (p.parameter_choice === 'int64_param') return toNum(p.int64_param ?? 0);
  return p.string_param ?? '';
}

function contentsLength(c: GrpcContents): number {
  let n = 0;
  for (const v of Object.values(c)) if (Array.isArray(v)) n += v.length;
  return n;
}

function typedContents(name: string, datatype: Datatype, count: number, c: GrpcContents): TensorData {
  const pick = <T>(field: keyof GrpcContents, arr: T[] | undefined): T[] => {
    const a = arr ?? [];
    if (a.length !== count) throw badRequest(`input '${name}': ${field} has ${a.length} elements but the shape needs ${count}`);
    return a;
  };
  const info = DATATYPES[datatype];
  switch (datatype) {
    case 'FP16': throw badRequest(`input '${name}': FP16 data must be sent in raw_input_contents`);
    case 'BYTES': return pick('bytes_contents', c.bytes_contents).map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    case 'BOOL': return Uint8Array.from(pick('bool_contents', c.bool_contents), (b) => (b ? 1 : 0));
    case 'FP32': return Float32Array.from(pick('fp32_contents', c.fp32_contents));
    case 'FP64': return Float64Array.from(pick('fp64_contents', c.fp64_contents));
    case 'INT64': return BigInt64Array.from(pick('int64_contents', c.int64_contents), (v) => BigInt(v.toString()));
    case 'UINT64': return BigUint64Array.from(pick('uint64_contents', c.uint64_contents), (v) => BigInt(v.toString()));
    default: {
      const signed = datatype.startsWith('INT');
      const src = signed ? pick('int_contents', c.int_contents) : pick('uint_contents', c.uint_contents);
      for (let i = 0; i < src.length; i++) {
        if (src[i] < info.min! || src[i] > info.max!) throw badRequest(`input '${name}': element ${i} (${src[i]}) is out of range for ${datatype}`);
      }
      const out = new info.ctor!(count) as Int32Array;
      out.set(src);
      return out;
    }
  }
}

/** Validates a decoded ModelInferRequest and converts it; errors name the tensor and problem. */
export function grpcToInferRequest(m: GrpcInferRequestMessage): InferRequest {
  const raws = m.raw_input_contents ?? [];
  const inputsMsg = m.inputs ?? [];
  if (inputsMsg.length === 0) throw badRequest('inputs must not be empty');
  if (raws.length > 0 && raws.length !== inputsMsg.length) {
    throw badRequest(`raw_input_contents has ${raws.length} entries but there are ${inputsMsg.length} inputs`);
  }
  const inputs: InferInput[] = inputsMsg.map((t, i) => {
    const name = t.name ?? '';
    if (!name) throw badRequest(`inputs[${i}].name must not be empty`);
    if (!isDatatype(t.datatype)) throw badRequest(`input '${name}': unknown datatype '${t.datatype ?? ''}'`);
    const shape = (t.shape ?? []).map(toNum);
    const count = elementCount(shape, 0x7fffffff);
    if (count < 0) throw badRequest(`input '${name}': shape [${shape.join(',')}] must be non-negative integers with a product under 2^31`);
    const hasContents = !!t.contents && contentsLength(t.contents) > 0;
    if (raws.length > 0) {
      if (hasContents) throw badRequest(`input '${name}': contents must not be set when raw_input_contents is used`);
      return { name, datatype: t.datatype, shape, data: bytesToTensorData(name, t.datatype, count, raws[i]) };
    }
    return { name, datatype: t.datatype, shape, data: typedContents(name, t.datatype, count, t.contents ?? {}) };
  });
  const parameters: Record<string, InferParameterValue> = {};
  for (const [k, p] of Object.entries(m.parameters ?? {})) parameters[k] = paramValue(p);
  const outputs = (m.outputs ?? []).map((o, i) => {
    if (!o.name) throw badRequest(`outputs[${i}].name must not be empty`);
    return { name: o.name };
  });
  return { id: m.id || undefined, parameters, inputs, outputs: outputs.length > 0 ? outputs : undefined };
}

/** Builds a ModelInferResponse (plain object for protobufjs) with raw_output_contents. */
export function inferResultToGrpc(result: InferResult, id: string | undefined): object {
  return {
    model_name: result.modelName,
    model_version: result.modelVersion,
    id: id ?? '',
    outputs: result.outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape })),
    raw_output_contents: result.outputs.map((o) => tensorDataToBytes(o.data)),
  };
}
