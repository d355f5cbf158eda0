import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as http2 from 'node:http2';
import { GRPC_CONNECTION_WINDOW_BYTES, GRPC_STREAM_WINDOW_BYTES } from '../../src/serving/model-server/grpc-server.js';
import { inferenceProtoRoot } from '../../src/serving/model-server/grpc-proto.js';
import { addModel, lengthPrefixed, oddBytesElements, post, removeDir, smallMlp, standardRepo, startServer } from './fixtures.js';
import { grpcClient } from './grpc-client.js';

type Srv = Awaited<ReturnType<typeof startServer>>;
let repo: string;
let srv: Srv;
let client: ReturnType<typeof grpcClient>;

before(async () => {
  repo = standardRepo();
  addModel(repo, 'tiny_queue', 1, smallMlp(1), {
    max_batch_size: 8, dynamic_batching: { max_queue_delay_microseconds: 1000000, default_queue_policy: { max_queue_size: 1 } },
  });
  // No queue budget: the flow-control test below sends a burst far larger than the default budget admits.
  addModel(repo, 'mlp_unbounded', 1, smallMlp(1), { dynamic_batching: { default_queue_policy: { default_timeout_microseconds: 0 } } });
  srv = await startServer({ modelRepository: repo });
  client = grpcClient(srv.grpcPort!);
});
after(async () => {
  client.close();
  await srv.close();
  removeDir(repo);
});

test('health and metadata RPCs', async () => {
  assert.deepEqual(await client.call('ServerLive', {}), { live: true });
  assert.deepEqual(await client.call('ServerReady', {}), { ready: true });
  const md = await client.call('ServerMetadata', {});
  assert.equal(md.name, 'capstan');
  assert.ok(md.extensions.includes('binary_tensor_data'));
  assert.deepEqual(await client.call('ModelReady', { name: 'mlp' }), { ready: true });
  const mm = await client.call('ModelMetadata', { name: 'mlp', version: '' });
  assert.equal(mm.platform, 'onnxruntime_onnx');
  assert.deepEqual(mm.versions, ['2']);
  assert.deepEqual(mm.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
  await assert.rejects(client.call('ModelMetadata', { name: 'nope' }), (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND);
});

test('ModelInfer with raw contents matches REST', async () => {
  const data = [0.5, -1, 2, 3, 1, 1, 1, 1];
  const rest = (await post(`${srv.url}/v2/models/mlp/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data }] })).json();
  const res = await client.call('ModelInfer', {
    model_name: 'mlp', id: 'g1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4] }],
    raw_input_contents: [Buffer.from(Float32Array.from(data).buffer)],
  });
  assert.equal(res.id, 'g1');
  assert.equal(res.model_version, '2');
  assert.deepEqual(res.outputs[0].shape, [2, 3]);
  const raw: Buffer = res.raw_output_contents[0];
  const out = Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  assert.deepEqual(out, rest.outputs[0].data);
});

test('ModelInfer with typed contents for every typed field', async () => {
  const cases: Array<[string, string, unknown[]]> = [
    ['BOOL', 'bool_contents', [true, false, false, true]],
    ['INT8', 'int_contents', [-1, 2, -3, 4]],
    ['INT64', 'int64_contents', [-5, 6, 7, 8]],
    ['UINT16', 'uint_contents', [1, 2, 65535, 4]],
    ['UINT64', 'uint64_contents', [1, 2, 3, 4]],
    ['FP32', 'fp32_contents', [1.5, 2, 3, 4]],
    ['FP64', 'fp64_contents', [1.25, 2, 3, 4]],
    ['BYTES', 'bytes_contents', ['a', 'bc', '', 'd'].map((s) => Buffer.from(s))],
  ];
  for (const [dt, field, values] of cases) {
    const res = await client.call('ModelInfer', {
      model_name: `identity_${dt.toLowerCase()}`,
      inputs: [{ name: 'input', datatype: dt, shape: [1, 4], contents: { [field]: values } }],
    });
    assert.equal(res.outputs[0].datatype, dt);
    assert.equal(res.raw_output_contents.length, 1, dt);
  }
  const bytesOut = await client.call('ModelInfer', {
    model_name: 'identity_bytes',
    inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 4], contents: { bytes_contents: ['a', 'bc', '', 'd'].map((s) => Buffer.from(s)) } }],
  });
  const buf: Buffer = bytesOut.raw_output_contents[0];
  assert.equal(buf.readUInt32LE(0), 1);
  assert.equal(buf.subarray(4, 5).toString(), 'a');
});

test('BYTES with any byte values round-trip exactly in bytes_contents and raw_input_contents', async () => {
  const elements = oddBytesElements();
  const want = lengthPrefixed(elements);
  const viaContents = await client.call('ModelInfer', {
    model_name: 'identity_bytes', inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 4], contents: { bytes_contents: elements } }],
  });
  assert.ok(Buffer.from(viaContents.raw_output_contents[0]).equals(want), 'bytes_contents: bytes changed');
  const viaRaw = await client.call('ModelInfer', {
    model_name: 'identity_bytes', inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 4] }], raw_input_contents: [want],
  });
  assert.ok(Buffer.from(viaRaw.raw_output_contents[0]).equals(want), 'raw_input_contents: bytes changed');
});

test('bad requests map to INVALID_ARGUMENT / NOT_FOUND; a full queue to UNAVAILABLE', async () => {
  const bad = (req: object) => client.call('ModelInfer', req);
  const isCode = (code: number, re?: RegExp) => (e: grpc.ServiceError) => e.code === code && (!re || re.test(e.details));
  await assert.rejects(bad({ model_name: 'nope', inputs: [] }), isCode(grpc.status.NOT_FOUND));
  await assert.rejects(bad({ model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.alloc(8)] }),
    isCode(grpc.status.INVALID_ARGUMENT, /input 'input': 8 bytes of FP32 data but the shape needs 16/));
  await assert.rejects(bad({ model_name: 'mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1] } }] }),
    isCode(grpc.status.INVALID_ARGUMENT, /fp32_contents has 1 elements/));
  await assert.rejects(bad({ model_name: 'identity_fp16', inputs: [{ name: 'input', datatype: 'FP16', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] }),
    isCode(grpc.status.INVALID_ARGUMENT, /FP16 data must be sent in raw_input_contents/));
  const req = { model_name: 'tiny_queue', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] };
  const results = await Promise.allSettled([bad(req), bad(req), bad(req)]);
  const codes = results.map((r) => (r.status === 'fulfilled' ? 0 : (r.reason as grpc.ServiceError).code)).sort();
  assert.deepEqual(codes, [0, grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
});

test('gRPC connections advertise wide HTTP/2 receive windows, not the 64 KiB default', async () => {
  // With 65,535-byte windows, 64 multiplexed 4 KB requests stalled in the client's flow-control queue
  // (bench: heavy grpc c=64 p99 15x p50). The server's SETTINGS and WINDOW_UPDATE precede its PING ack.
  const session = http2.connect(`http://127.0.0.1:${srv.grpcPort}`);
  try {
    await new Promise<void>((resolve, reject) => { session.once('remoteSettings', () => resolve()); session.once('error', reject); });
    await new Promise<void>((resolve, reject) => { session.ping((err) => (err ? reject(err) : resolve())); });
    assert.equal(session.remoteSettings.initialWindowSize, GRPC_STREAM_WINDOW_BYTES);
    assert.equal(session.state.remoteWindowSize, GRPC_CONNECTION_WINDOW_BYTES);
    // 128 requests of 1 KB in flight at once on this one connection (2x the old window) all succeed.
    const body = Buffer.from(Float32Array.from({ length: 256 }, (_, i) => i % 5).buffer);
    // ModelInfer: model "mlp_unbounded", one FP32 input [64, 4] in raw_input_contents, in gRPC's 5-byte framing.
    const msg = inferenceProtoRoot().lookupType('inference.ModelInferRequest').encode({
      model_name: 'mlp_unbounded', inputs: [{ name: 'input', datatype: 'FP32', shape: [64, 4] }], raw_input_contents: [body],
    }).finish();
    const frame = Buffer.alloc(5 + msg.length);
    frame.writeUInt32BE(msg.length, 1);
    frame.set(msg, 5);
    const statuses = await Promise.all(Array.from({ length: 128 }, () => new Promise<string | undefined>((resolve) => {
      const stream = session.request({ ':method': 'POST', ':path': '/inference.GRPCInferenceService/ModelInfer', 'content-type': 'application/grpc', te: 'trailers' });
      let status: string | undefined;
      stream.on('response', (h) => { status = h['grpc-status'] as string | undefined; });
      stream.on('trailers', (t) => { status = (t['grpc-status'] as string | undefined) ?? status; });
      stream.on('data', () => {});
      stream.on('end', () => resolve(status));
      stream.on('error', () => resolve('stream error'));
      stream.end(frame);
    })));
    assert.deepEqual(new Set(statuses), new Set(['0']));
  } finally {
    session.close();
  }
});
