import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addModel, binaryBody, post, removeDir, rng, smallMlp, standardRepo, startServer } from './fixtures.js';

// The same requests against sessions on the event loop and on worker threads must answer identically.
test('worker-thread sessions answer exactly like event-loop sessions (batched rows, every datatype, binary bodies)', async () => {
  const repo = standardRepo();
  addModel(repo, 'batched', 1, smallMlp(3), { max_batch_size: 8, dynamic_batching: { max_queue_delay_microseconds: 200000 } });
  const inline = await startServer({ modelRepository: repo, grpcPort: undefined, sessionThread: 'event-loop' });
  const worker = await startServer({ modelRepository: repo, grpcPort: undefined, sessionThread: 'worker' });
  try {
    const r = rng(9);
    const rows = Array.from({ length: 12 }, () => Array.from({ length: 4 }, () => Math.round(r() * 1000) / 100));
    const ask = (url: string): Promise<unknown[]> => Promise.all(rows.map(async (row) => {
      const res = await post(`${url}/v2/models/batched/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }] });
      assert.equal(res.status, 200);
      return res.json().outputs[0].data;
    }));
    assert.deepEqual(await ask(worker.url), await ask(inline.url));

    const cases: Array<{ model: string; datatype: string; data: unknown[] }> = [
      { model: 'identity_bytes', datatype: 'BYTES', data: ['a', 'héllo', '', 'z'] },
      { model: 'identity_int64', datatype: 'INT64', data: [1, -2, 3, 4] },
      { model: 'identity_fp16', datatype: 'FP16', data: [0.5, -1, 2, 0] },
      { model: 'identity_bool', datatype: 'BOOL', data: [true, false, true, true] },
    ];
    for (const c of cases) {
      const body = { inputs: [{ name: 'input', datatype: c.datatype, shape: [1, 4], data: c.data }] };
      const a = await post(`${inline.url}/v2/models/${c.model}/infer`, body);
      const b = await post(`${worker.url}/v2/models/${c.model}/infer`, body);
      assert.equal(a.status, 200, c.model);
      assert.equal(b.status, 200, c.model);
      assert.deepEqual(b.json().outputs, a.json().outputs, c.model);
    }

    // Binary input is a view into the request body; the worker must get exactly its bytes.
    const x = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
    const { body, headerLength } = binaryBody({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }] }, [x]);
    const hdr = { 'inference-header-content-length': String(headerLength) };
    const a = await post(`${inline.url}/v2/models/mlp/infer`, body, hdr);
    const b = await post(`${worker.url}/v2/models/mlp/infer`, body, hdr);
    assert.equal(b.status, 200);
    assert.deepEqual(b.json().outputs, a.json().outputs);
  } finally {
    await worker.close();
    await inline.close();
    removeDir(repo);
  }
});

test('a model that fails to load in a worker is UNAVAILABLE with a reason and leaves no thread behind', async () => {
  const repo = standardRepo();
  mkdirSync(join(repo, 'broken', '1'), { recursive: true });
  writeFileSync(join(repo, 'broken', '1', 'model.onnx'), Buffer.from('not onnx'));
  const s = await startServer({ modelRepository: repo, grpcPort: undefined, sessionThread: 'worker' });
  try {
    const idx = (await post(`${s.url}/v2/repository/index`, {})).json();
    const broken = idx.find((e: { name: string }) => e.name === 'broken');
    assert.equal(broken.state, 'UNAVAILABLE');
    assert.match(broken.reason, /./);
    assert.equal((await post(`${s.url}/v2/models/mlp/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] })).status, 200);
  } finally {
    // If a worker survived close(), this test file would never exit and the runner would fail it.
    await s.close();
    removeDir(repo);
  }
});
