import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildAddOnnx, buildIdentityOnnx, buildMlpOnnx, inspectOnnx } from '../../src/onnx/index.js';
import { ALL_DATATYPES } from './fixtures.js';

test('MLP built from weights computes Gemm+Relu+Softmax like a hand calculation', async () => {
  // 2 inputs -> 2 hidden (relu) -> 2 softmax; weights row-major [in, out].
  const bytes = buildMlpOnnx({
    inputName: 'x', outputName: 'probs', inputSize: 2,
    layers: [
      { weights: new Float32Array([1, -1, 2, 1]), bias: new Float32Array([0, 0.5]), out: 2, activation: 'relu' },
      { weights: new Float32Array([1, 0, 0, 1]), bias: new Float32Array([0, 0]), out: 2, activation: 'softmax' },
    ],
  });
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [1, 2]) });
  // hidden = relu([1*1+2*2+0, 1*-1+2*1+0.5]) = [5, 1.5]
  const e0 = Math.exp(5), e1 = Math.exp(1.5);
  const p = out.probs.data as Float32Array;
  assert.ok(Math.abs(p[0] - e0 / (e0 + e1)) < 1e-5);
  assert.ok(Math.abs(p[1] - e1 / (e0 + e1)) < 1e-5);
  await s.release();
});

test('transposed (PyTorch layout) weights give the same result', async () => {
  const w = new Float32Array([1, 2, 3, 4, 5, 6]); // [in=2, out=3]
  const wt = new Float32Array([1, 4, 2, 5, 3, 6]); // [out=3, in=2]
  const a = await ort.InferenceSession.create(buildMlpOnnx({ inputSize: 2, layers: [{ weights: w, bias: new Float32Array(3), out: 3, activation: 'none' }] }));
  const b = await ort.InferenceSession.create(buildMlpOnnx({ inputSize: 2, layers: [{ weights: wt, bias: new Float32Array(3), out: 3, activation: 'none', transposed: true }] }));
  const x = new ort.Tensor('float32', new Float32Array([1, -1]), [1, 2]);
  assert.deepEqual(Array.from((await a.run({ input: x })).output.data as Float32Array), [-3, -3, -3]);
  assert.deepEqual(Array.from((await b.run({ input: x })).output.data as Float32Array), [-3, -3, -3]);
});

test('builder rejects weights of the wrong size', () => {
  assert.throws(() => buildMlpOnnx({ inputSize: 3, layers: [{ weights: new Float32Array(5), bias: new Float32Array(2), out: 2, activation: 'none' }] }), /layer 0 weights/);
});

test('identity models load in onnxruntime for every datatype, and inspectOnnx reports them', async () => {
  for (const dt of ALL_DATATYPES) {
    const bytes = buildIdentityOnnx({ datatype: dt, shape: ['batch', 3] });
    const info = inspectOnnx(bytes);
    assert.equal(info.opset, 13);
    assert.deepEqual(info.inputs, [{ name: 'input', datatype: dt, shape: [-1, 3] }]);
    assert.deepEqual(info.outputs, [{ name: 'output', datatype: dt, shape: [-1, 3] }]);
    const s = await ort.InferenceSession.create(bytes);
    await s.release();
  }
});

test('add models load for every numeric datatype; BOOL and BYTES are refused', async () => {
  for (const dt of ALL_DATATYPES) {
    if (dt === 'BOOL' || dt === 'BYTES') {
      assert.throws(() => buildAddOnnx({ datatype: dt }), /does not accept/);
      continue;
    }
    const s = await ort.InferenceSession.create(buildAddOnnx({ datatype: dt }));
    assert.deepEqual(s.inputNames, ['a', 'b']);
    await s.release();
  }
});

test('inspectOnnx throws a clear error for bytes that are not an ONNX model', () => {
  assert.throws(() => inspectOnnx(new Uint8Array(0)), /not a valid ONNX model/);
  assert.throws(() => inspectOnnx(Buffer.from('this is not onnx at all')), /not a valid ONNX model/);
  assert.throws(() => inspectOnnx(new Uint8Array([0x08, 0x07])), /not a valid ONNX model/); // ir_version only, no graph
});
