import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToOrtStrings, needsByteMapping, ortStringsToBytes } from '../../src/serving/model-server/ort-strings.js';
import { bytesToTensorData, decodeBytesElements, jsonToTensorData, tensorDataToBytes, tensorDataToJson } from '../../src/serving/model-server/tensor-codec.js';
import { fromHalfBits, toHalfBits } from '../../src/serving/model-server/fp16.js';
import { InferError } from '../../src/serving/model-server/infer-error.js';

test('fp16 round-trips representable values and rounds others', () => {
  for (const v of [0, 1, -2, 0.5, 65504, -0.00006103515625, 1025, 5.960464477539063e-8]) assert.equal(fromHalfBits(toHalfBits(v)), v);
  assert.equal(toHalfBits(1), 0x3c00);
  assert.equal(fromHalfBits(toHalfBits(1e6)), Infinity);
  assert.ok(Math.abs(fromHalfBits(toHalfBits(0.1)) - 0.1) < 1e-4);
});

test('JSON data is flattened, counted and range-checked', () => {
  assert.deepEqual(Array.from(jsonToTensorData('x', 'INT8', 4, [[1, 2], [3, -4]]) as Int8Array), [1, 2, 3, -4]);
  assert.throws(() => jsonToTensorData('x', 'INT8', 2, [1, 200]), (e: InferError) => e.code === 'BadRequest' && /'x'.*INT8/.test(e.message));
  assert.throws(() => jsonToTensorData('x', 'FP32', 3, [1, 2]), /'x'.*2 elements.*3/);
  assert.throws(() => jsonToTensorData('x', 'BOOL', 1, ['yes']), /BOOL/);
  assert.deepEqual(Array.from(jsonToTensorData('x', 'INT64', 1, [-5]) as BigInt64Array), [-5n]);
});

test('binary data must match the shape byte size exactly', () => {
  const b = Buffer.alloc(12);
  assert.equal((bytesToTensorData('x', 'FP32', 3, b) as Float32Array).length, 3);
  assert.throws(() => bytesToTensorData('x', 'FP32', 4, b), /'x': 12 bytes of FP32.*16/);
});

test('misaligned binary data is copied, not misread', () => {
  const buf = Buffer.alloc(9);
  buf.writeFloatLE(1.5, 1);
  buf.writeFloatLE(-2, 5);
  assert.deepEqual(Array.from(bytesToTensorData('x', 'FP32', 2, buf.subarray(1)) as Float32Array), [1.5, -2]);
});

test('BYTES elements with lying length prefixes are rejected', () => {
  const good = tensorDataToBytes(['ab', '', 'xyz'].map((x) => Buffer.from(x)));
  assert.deepEqual(decodeBytesElements('s', 3, good).map(String), ['ab', '', 'xyz']);
  const lying = Buffer.from(good);
  lying.writeUInt32LE(1000, 0);
  assert.throws(() => decodeBytesElements('s', 3, lying), /'s'.*claims 1000 bytes/);
  assert.throws(() => decodeBytesElements('s', 3, good.subarray(0, good.length - 2)), /'s'/);
  assert.throws(() => decodeBytesElements('s', 2, good), /more than the 2 elements/);
  assert.throws(() => decodeBytesElements('s', 4, good), /3 elements but the shape needs 4/);
});

test('tensor data to JSON converts FP16, BOOL and 64-bit integers', () => {
  assert.deepEqual(tensorDataToJson('FP16', Uint16Array.of(0x3c00, 0xc000)), [1, -2]);
  assert.deepEqual(tensorDataToJson('BOOL', Uint8Array.of(1, 0)), [true, false]);
  assert.deepEqual(tensorDataToJson('UINT64', BigUint64Array.of(7n)), [7]);
});

test('BYTES elements are kept as exact bytes, whatever they hold', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const wire = tensorDataToBytes([all, Buffer.from([0xff, 0xfe]), Buffer.alloc(0)]);
  const back = decodeBytesElements('s', 3, wire);
  assert.deepEqual(back, [all, Buffer.from([0xff, 0xfe]), Buffer.alloc(0)]);
  assert.deepEqual(tensorDataToJson('BYTES', [Buffer.from('héllo')]), ['héllo']);
  assert.deepEqual(jsonToTensorData('x', 'BYTES', 1, ['héllo']), [Buffer.from('héllo')]);
});

test('onnxruntime string mapping: text unchanged, anything else byte-mapped and reversible', () => {
  const text = [Buffer.from('héllo'), Buffer.from('')];
  assert.equal(needsByteMapping([text]), false);
  assert.deepEqual(bytesToOrtStrings(text, false), ['héllo', '']);
  assert.deepEqual(ortStringsToBytes(['héllo', ''], false), text);
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  for (const odd of [Buffer.from([0x61, 0x00, 0x62]), Buffer.from([0xc3]), Buffer.from([0xff])]) assert.equal(needsByteMapping([text, [odd]]), true);
  const mapped = bytesToOrtStrings([all, Buffer.from('abc')], true);
  assert.ok(!mapped[0].includes('\u0000'), 'no NUL reaches onnxruntime (it cuts strings there)');
  assert.equal(mapped[1], 'abc');
  assert.deepEqual(ortStringsToBytes(mapped, true), [all, Buffer.from('abc')]);
  // A character the model made (outside the mapped range) comes back as UTF-8.
  assert.deepEqual(ortStringsToBytes(['€'], true), [Buffer.from('€')]);
});
