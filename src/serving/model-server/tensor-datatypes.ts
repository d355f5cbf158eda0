/** The Open Inference Protocol datatypes and how each maps to onnxruntime tensors and bytes. */

/** Typed arrays that carry tensor data. */
export type TypedTensorArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** Tensor data: a typed array, or one byte string per element for BYTES (exact bytes, never decoded). */
export type TensorData = TypedTensorArray | Uint8Array[];

/** An OIP datatype name. */
export type Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

type TypedCtor = { new(length: number): TypedTensorArray; new(buffer: ArrayBufferLike, byteOffset: number, length: number): TypedTensorArray };

/** Per-datatype facts. */
export interface DatatypeInfo {
  /** onnxruntime tensor type name. */
  ort: string;
  /** Bytes per element; 0 for BYTES (variable). */
  size: number;
  ctor?: TypedCtor;
  /** Integer range for validating JSON numbers. */
  min?: number;
  max?: number;
  bigint?: boolean;
}

/** Everything the server knows about each datatype. */
export const DATATYPES: Readonly<Record<Datatype, DatatypeInfo>> = Object.freeze({
  BOOL: { ort: 'bool', size: 1, ctor: Uint8Array as unknown as TypedCtor, min: 0, max: 1 },
  UINT8: { ort: 'uint8', size: 1, ctor: Uint8Array as unknown as TypedCtor, min: 0, max: 0xff },
  UINT16: { ort: 'uint16', size: 2, ctor: Uint16Array as unknown as TypedCtor, min: 0, max: 0xffff },
  UINT32: { ort: 'uint32', size: 4, ctor: Uint32Array as unknown as TypedCtor, min: 0, max: 0xffffffff },
  UINT64: { ort: 'uint64', size: 8, ctor: BigUint64Array as unknown as TypedCtor, min: 0, max: 2 ** 64 - 1, bigint: true },
  INT8: { ort: 'int8', size: 1, ctor: Int8Array as unknown as TypedCtor, min: -0x80, max: 0x7f },
  INT16: { ort: 'int16', size: 2, ctor: Int16Array as unknown as TypedCtor, min: -0x8000, max: 0x7fff },
  INT32: { ort: 'int32', size: 4, ctor: Int32Array as unknown as TypedCtor, min: -0x80000000, max: 0x7fffffff },
  INT64: { ort: 'int64', size: 8, ctor: BigInt64Array as unknown as TypedCtor, min: -(2 ** 63), max: 2 ** 63 - 1, bigint: true },
  FP16: { ort: 'float16', size: 2, ctor: Uint16Array as unknown as TypedCtor },
  FP32: { ort: 'float32', size: 4, ctor: Float32Array as unknown as TypedCtor },
  FP64: { ort: 'float64', size: 8, ctor: Float64Array as unknown as TypedCtor },
  BYTES: { ort: 'string', size: 0 },
});

/** True if `s` is a datatype name this server supports. */
export function isDatatype(s: unknown): s is Datatype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DATATYPES, s);
}

const OIP_BY_ORT: Record<string, Datatype> = Object.fromEntries(
  Object.entries(DATATYPES).map(([k, v]) => [v.ort, k as Datatype]),
);

/** Maps an onnxruntime tensor type ('float32', ...) to the OIP datatype, or undefined. */
export function datatypeOfOrtType(ortType: string): Datatype | undefined {
  return OIP_BY_ORT[ortType];
}

/** Product of dims; -1 if any dim is invalid or the count exceeds `limit`. */
export function elementCount(shape: readonly number[], limit = Number.MAX_SAFE_INTEGER): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) return -1;
    n *= d;
    if (n > limit) return -1;
  }
  return n;
}
