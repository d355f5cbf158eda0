/** Reads the interface (opset, inputs, outputs) of an .onnx model without running it. */
import { modelProtoType, oipDatatypeOfElemType } from './onnx-schema.js';

/** One graph input or output as the Open Inference Protocol describes it (-1 = dynamic dim). */
export interface OnnxTensorInfo {
  name: string;
  datatype: string;
  shape: number[];
}

/** What inspectOnnx reports. */
export interface OnnxModelInfo {
  irVersion: number;
  opset: number;
  producerName: string;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
}

interface LongLike { low: number; high: number }
type IntField = number | LongLike | null | undefined;

function toNumber(v: IntField): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  return v.high * 0x100000000 + (v.low >>> 0);
}

interface DecodedValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: Array<{ dim_value?: IntField; dim_param?: string }> } } };
}
interface DecodedModel {
  ir_version?: IntField;
  opset_import?: Array<{ domain?: string; version?: IntField }>;
  producer_name?: string;
  graph?: { input?: DecodedValueInfo[]; output?: DecodedValueInfo[]; initializer?: Array<{ name?: string }>; node?: unknown[] };
}

function tensorInfo(v: DecodedValueInfo, role: string): OnnxTensorInfo {
  const name = v.name ?? '';
  const tt = v.type?.tensor_type;
  if (!name) throw new Error(`not a valid ONNX model: a graph ${role} has no name`);
  if (!tt) throw new Error(`not a valid ONNX model: graph ${role} '${name}' is not a tensor`);
  const datatype = oipDatatypeOfElemType(tt.elem_type ?? 0);
  if (!datatype) throw new Error(`graph ${role} '${name}' has unsupported element type ${tt.elem_type ?? 0}`);
  const shape = (tt.shape?.dim ?? []).map((d) => {
    const n = toNumber(d.dim_value);
    return d.dim_value !== undefined && d.dim_value !== null && !d.dim_param && n > 0 ? n : -1;
  });
  return { name, datatype, shape };
}

/** Decodes .onnx bytes and reports opset and tensors; throws a clear Error if they are not an ONNX model. */
export function inspectOnnx(bytes: Uint8Array): OnnxModelInfo {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new Error('not a valid ONNX model: empty input');
  let m: DecodedModel;
  try {
    m = modelProtoType().decode(bytes) as unknown as DecodedModel;
  } catch (err) {
    throw new Error(`not a valid ONNX model: protobuf decoding failed (${(err as Error).message})`);
  }
  const irVersion = toNumber(m.ir_version);
  if (irVersion <= 0 || irVersion > 100) throw new Error(`not a valid ONNX model: ir_version ${irVersion} is missing or invalid`);
  if (!m.graph) throw new Error('not a valid ONNX model: no graph');
  const opsetEntry = (m.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opsetEntry) throw new Error('not a valid ONNX model: no ai.onnx opset_import');
  const initNames = new Set((m.graph.initializer ?? []).map((i) => i.name));
  // Older exporters list initializers among graph inputs; they are not real inputs.
  const inputs = (m.graph.input ?? []).filter((i) => !initNames.has(i.name)).map((i) => tensorInfo(i, 'input'));
  const outputs = (m.graph.output ?? []).map((o) => tensorInfo(o, 'output'));
  if (outputs.length === 0) throw new Error('not a valid ONNX model: graph has no outputs');
  return { irVersion, opset: toNumber(opsetEntry.version), producerName: m.producer_name ?? '', inputs, outputs };
}
