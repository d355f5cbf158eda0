import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildIdentityOnnx } from '../../src/onnx/index.js';
import { addModel, get, post, removeDir, rng, smallMlp, startServer, tempDir } from './fixtures.js';

function metricValue(text: string, name: string): number {
  const m = text.match(new RegExp(`^${name}(\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm'));
  return m ? Number(m[2]) : NaN;
}

test('concurrent distinct rows are batched and each caller gets its own answer', async () => {
  const repo = tempDir();
  // A long delay makes batching certain without timing assumptions: batches close when full.
  addModel(repo, 'solo', 1, smallMlp(7), { max_batch_size: 0 });
  addModel(repo, 'mlp', 1, smallMlp(7), { max_batch_size: 16, dynamic_batching: { max_queue_delay_microseconds: 300000 } });
  const srv = await startServer({ modelRepository: repo, grpcPort: undefined });
  try {
    const r = rng(42);
    const rows = Array.from({ length: 48 }, (_, i) => Array.from({ length: 4 }, () => Math.round((r() * 10 - 5) * 100) / 100 + i));
    // Reference: one by one through a non-batching copy of the same model.
    const expected: number[][] = [];
    for (const row of rows) {
      const res = await post(`${srv.url}/v2/models/solo/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }] });
      expected.push(res.json().outputs[0].data);
    }
    const answers = await Promise.all(rows.map((row, i) => post(`${srv.url}/v2/models/mlp/infer`, {
      id: String(i),
      // Mix single rows with 2-row requests to check row offsets when splitting.
      inputs: [{ name: 'input', datatype: 'FP32', shape: i % 5 === 0 ? [2, 4] : [1, 4], data: i % 5 === 0 ? [row, row] : row }],
    })));
    answers.forEach((a, i) => {
      assert.equal(a.status, 200);
      const doc = a.json();
      assert.equal(doc.id, String(i));
      const want = i % 5 === 0 ? [...expected[i], ...expected[i]] : expected[i];
      assert.deepEqual(doc.outputs[0].data, want, `row ${i}`);
    });
    const text = (await get(`${srv.url}/metrics`)).body.toString();
    const batches = metricValue(text, 'capstan_inference_batch_size_count\\{model="mlp",version="1"\\}');
    assert.ok(batches < 48, `expected batching, got ${batches} batches for 48 requests`);
  } finally {
    await srv.close();
    removeDir(repo);
  }
});

test('requests whose shapes cannot be batched together run in separate batches', async () => {
  const repo = tempDir();
  addModel(repo, 'ragged', 1, buildIdentityOnnx({ datatype: 'FP32', shape: ['batch', 'width'] }), {
    max_batch_size: 8, dynamic_batching: { max_queue_delay_microseconds: 100000 },
  });
  const srv = await startServer({ modelRepository: repo, grpcPort: undefined });
  try {
    const reqs = Array.from({ length: 12 }, (_, i) => {
      const width = 1 + (i % 3);
      return Array.from({ length: width }, (_, j) => i * 10 + j);
    });
    const answers = await Promise.all(reqs.map((data) => post(`${srv.url}/v2/models/ragged/infer`, {
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, data.length], data }],
    })));
    answers.forEach((a, i) => {
      assert.equal(a.status, 200, String(a.body));
      assert.deepEqual(a.json().outputs[0].shape, [1, reqs[i].length]);
      assert.deepEqual(a.json().outputs[0].data, reqs[i]);
    });
  } finally {
    await srv.close();
    removeDir(repo);
  }
});

test('a full queue answers 503 with Retry-After; queue timeouts are 503 too', async () => {
  const repo = tempDir();
  addModel(repo, 'slowq', 1, smallMlp(1), {
    max_batch_size: 64,
    dynamic_batching: { max_queue_delay_microseconds: 1000000, default_queue_policy: { max_queue_size: 2 } },
  });
  const srv = await startServer({ modelRepository: repo, grpcPort: undefined });
  try {
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(`${srv.url}/v2/models/slowq/infer`, body)));
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 200, 503, 503, 503]);
    const rejected = answers.find((a) => a.status === 503)!;
    assert.equal(rejected.headers.get('retry-after'), '1');
    assert.match(rejected.json().error, /queue is full/);
    const timedOut = await post(`${srv.url}/v2/models/slowq/infer`, { ...body, parameters: { timeout: 1000 } });
    assert.equal(timedOut.status, 503);
    assert.match(timedOut.json().error, /timed out/);
  } finally {
    await srv.close();
    removeDir(repo);
  }
});
