import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { post, removeDir, standardRepo, startServer } from './fixtures.js';
import { grpcClient } from './grpc-client.js';
import { inferenceProtoRoot } from '../../src/serving/model-server/grpc-proto.js';

const MODELS = ['mlp', 'identity_fp32', 'identity_bytes', 'identity_int64', 'identity_fp16', 'add_fp32', 'nope'];
const DATATYPES = ['FP32', 'INT64', 'BYTES', 'FP16', 'BOOL', 'UINT8', 'BAD', 7];

/** Structurally plausible but wrong inference documents plus random bytes. */
const restCase = fc.record({
  model: fc.constantFrom(...MODELS),
  path: fc.constantFrom('infer', 'versions/1/infer', 'versions/x/infer', 'ready', ''),
  encoding: fc.constantFrom(undefined, 'gzip', 'deflate', 'br'),
  headerLength: fc.option(fc.oneof(fc.integer({ min: -5, max: 400 }), fc.constant('abc')), { nil: undefined }),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.record({
      id: fc.oneof(fc.string(), fc.integer()),
      inputs: fc.array(fc.record({
        name: fc.constantFrom('input', 'a', 'b', 'x', ''),
        datatype: fc.constantFrom(...DATATYPES),
        shape: fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1e12), fc.constant('2')), { maxLength: 4 }),
        data: fc.oneof(fc.array(fc.oneof(fc.double(), fc.integer(), fc.string(), fc.boolean(), fc.constant(null)), { maxLength: 20 }), fc.string(), fc.constant(undefined)),
        parameters: fc.option(fc.record({ binary_data_size: fc.oneof(fc.integer({ min: -4, max: 64 }), fc.string()) }), { nil: undefined }),
      }), { maxLength: 3 }),
      outputs: fc.option(fc.array(fc.record({ name: fc.string(), parameters: fc.option(fc.record({ binary_data: fc.oneof(fc.boolean(), fc.string()) }), { nil: undefined }) })), { nil: undefined }),
      parameters: fc.option(fc.dictionary(fc.string(), fc.oneof(fc.boolean(), fc.integer(), fc.string(), fc.object())), { nil: undefined }),
    }).map((doc) => Buffer.concat([Buffer.from(JSON.stringify(doc)), Buffer.alloc(doc.inputs.length * 8, 7)])),
  ),
});

function send(port: number, agent: Agent, c: { model: string; path: string; encoding?: string; headerLength?: number | string; body: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-length': '' };
    let body: Buffer = c.body;
    if (c.encoding === 'gzip') body = gzipSync(body);
    if (c.encoding) headers['content-encoding'] = c.encoding;
    if (c.headerLength !== undefined) headers['inference-header-content-length'] = String(c.headerLength);
    headers['content-length'] = String(body.length);
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/v2/models/${c.model}/${c.path}`, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('thousands of malformed REST and gRPC requests: only 4xx, and the server still answers correctly', async () => {
  const repo = standardRepo();
  const srv = await startServer({ modelRepository: repo, maxBodyBytes: 4096 });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const client = grpcClient(srv.grpcPort!);
  try {
    const statuses = new Map<number, number>();
    const cases = fc.sample(restCase, { numRuns: 2500, seed: 1234 });
    for (let i = 0; i < cases.length; i += 16) {
      const codes = await Promise.all(cases.slice(i, i + 16).map((c) => send(srv.httpPort, agent, c)));
      for (const code of codes) statuses.set(code, (statuses.get(code) ?? 0) + 1);
    }
    for (const code of statuses.keys()) assert.ok(code < 500, `got HTTP ${code} (${JSON.stringify([...statuses])})`);

    // gRPC: random bytes, and valid-protobuf-but-wrong messages, straight to ModelInfer.
    const reqType = inferenceProtoRoot().lookupType('inference.ModelInferRequest');
    const grpcBodies = fc.sample(fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.record({
        model_name: fc.constantFrom(...MODELS, ''),
        model_version: fc.constantFrom('', '1', '2', 'z'),
        inputs: fc.array(fc.record({
          name: fc.constantFrom('input', 'a', ''),
          datatype: fc.constantFrom('FP32', 'BYTES', 'INT64', 'FP16', 'nope'),
          shape: fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }),
          contents: fc.option(fc.record({ fp32_contents: fc.array(fc.float({ noNaN: true }), { maxLength: 8 }), int64_contents: fc.array(fc.integer(), { maxLength: 4 }) }), { nil: undefined }),
        }), { maxLength: 2 }),
        raw_input_contents: fc.array(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), { maxLength: 2 }),
      }).map((m) => Buffer.from(reqType.encode(reqType.fromObject(m)).finish())),
    ), { numRuns: 1500, seed: 99 });
    const allowed = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.RESOURCE_EXHAUSTED, grpc.status.OK]);
    const raw = client.raw;
    for (let i = 0; i < grpcBodies.length; i += 16) {
      const codes = await Promise.all(grpcBodies.slice(i, i + 16).map((b) => new Promise<number>((resolve) => {
        raw.makeUnaryRequest('/inference.GRPCInferenceService/ModelInfer', (x: Buffer) => x, (x: Buffer) => x, b, (err) => resolve(err ? err.code : 0));
      })));
      for (const code of codes) assert.ok(allowed.has(code), `gRPC status ${code}`);
    }

    const ok = await post(`${srv.url}/v2/models/identity_fp32/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json().outputs[0].data, [1, 2, 3, 4]);
    const g = await client.call('ModelInfer', { model_name: 'identity_fp32', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] });
    assert.equal(g.model_name, 'identity_fp32');
  } finally {
    agent.destroy();
    client.close();
    await srv.close();
    removeDir(repo);
  }
});
