/**
 * Writes valid .onnx files from code: a generic graph builder plus ready-made MLP, Identity
 * and Add models. Used by tests, benchmarks, the demo trainer and the registry.
 */
import { modelProtoType, ONNX_ELEM_TYPE_BY_OIP } from './onnx-schema.js';

/** A graph input or output: dims of -1 or a string are dynamic (a string names the dim). */
export interface OnnxTensorSpec {
  name: string;
  datatype: string;
  shape: ReadonlyArray<number | string>;
}

/** A node attribute value, tagged with its ONNX attribute type. */
export type OnnxAttribute =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: readonly number[] }
  | { type: 'floats'; value: readonly number[] };

/** One operator in the graph. */
export interface OnnxNodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** Numeric typed arrays accepted as initializer data. */
export type OnnxNumericArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** A constant tensor (weights). FP16 data is given as raw IEEE half bits in a Uint16Array. */
export interface OnnxInitializerSpec {
  name: string;
  datatype: string;
  dims: readonly number[];
  data: OnnxNumericArray | readonly string[];
}

/** A whole model. */
export interface OnnxGraphSpec {
  inputs: readonly OnnxTensorSpec[];
  outputs: readonly OnnxTensorSpec[];
  nodes: readonly OnnxNodeSpec[];
  initializers?: readonly OnnxInitializerSpec[];
  /** Default opset of the ai.onnx domain; 13 unless given. */
  opset?: number;
  graphName?: string;
  producerName?: string;
  docString?: string;
}

const ATTRIBUTE_TYPE_CODE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

function elemType(datatype: string, where: string): number {
  const code = ONNX_ELEM_TYPE_BY_OIP[datatype];
  if (code === undefined) throw new Error(`${where}: unsupported datatype '${datatype}'`);
  return code;
}

function valueInfo(t: OnnxTensorSpec): object {
  return {
    name: t.name,
    type: {
      tensor_type: {
        elem_type: elemType(t.datatype, `tensor '${t.name}'`),
        shape: {
          dim: t.shape.map((d) =>
            typeof d === 'string' ? { dim_param: d } : d < 0 ? { dim_param: `${t.name}_dim` } : { dim_value: d }),
        },
      },
    },
  };
}

function attribute(name: string, a: OnnxAttribute): object {
  const base = { name, type: ATTRIBUTE_TYPE_CODE[a.type] };
  switch (a.type) {
    case 'int': return { ...base, i: a.value };
    case 'float': return { ...base, f: a.value };
    case 'string': return { ...base, s: Buffer.from(a.value, 'utf8') };
    case 'ints': return { ...base, ints: [...a.value] };
    case 'floats': return { ...base, floats: [...a.value] };
  }
}

function initializer(t: OnnxInitializerSpec): object {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new Error(`initializer '${t.name}': ${t.data.length} values but dims [${t.dims.join(',')}] need ${count}`);
  }
  const base = { name: t.name, dims: [...t.dims], data_type: elemType(t.datatype, `initializer '${t.name}'`) };
  if (t.datatype === 'BYTES') {
    if (!Array.isArray(t.data)) throw new Error(`initializer '${t.name}': BYTES data must be a string array`);
    return { ...base, string_data: (t.data as string[]).map((s) => Buffer.from(s, 'utf8')) };
  }
  const arr = t.data as OnnxNumericArray;
  // raw_data is little-endian; every supported host (x64/arm64) is little-endian too.
  return { ...base, raw_data: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) };
}

/** Serializes a graph spec into .onnx bytes (ir_version 8, ai.onnx opset 13 by default). */
export function buildOnnxModel(spec: OnnxGraphSpec): Uint8Array {
  const model = {
    ir_version: 8,
    opset_import: [{ domain: '', version: spec.opset ?? 13 }],
    producer_name: spec.producerName ?? 'capstan',
    producer_version: '0.1.0',
    doc_string: spec.docString ?? '',
    graph: {
      name: spec.graphName ?? 'capstan_graph',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.opType.toLowerCase()}_${i}`,
        op_type: n.opType,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(initializer),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
  const type = modelProtoType();
  return type.encode(type.fromObject(model)).finish();
}

/** One dense layer of an MLP. */
export interface MlpLayerSpec {
  /** Row-major [in, out] (or [out, in] when `transposed`, as PyTorch stores Linear weights). */
  weights: Float32Array;
  bias: Float32Array;
  out: number;
  activation: 'relu' | 'none' | 'softmax';
  transposed?: boolean;
}

/** Options of buildMlpOnnx. The batch dimension is dynamic, named 'batch'. */
export interface MlpSpec {
  inputName?: string;
  inputSize: number;
  layers: readonly MlpLayerSpec[];
  outputName?: string;
}

/** Builds an FP32 multilayer perceptron (Gemm + activation per layer) with a dynamic batch dim. */
export function buildMlpOnnx(spec: MlpSpec): Uint8Array {
  const inputName = spec.inputName ?? 'input';
  const outputName = spec.outputName ?? 'output';
  if (spec.layers.length === 0) throw new Error('buildMlpOnnx: at least one layer is required');
  const nodes: OnnxNodeSpec[] = [];
  const inits: OnnxInitializerSpec[] = [];
  let current = inputName;
  let width = spec.inputSize;
  spec.layers.forEach((layer, i) => {
    if (layer.weights.length !== width * layer.out) {
      throw new Error(`buildMlpOnnx: layer ${i} weights have ${layer.weights.length} values, expected ${width}x${layer.out}`);
    }
    if (layer.bias.length !== layer.out) {
      throw new Error(`buildMlpOnnx: layer ${i} bias has ${layer.bias.length} values, expected ${layer.out}`);
    }
    const last = i === spec.layers.length - 1;
    const gemmOut = last && layer.activation === 'none' ? outputName : `layer${i}_linear`;
    inits.push({ name: `layer${i}_W`, datatype: 'FP32', dims: layer.transposed ? [layer.out, width] : [width, layer.out], data: layer.weights });
    inits.push({ name: `layer${i}_b`, datatype: 'FP32', dims: [layer.out], data: layer.bias });
    nodes.push({
      opType: 'Gemm', inputs: [current, `layer${i}_W`, `layer${i}_b`], outputs: [gemmOut],
      attributes: { transB: { type: 'int', value: layer.transposed ? 1 : 0 } },
    });
    current = gemmOut;
    if (layer.activation !== 'none') {
      const actOut = last ? outputName : `layer${i}_act`;
      nodes.push(layer.activation === 'relu'
        ? { opType: 'Relu', inputs: [current], outputs: [actOut] }
        : { opType: 'Softmax', inputs: [current], outputs: [actOut], attributes: { axis: { type: 'int', value: -1 } } });
      current = actOut;
    }
    width = layer.out;
  });
  return buildOnnxModel({
    inputs: [{ name: inputName, datatype: 'FP32', shape: ['batch', spec.inputSize] }],
    outputs: [{ name: outputName, datatype: 'FP32', shape: ['batch', width] }],
    nodes,
    initializers: inits,
    graphName: 'mlp',
  });
}

/** Options of the single-operator test models. */
export interface SimpleModelSpec {
  datatype: string;
  /** Defaults to ['batch', 4]. */
  shape?: ReadonlyArray<number | string>;
}

/** Builds `output = Identity(input)` for any datatype (BYTES included). */
export function buildIdentityOnnx(spec: SimpleModelSpec & { inputName?: string; outputName?: string }): Uint8Array {
  const shape = spec.shape ?? ['batch', 4];
  const inputName = spec.inputName ?? 'input';
  const outputName = spec.outputName ?? 'output';
  return buildOnnxModel({
    inputs: [{ name: inputName, datatype: spec.datatype, shape }],
    outputs: [{ name: outputName, datatype: spec.datatype, shape }],
    nodes: [{ opType: 'Identity', inputs: [inputName], outputs: [outputName] }],
    graphName: `identity_${spec.datatype.toLowerCase()}`,
  });
}

/** Builds `sum = a + b` (opset 14) for every numeric datatype; BOOL and BYTES have no Add and throw. */
export function buildAddOnnx(spec: SimpleModelSpec): Uint8Array {
  if (spec.datatype === 'BOOL' || spec.datatype === 'BYTES') throw new Error(`buildAddOnnx: ONNX Add does not accept ${spec.datatype}`);
  const shape = spec.shape ?? ['batch', 4];
  return buildOnnxModel({
    inputs: [{ name: 'a', datatype: spec.datatype, shape }, { name: 'b', datatype: spec.datatype, shape }],
    outputs: [{ name: 'sum', datatype: spec.datatype, shape }],
    nodes: [{ opType: 'Add', inputs: ['a', 'b'], outputs: ['sum'] }],
    graphName: `add_${spec.datatype.toLowerCase()}`,
    opset: 14,
  });
}
