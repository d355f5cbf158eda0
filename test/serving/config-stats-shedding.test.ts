import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMlpOnnx } from '../../src/onnx/index.js';
import { addModel, get, post, removeDir, rng, smallMlp, startServer, tempDir } from './fixtures.js';
import { grpcClient } from './grpc-client.js';

/** An MLP slow enough (~0.1-1 ms per row) that a burst queues measurably. */
function wideMlp(width = 512): Uint8Array {
  const r = rng(3);
  const w = (n: number): Float32Array => Float32Array.from({ length: n }, () => r() * 0.1);
  return buildMlpOnnx({
    inputSize: width,
    layers: [
      { weights: w(width * width), bias: w(width), out: width, activation: 'relu' },
      { weights: w(width * width), bias: w(width), out: width, activation: 'relu' },
      { weights: w(width * 10), bias: w(10), out: 10, activation: 'softmax' },
    ],
  });
}

test('REST and gRPC report the effective config (automatic threads and queue budget) and Triton statistics', async () => {
  const repo = tempDir();
  addModel(repo, 'mlp', 1, smallMlp(1), { max_batch_size: 8, dynamic_batching: { priority_levels: 2 } });
  addModel(repo, 'other', 1, smallMlp(2));
  const srv = await startServer({ modelRepository: repo, threads: undefined, cpuBudget: 2 });
  const client = grpcClient(srv.grpcPort!);
  try {
    const cfg = (await get(`${srv.url}/v2/models/mlp/config`)).json();
    assert.equal(cfg.name, 'mlp');
    assert.equal(cfg.max_batch_size, 8);
    assert.deepEqual(cfg.input, [{ name: 'input', data_type: 'TYPE_FP32', dims: [4] }]);
    assert.equal(cfg.parameters.intra_op_thread_count.string_value, '1'); // 2 cores: one left to the event loop
    assert.equal(cfg.parameters['capstan.thread_choice'].string_value, 'calibrated');
    assert.equal(cfg.parameters['capstan.queue_budget'].string_value, 'auto');
    assert.ok(cfg.dynamic_batching.default_queue_policy.default_timeout_microseconds >= 2000);
    assert.equal(cfg.dynamic_batching.priority_levels, 2);
    assert.equal(cfg.dynamic_batching.default_priority_level, 2);

    const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
    for (let i = 0; i < 3; i++) assert.equal((await post(`${srv.url}/v2/models/mlp/infer`, row)).status, 200);
    const urgent = await post(`${srv.url}/v2/models/mlp/infer`, { ...row, parameters: { priority: 1 } });
    assert.equal(urgent.status, 200);
    const bad = await post(`${srv.url}/v2/models/mlp/infer`, { ...row, parameters: { priority: 3 } });
    assert.equal(bad.status, 400);
    assert.match(bad.json().error, /priority.*1 to 2/);

    const stats = (await get(`${srv.url}/v2/models/mlp/stats`)).json();
    assert.equal(stats.model_stats.length, 1);
    const st = stats.model_stats[0];
    assert.equal(st.inference_count, 4);
    assert.equal(st.inference_stats.success.count, 4);
    assert.equal(st.inference_stats.fail.count, 1);
    assert.equal(st.batch_stats[0].batch_size, 1);
    assert.ok(st.last_inference > 0);
    const all = (await get(`${srv.url}/v2/models/stats`)).json();
    assert.deepEqual(all.model_stats.map((m: { name: string }) => m.name), ['mlp', 'other']);
    assert.equal((await get(`${srv.url}/v2/models/nope/config`)).status, 404);
    assert.equal((await get(`${srv.url}/v2/models/nope/stats`)).status, 404);

    const gcfg = await client.call('ModelConfig', { name: 'mlp' });
    assert.equal(gcfg.config.max_batch_size, 8);
    assert.equal(gcfg.config.input[0].data_type, 11); // TYPE_FP32 (the test client decodes enums as numbers)
    assert.deepEqual(gcfg.config.input[0].dims, [4]);
    assert.equal(gcfg.config.parameters.intra_op_thread_count.string_value, '1');
    const gstats = await client.call('ModelStatistics', { name: 'mlp' });
    assert.equal(gstats.model_stats[0].inference_count, 4);
    assert.equal(gstats.model_stats[0].inference_stats.success.count, 4);
    const index = await client.call('RepositoryIndex', { ready: true });
    assert.deepEqual(index.models.map((m: { name: string; state: string }) => `${m.name}:${m.state}`), ['mlp:READY', 'other:READY']);
    await client.call('RepositoryModelUnload', { model_name: 'other' });
    assert.equal((await post(`${srv.url}/v2/models/other/infer`, row)).status, 404);
    await client.call('RepositoryModelLoad', { model_name: 'other' });
    assert.equal((await post(`${srv.url}/v2/models/other/infer`, row)).status, 200);
    await assert.rejects(client.call('RepositoryModelLoad', { model_name: 'absent' }), (e: { code: number }) => e.code === 5);
    await assert.rejects(client.call('ModelConfig', { name: 'absent' }), (e: { code: number }) => e.code === 5);
  } finally {
    client.close();
    await srv.close();
    removeDir(repo);
  }
});

test('overload is refused at once with 503 + Retry-After, while admitted requests are served', async () => {
  const repo = tempDir();
  // No batching, a 2 ms budget, and a model whose one row takes milliseconds (two 2048×2048 layers): a
  // request arriving while another computes cannot wait within the budget, on a fast machine or a slow one.
  addModel(repo, 'wide', 1, wideMlp(2048), { max_batch_size: 0, dynamic_batching: { default_queue_policy: { default_timeout_microseconds: 2000 } } });
  const srv = await startServer({ modelRepository: repo });
  try {
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2048], data: Array.from({ length: 2048 }, (_, i) => (i % 7) / 7) }] };
    assert.equal((await post(`${srv.url}/v2/models/wide/infer`, body)).status, 200);
    const answers = await Promise.all(Array.from({ length: 60 }, () => post(`${srv.url}/v2/models/wide/infer`, body)));
    const ok = answers.filter((a) => a.status === 200);
    const shed = answers.filter((a) => a.status === 503);
    assert.equal(ok.length + shed.length, 60);
    assert.ok(ok.length >= 1, 'some requests are served');
    assert.ok(shed.length >= 1, 'the burst exceeds the budget');
    for (const a of shed) {
      assert.equal(a.headers.get('retry-after'), '1');
      assert.match(a.json().error, /overloaded: expected queue wait .* exceeds the queue budget of 2\.0 ms|timed out/);
    }
    const metrics = (await get(`${srv.url}/metrics`)).body.toString();
    // Refused at admission (expected wait over budget) or, when the estimate let one in, at its deadline in the queue.
    assert.match(metrics, /capstan_inference_rejected_total\{model="wide",version="1",reason="(expected_wait|timeout)"\} [1-9]/);
    const st = (await get(`${srv.url}/v2/models/wide/stats`)).json().model_stats[0];
    assert.equal(st.rejected.expected_wait + st.rejected.timeout, shed.length);
  } finally {
    await srv.close();
    removeDir(repo);
  }
});
