import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { chooseEvictions } from '../../src/serving/model-server/model-eviction.js';
import { addModel, get, post, removeDir, smallMlp, startServer, tempDir } from './fixtures.js';

test('eviction picks least recently used idle models until the new one fits; never a busy one', () => {
  const m = (name: string, bytes: number, lastUsed: number, busy = false) => ({ name, bytes, lastUsed, busy });
  assert.deepEqual(chooseEvictions([m('a', 10, 1), m('b', 10, 2)], 100, 10), []);
  assert.deepEqual(chooseEvictions([m('a', 40, 3), m('b', 40, 1), m('c', 10, 2)], 100, 30), ['b']);
  assert.deepEqual(chooseEvictions([m('a', 40, 3), m('b', 40, 1, true), m('c', 10, 2)], 100, 30), ['c', 'a']);
  assert.equal(chooseEvictions([m('a', 90, 1, true)], 100, 30), undefined);
  assert.equal(chooseEvictions([], 100, 130), undefined);
});

test('with a memory budget models load on demand, the least recently used idle one is evicted, a busy one never', async () => {
  const repo = tempDir();
  // Same architecture: equal file sizes. A 2-request batch window keeps a request of 'slow' in flight on demand.
  addModel(repo, 'a', 1, smallMlp(1));
  addModel(repo, 'b', 1, smallMlp(2));
  addModel(repo, 'slow', 1, smallMlp(3), { max_batch_size: 8, dynamic_batching: { max_queue_delay_microseconds: 400000, preferred_batch_size: [8] } });
  const size = statSync(join(repo, 'a', '1', 'model.onnx')).size;
  // Room for one model (by file size), never two (a loaded one counts at least its file size).
  const srv = await startServer({ modelRepository: repo, grpcPort: undefined, memoryBudgetBytes: Math.floor(size * 1.5), loadOnDemand: true });
  const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
  const states = async () => Object.fromEntries(((await post(`${srv.url}/v2/repository/index`, {})).json() as Array<{ name: string; state: string; reason: string }>).map((s) => [s.name, `${s.state} ${s.reason}`.trim()]));
  try {
    assert.deepEqual(await states(), { a: 'UNAVAILABLE unloaded', b: 'UNAVAILABLE unloaded', slow: 'UNAVAILABLE unloaded' });
    assert.equal((await post(`${srv.url}/v2/models/a/infer`, row)).status, 200);
    const memA = (await get(`${srv.url}/v2/models/a/stats`)).json().model_stats[0].memory_usage[0].byte_size;
    assert.ok(memA >= size, `memory of a (${memA}) at least its file size (${size})`);
    assert.match((await get(`${srv.url}/metrics`)).body.toString(), /capstan_model_memory_bytes\{model="a",version="1"\} [1-9]/);
    assert.equal((await post(`${srv.url}/v2/models/b/infer`, row)).status, 200);
    assert.deepEqual(await states(), { a: 'UNAVAILABLE evicted (memory budget)', b: 'READY', slow: 'UNAVAILABLE unloaded' });

    // 'slow' holds its first request for the batch window; while it is in flight it cannot be evicted.
    const inFlight = post(`${srv.url}/v2/models/slow/infer`, row);
    for (let i = 0; i < 200 && !(await states()).slow.startsWith('READY'); i++) await new Promise((r) => setTimeout(r, 10));
    const refused = await post(`${srv.url}/v2/models/a/infer`, row);
    assert.equal(refused.status, 503);
    assert.match(refused.json().error, /does not fit the memory budget.*in use/);
    assert.equal((await inFlight).status, 200);
    // Idle again: 'a' now evicts 'slow'.
    assert.equal((await post(`${srv.url}/v2/models/a/infer`, row)).status, 200);
    assert.equal((await states()).slow, 'UNAVAILABLE evicted (memory budget)');
    assert.equal((await post(`${srv.url}/v2/models/nope/infer`, row)).status, 404);
  } finally {
    await srv.close();
    removeDir(repo);
  }
});
