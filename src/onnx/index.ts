/** ONNX model builder and reader (no onnxruntime needed). */
export { buildOnnxModel, buildMlpOnnx, buildIdentityOnnx, buildAddOnnx } from './onnx-builder.js';
export type { OnnxGraphSpec, OnnxTensorSpec, OnnxNodeSpec, OnnxAttribute, OnnxInitializerSpec, OnnxNumericArray, MlpSpec, MlpLayerSpec, SimpleModelSpec } from './onnx-builder.js';
export { inspectOnnx } from './onnx-reader.js';
export type { OnnxModelInfo, OnnxTensorInfo } from './onnx-reader.js';
export { ONNX_ELEM_TYPE_BY_OIP, oipDatatypeOfElemType } from './onnx-schema.js';
