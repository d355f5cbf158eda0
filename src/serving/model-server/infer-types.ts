/** Protocol-neutral inference request/response shapes shared by REST, gRPC and V1 front ends. */
import type { Datatype, TensorData } from './tensor-datatypes.js';

/** A parameter value (OIP parameters are bool, int64 or string). */
export type InferParameterValue = boolean | number | string;

/** A decoded, not yet validated-against-the-model input tensor. */
export interface InferInput {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

/** An output the client asked for, and whether it wants it as binary data. */
export interface RequestedOutput {
  name: string;
  binary?: boolean;
}

/** A decoded inference request. */
export interface InferRequest {
  id?: string;
  parameters?: Record<string, InferParameterValue>;
  inputs: InferInput[];
  /** Undefined = all outputs. */
  outputs?: RequestedOutput[];
}

/** One output tensor of a response. */
export interface InferOutput {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

/** What the model returns for one request. */
export interface InferResult {
  modelName: string;
  modelVersion: string;
  outputs: InferOutput[];
}

/** Tensor metadata as the protocol reports it (-1 = variable dim). */
export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[];
}
