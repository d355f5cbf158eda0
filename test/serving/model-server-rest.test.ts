import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_DATATYPES, addModel, binaryBody, get, lengthPrefixed, oddBytesElements, post, removeDir, smallMlp, standardRepo, startServer } from './fixtures.js';
import { decodeRestInferResponse } from '../../src/serving/model-server/rest-infer-codec.js';

type Srv = Awaited<ReturnType<typeof startServer>>;
let repo: string;
let srv: Srv;

before(async () => {
  repo = standardRepo();
  srv = await startServer({ modelRepository: repo });
});
after(async () => {
  await srv.close();
  removeDir(repo);
});

/** JSON values and their little-endian bytes for every datatype. */
const SAMPLES: Record<string, { json: unknown[]; bytes: Buffer }> = {
  BOOL: { json: [true, false, true, true], bytes: Buffer.from([1, 0, 1, 1]) },
  UINT8: { json: [0, 1, 200, 255], bytes: Buffer.from([0, 1, 200, 255]) },
  UINT16: { json: [0, 1, 60000, 65535], bytes: Buffer.from(Uint16Array.of(0, 1, 60000, 65535).buffer) },
  UINT32: { json: [0, 1, 4000000000, 4294967295], bytes: Buffer.from(Uint32Array.of(0, 1, 4000000000, 4294967295).buffer) },
  UINT64: { json: [0, 1, 2 ** 40, 5], bytes: Buffer.from(BigUint64Array.of(0n, 1n, 2n ** 40n, 5n).buffer) },
  INT8: { json: [-128, -1, 0, 127], bytes: Buffer.from(Int8Array.of(-128, -1, 0, 127).buffer) },
  INT16: { json: [-32768, -1, 0, 32767], bytes: Buffer.from(Int16Array.of(-32768, -1, 0, 32767).buffer) },
  INT32: { json: [-2147483648, -1, 0, 2147483647], bytes: Buffer.from(Int32Array.of(-2147483648, -1, 0, 2147483647).buffer) },
  INT64: { json: [-(2 ** 40), -1, 0, 2 ** 50], bytes: Buffer.from(BigInt64Array.of(-(2n ** 40n), -1n, 0n, 2n ** 50n).buffer) },
  FP16: { json: [1, -2, 0.5, 65504], bytes: Buffer.from(Uint16Array.of(0x3c00, 0xc000, 0x3800, 0x7bff).buffer) },
  FP32: { json: [1.5, -2.25, 0, 3], bytes: Buffer.from(Float32Array.of(1.5, -2.25, 0, 3).buffer) },
  FP64: { json: [Math.PI, -1e300, 0, 1 / 3], bytes: Buffer.from(Float64Array.of(Math.PI, -1e300, 0, 1 / 3).buffer) },
  BYTES: { json: ['a', '', 'héllo', 'xyz'], bytes: Buffer.concat(['a', '', 'héllo', 'xyz'].flatMap((s) => { const b = Buffer.from(s); const l = Buffer.alloc(4); l.writeUInt32LE(b.length); return [l, b]; })) },
};

test('server metadata, liveness and readiness', async () => {
  const md = (await get(`${srv.url}/v2`)).json();
  assert.equal(md.name, 'capstan');
  assert.ok(md.extensions.includes('binary_tensor_data'));
  assert.equal((await get(`${srv.url}/v2/health/live`)).status, 200);
  assert.equal((await get(`${srv.url}/v2/health/ready`)).status, 200);
});

test('model metadata follows the default version policy (latest 1)', async () => {
  const md = (await get(`${srv.url}/v2/models/mlp`)).json();
  assert.deepEqual(md.versions, ['2']);
  assert.equal(md.platform, 'onnxruntime_onnx');
  assert.deepEqual(md.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
  assert.equal((await get(`${srv.url}/v2/models/mlp/versions/2/ready`)).status, 200);
  assert.equal((await get(`${srv.url}/v2/models/mlp/versions/1`)).status, 404);
  assert.equal((await get(`${srv.url}/v2/models/nope/ready`)).status, 404);
});

test('every datatype round-trips through JSON, with id echoed', async () => {
  for (const dt of ALL_DATATYPES) {
    const r = await post(`${srv.url}/v2/models/identity_${dt.toLowerCase()}/infer`, {
      id: `req-${dt}`, inputs: [{ name: 'input', datatype: dt, shape: [1, 4], data: [SAMPLES[dt].json] }],
    });
    assert.equal(r.status, 200, `${dt}: ${r.body}`);
    const doc = r.json();
    assert.equal(doc.id, `req-${dt}`);
    assert.deepEqual(doc.outputs[0], { name: 'output', datatype: dt, shape: [1, 4], data: SAMPLES[dt].json });
  }
});

test('every datatype round-trips through the binary extension', async () => {
  for (const dt of ALL_DATATYPES) {
    const s = SAMPLES[dt];
    const { body, headerLength } = binaryBody({
      inputs: [{ name: 'input', datatype: dt, shape: [1, 4], parameters: { binary_data_size: s.bytes.length } }],
      parameters: { binary_data_output: true },
    }, [s.bytes]);
    const r = await post(`${srv.url}/v2/models/identity_${dt.toLowerCase()}/infer`, body, {
      'inference-header-content-length': String(headerLength), 'content-type': 'application/x-anything',
    });
    assert.equal(r.status, 200, `${dt}: ${r.body}`);
    assert.equal(r.headers.get('content-type'), 'application/octet-stream');
    const { json, binary } = decodeRestInferResponse(r.body, Number(r.headers.get('inference-header-content-length')));
    const out = (json.outputs as any[])[0];
    assert.equal(out.parameters.binary_data_size, s.bytes.length);
    assert.equal(out.data, undefined);
    assert.deepEqual(binary.get('output'), s.bytes, dt);
  }
});

test('BYTES with any byte values (0x00-0xFF, invalid UTF-8) round-trip exactly through a real string model', async () => {
  const odd = lengthPrefixed(oddBytesElements());
  const text = lengthPrefixed(['a', '', 'héllo', 'xyz'].map((x) => Buffer.from(x)));
  // Sent together so they can share a batch: one byte-mapped, one text request.
  const rs = await Promise.all([odd, text, odd].map((bytes) => {
    const { body, headerLength } = binaryBody({
      inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 4], parameters: { binary_data_size: bytes.length } }],
      parameters: { binary_data_output: true },
    }, [bytes]);
    return post(`${srv.url}/v2/models/identity_bytes/infer`, body, { 'inference-header-content-length': String(headerLength) });
  }));
  for (const [i, want] of [odd, text, odd].entries()) {
    assert.equal(rs[i].status, 200, String(rs[i].body));
    const { binary } = decodeRestInferResponse(rs[i].body, Number(rs[i].headers.get('inference-header-content-length')));
    assert.ok(binary.get('output')!.equals(want), `request ${i}: bytes changed`);
  }
  // JSON carries strings: U+0000 survives too (its UTF-8 byte is 0x00).
  const j = await post(`${srv.url}/v2/models/identity_bytes/infer`, { inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 4], data: ['a\u0000b', 'ÿ', '', '€'] }] });
  assert.equal(j.status, 200, String(j.body));
  assert.deepEqual(j.json().outputs[0].data, ['a\u0000b', 'ÿ', '', '€']);
});

test('binary input with a JSON output, and per-output binary_data', async () => {
  const a = Buffer.from(Float32Array.of(1, 2, 3, 4).buffer);
  const { body, headerLength } = binaryBody({
    inputs: [
      { name: 'a', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } },
      { name: 'b', datatype: 'FP32', shape: [1, 4], data: [10, 20, 30, 40] },
    ],
    outputs: [{ name: 'sum', parameters: { binary_data: false } }],
    parameters: { binary_data_output: true },
  }, [a]);
  const r = await post(`${srv.url}/v2/models/add_fp32/infer`, body, { 'inference-header-content-length': String(headerLength) });
  assert.equal(r.status, 200, String(r.body));
  assert.deepEqual(r.json().outputs[0].data, [11, 22, 33, 44]);
  const bad = await post(`${srv.url}/v2/models/add_fp32/infer`, {
    inputs: [{ name: 'a', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }, { name: 'b', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }],
    outputs: [{ name: 'nope' }],
  });
  assert.equal(bad.status, 400);
  assert.match(bad.json().error, /unknown output 'nope'/);
});

test('gzip and deflate request bodies are inflated', async () => {
  const doc = JSON.stringify({ inputs: [{ name: 'input', datatype: 'INT32', shape: [1, 4], data: [1, 2, 3, 4] }] });
  for (const [enc, body] of [['gzip', gzipSync(doc)], ['deflate', deflateSync(doc)]] as const) {
    const r = await post(`${srv.url}/v2/models/identity_int32/infer`, body, { 'content-encoding': enc });
    assert.equal(r.status, 200, enc);
    assert.deepEqual(r.json().outputs[0].data, [1, 2, 3, 4]);
  }
  const broken = await post(`${srv.url}/v2/models/identity_int32/infer`, Buffer.from('not gzip'), { 'content-encoding': 'gzip' });
  assert.equal(broken.status, 400);
});

test('bad input is a 4xx naming the tensor and problem', async () => {
  const url = `${srv.url}/v2/models/mlp/infer`;
  const input = (over: object) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4], ...over }] });
  const cases: Array<[unknown, number, RegExp, Record<string, string>?]> = [
    [input({ name: 'x' }), 400, /unexpected input 'x'/],
    [input({ datatype: 'INT32' }), 400, /input 'input': datatype INT32 does not match the model's FP32/],
    [input({ shape: [1, 5], data: [1, 2, 3, 4, 5] }), 400, /input 'input': shape \[1,5\]/],
    [input({ shape: [1, 4], data: [1, 2, 3] }), 400, /input 'input': 'data' has 3 elements but the shape needs 4/],
    [input({ shape: [1, -4] }), 400, /input 'input': shape/],
    [input({ datatype: 'FP8' }), 400, /unknown datatype/],
    [{ inputs: [] }, 400, /'inputs' must be a non-empty array/],
    [Buffer.from('{"inputs": ['), 400, /not valid JSON/],
    [input({ parameters: { binary_data_size: 16 } }), 400, /Inference-Header-Content-Length header is missing/],
  ];
  for (const [body, status, re, headers] of cases) {
    const r = await post(url, body, headers);
    assert.equal(r.status, status, String(r.body));
    assert.match(r.json().error, re);
  }
  assert.equal((await post(`${srv.url}/v2/models/nope/infer`, input({}))).status, 404);
  assert.equal((await post(`${srv.url}/v2/models/mlp/versions/9/infer`, input({}))).status, 404);
  assert.equal((await get(`${srv.url}/v2/models/mlp/infer`)).status, 405);
});

test('binary sizes that do not add up and lying BYTES prefixes are 400', async () => {
  const url = `${srv.url}/v2/models/identity_fp32/infer`;
  const hdr = (n: number) => ({ 'inference-header-content-length': String(n) });
  const tooShort = binaryBody({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }] }, [Buffer.alloc(12)]);
  let r = await post(url, tooShort.body, hdr(tooShort.headerLength));
  assert.equal(r.status, 400);
  assert.match(r.json().error, /input 'input': binary_data_size 16 runs past the end/);
  const extra = binaryBody({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }] }, [Buffer.alloc(20)]);
  r = await post(url, extra.body, hdr(extra.headerLength));
  assert.equal(r.status, 400);
  assert.match(r.json().error, /add up to 16 bytes but 20 bytes follow/);
  const wrongSize = binaryBody({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 12 } }] }, [Buffer.alloc(12)]);
  r = await post(url, wrongSize.body, hdr(wrongSize.headerLength));
  assert.match(r.json().error, /input 'input': 12 bytes of FP32 data but the shape needs 16/);
  r = await post(url, wrongSize.body, hdr(wrongSize.body.length + 10));
  assert.equal(r.status, 400);
  const lying = Buffer.from(SAMPLES.BYTES.bytes);
  lying.writeUInt32LE(0xffffff, 0);
  const b = binaryBody({ inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 4], parameters: { binary_data_size: lying.length } }] }, [lying]);
  r = await post(`${srv.url}/v2/models/identity_bytes/infer`, b.body, hdr(b.headerLength));
  assert.equal(r.status, 400);
  assert.match(r.json().error, /input 'input': BYTES element 0 claims 16777215 bytes/);
});

test('bodies over the limit are 413, compressed or not', async () => {
  const small = await startServer({ modelRepository: repo, maxBodyBytes: 2048, grpcPort: undefined });
  try {
    const big = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }], pad: 'x'.repeat(5000) };
    let r = await post(`${small.url}/v2/models/mlp/infer`, big);
    assert.equal(r.status, 413);
    r = await post(`${small.url}/v2/models/mlp/infer`, gzipSync(JSON.stringify(big)), { 'content-encoding': 'gzip' });
    assert.equal(r.status, 413);
    r = await post(`${small.url}/v2/models/mlp/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    assert.equal(r.status, 200);
  } finally {
    await small.close();
  }
});

test('KServe V1: list, status and predict with instances or inputs', async () => {
  assert.ok((await get(`${srv.url}/v1/models`)).json().models.includes('mlp'));
  assert.deepEqual((await get(`${srv.url}/v1/models/mlp`)).json(), { name: 'mlp', ready: true });
  const rows = [[1, 2, 3, 4], [0, 0, 0, 1]];
  const v2 = (await post(`${srv.url}/v2/models/mlp/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: rows }] })).json();
  const expected = [v2.outputs[0].data.slice(0, 3), v2.outputs[0].data.slice(3)];
  assert.deepEqual((await post(`${srv.url}/v1/models/mlp:predict`, { instances: rows })).json(), { predictions: expected });
  assert.deepEqual((await post(`${srv.url}/v1/models/mlp:predict`, { inputs: rows })).json(), { predictions: expected });
  const multi = (await post(`${srv.url}/v1/models/add_fp32:predict`, { instances: [{ a: [1, 1, 1, 1], b: [1, 2, 3, 4] }] })).json();
  assert.deepEqual(multi, { predictions: [[2, 3, 4, 5]] });
  assert.equal((await post(`${srv.url}/v1/models/mlp:predict`, { instances: [[1, 2]] })).status, 400);
  assert.equal((await post(`${srv.url}/v1/models/mlp:predict`, { nothing: 1 })).status, 400);
  assert.equal((await post(`${srv.url}/v1/models/nope:predict`, { instances: rows })).status, 404);
});

test('model repository extension: index, unload, load', async () => {
  const index = (await post(`${srv.url}/v2/repository/index`, {})).json();
  assert.ok(index.some((e: any) => e.name === 'mlp' && e.version === '2' && e.state === 'READY'));
  assert.equal((await post(`${srv.url}/v2/repository/models/identity_int8/unload`, {})).status, 200);
  const req = { inputs: [{ name: 'input', datatype: 'INT8', shape: [1, 4], data: [1, 2, 3, 4] }] };
  assert.equal((await post(`${srv.url}/v2/models/identity_int8/infer`, req)).status, 404);
  const after = (await post(`${srv.url}/v2/repository/index`, {})).json();
  assert.ok(after.some((e: any) => e.name === 'identity_int8' && e.state === 'UNAVAILABLE'));
  assert.equal((await post(`${srv.url}/v2/repository/models/identity_int8/load`, {})).status, 200);
  assert.equal((await post(`${srv.url}/v2/models/identity_int8/infer`, req)).status, 200);
  assert.equal((await post(`${srv.url}/v2/repository/models/missing/load`, {})).status, 404);
});

test('metrics expose success/failure counts, histograms and gauges', async () => {
  const text = (await get(`${srv.url}/metrics`)).body.toString();
  assert.match(text, /capstan_inference_requests_total\{model="mlp",version="2",outcome="success"\} \d+/);
  assert.match(text, /capstan_inference_requests_total\{model="mlp",version="2",outcome="failure"\} \d+/);
  for (const m of ['request_duration_seconds', 'queue_duration_seconds', 'compute_duration_seconds', 'batch_size', 'in_flight_requests', 'queue_depth']) {
    assert.match(text, new RegExp(`capstan_inference_${m}`));
  }
});

test('a broken model is reported not ready with its reason; others serve; version policies apply', async () => {
  const r2 = standardRepo();
  addModel(r2, 'broken', 1, Buffer.from('definitely not onnx'));
  addModel(r2, 'every', 1, smallMlp(1));
  addModel(r2, 'every', 3, smallMlp(3));
  writeFileSync(join(r2, 'every', 'config.yaml'), 'version_policy:\n  all: {}\nmax_batch_size: 8\n');
  addModel(r2, 'pinned', 1, smallMlp(1));
  addModel(r2, 'pinned', 2, smallMlp(2), { version_policy: { specific: { versions: [1] } } });
  addModel(r2, 'badconfig', 1, smallMlp(1), { max_batch_size: 'lots' });
  const s = await startServer({ modelRepository: r2, grpcPort: undefined });
  try {
    assert.equal((await get(`${s.url}/v2/health/ready`)).status, 400);
    const idx = (await post(`${s.url}/v2/repository/index`, {})).json();
    const broken = idx.find((e: any) => e.name === 'broken');
    assert.equal(broken.state, 'UNAVAILABLE');
    assert.match(broken.reason, /./);
    assert.match(idx.find((e: any) => e.name === 'badconfig').reason, /max_batch_size/);
    assert.equal((await post(`${s.url}/v2/models/broken/infer`, {})).status, 503);
    assert.deepEqual((await get(`${s.url}/v2/models/every`)).json().versions, ['1', '3']);
    assert.deepEqual((await get(`${s.url}/v2/models/pinned`)).json().versions, ['1']);
    const ok = await post(`${s.url}/v2/models/every/versions/1/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    assert.equal(ok.status, 200);
    const tooBig = await post(`${s.url}/v2/models/every/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [9, 4], data: new Array(36).fill(0) }] });
    assert.match(tooBig.json().error, /max_batch_size 8/);
  } finally {
    await s.close();
    removeDir(r2);
  }
});
