/** KServe V1 (TF-Serving style) predict: `instances` (row form) or `inputs` (columnar) in, `predictions` out. */
import { badRequest } from './infer-error.js';
import type { InferInput, InferRequest, InferResult, TensorMetadata } from './infer-types.js';
import { jsonToTensorData, tensorDataToJson } from './tensor-codec.js';
import { elementCount } from './tensor-datatypes.js';

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function tensorFrom(meta: TensorMetadata, value: unknown, where: string): InferInput {
  const shape = shapeOf(value);
  const count = elementCount(shape, 0x7fffffff);
  if (shape.length === 0 || count < 0) throw badRequest(`${where}: must be a (nested) array`);
  return { name: meta.name, datatype: meta.datatype, shape, data: jsonToTensorData(meta.name, meta.datatype, count, value) };
}

/** Turns a V1 predict body into a protocol-neutral request for a model with these inputs. */
export function decodeV1Predict(doc: unknown, inputs: readonly TensorMetadata[]): InferRequest {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw badRequest('request body must be a JSON object');
  const body = doc as Record<string, unknown>;
  if (body.instances !== undefined) {
    const inst = body.instances;
    if (!Array.isArray(inst) || inst.length === 0) throw badRequest("'instances' must be a non-empty array");
    const isNamed = typeof inst[0] === 'object' && inst[0] !== null && !Array.isArray(inst[0]);
    if (!isNamed) {
      if (inputs.length !== 1) throw badRequest(`'instances' rows must be objects naming the model's ${inputs.length} inputs`);
      return { inputs: [tensorFrom(inputs[0], inst, "'instances'")] };
    }
    return {
      inputs: inputs.map((meta) => {
        const column = inst.map((row: unknown, i: number) => {
          if (typeof row !== 'object' || row === null || Array.isArray(row)) throw badRequest(`instances[${i}] must be an object`);
          const v = (row as Record<string, unknown>)[meta.name];
          if (v === undefined) throw badRequest(`instances[${i}] is missing input '${meta.name}'`);
          return v;
        });
        return tensorFrom(meta, column, `input '${meta.name}'`);
      }),
    };
  }
  if (body.inputs !== undefined) {
    const cols = body.inputs;
    if (Array.isArray(cols)) {
      if (inputs.length !== 1) throw badRequest(`'inputs' must be an object naming the model's ${inputs.length} inputs`);
      return { inputs: [tensorFrom(inputs[0], cols, "'inputs'")] };
    }
    if (typeof cols !== 'object' || cols === null) throw badRequest("'inputs' must be an array or an object");
    return {
      inputs: inputs.map((meta) => {
        const v = (cols as Record<string, unknown>)[meta.name];
        if (v === undefined) throw badRequest(`'inputs' is missing '${meta.name}'`);
        return tensorFrom(meta, v, `input '${meta.name}'`);
      }),
    };
  }
  throw badRequest("request needs 'instances' or 'inputs'");
}

function nest(flat: unknown[], shape: readonly number[], offset = 0, dim = 0): unknown {
  if (dim === shape.length) return flat[offset];
  const stride = elementCount(shape.slice(dim + 1));
  const out = new Array(shape[dim]);
  for (let i = 0; i < shape[dim]; i++) out[i] = nest(flat, shape, offset + i * stride, dim + 1);
  return out;
}

/** Builds `{predictions}`: one entry per row; rows are objects when the model has several outputs. */
export function encodeV1Predictions(result: InferResult): { predictions: unknown[] } {
  const nested = result.outputs.map((o) => {
    const n = nest(tensorDataToJson(o.datatype, o.data), o.shape);
    return { name: o.name, rows: Array.isArray(n) ? n : [n] };
  });
  if (nested.length === 1) return { predictions: nested[0].rows };
  const rows = nested[0]?.rows.length ?? 0;
  const predictions = [];
  for (let i = 0; i < rows; i++) predictions.push(Object.fromEntries(nested.map((o) => [o.name, o.rows[i]])));
  return { predictions };
}
