import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { addModel, post, removeDir, smallMlp, tempDir } from './fixtures.js';

test('SIGTERM drains queued and in-flight requests, then exits 0', async () => {
  const repo = tempDir();
  addModel(repo, 'mlp', 1, smallMlp(3), { max_batch_size: 64, dynamic_batching: { max_queue_delay_microseconds: 400000 } });
  const modUrl = new URL('../../src/serving/model-server/index.js', import.meta.url).href;
  const underTsx = import.meta.url.endsWith('.ts');
  const child = spawn(process.execPath, [
    ...(underTsx ? ['--import', 'tsx'] : []),
    '--input-type=module', '-e',
    `const m = await import(${JSON.stringify(modUrl)}); await m.modelServerMain(process.argv.slice(1));`, '--',
    '--model-repository', repo, '--http-port', '0', '--grpc-port', '0', '--intra-op-threads', '1', '--log-level', 'warn',
  ], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [first] = (await once(lines, 'line')) as [string];
    const ready = JSON.parse(first);
    assert.equal(ready.event, 'ready');
    assert.ok(ready.httpPort > 0 && ready.grpcPort > 0);
    const url = `http://127.0.0.1:${ready.httpPort}`;
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
    // These sit in the batch queue (400 ms delay) when SIGTERM arrives.
    const pending = Array.from({ length: 10 }, () => post(`${url}/v2/models/mlp/infer`, body));
    await new Promise((r) => setTimeout(r, 100));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const answers = await Promise.all(pending);
    for (const a of answers) assert.equal(a.status, 200);
    const [code] = (await exited) as [number];
    assert.equal(code, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    removeDir(repo);
  }
});

test('bad flags are rejected with a message naming the flag', async () => {
  const { parseModelServerArgs } = await import('../../src/serving/model-server/index.js');
  assert.throws(() => parseModelServerArgs(['--http-port', 'x', '--model-repository', '/tmp']), /--http-port/);
  assert.throws(() => parseModelServerArgs(['--http-port', '0']), /--model-repository/);
  assert.throws(() => parseModelServerArgs(['--model-repository', '/tmp', '--execution-provider', 'tpu']), /--execution-provider/);
  const ok = parseModelServerArgs(['--model', 'a=/x.onnx', '--model', 'b=/y', '--http-port', '0', '--grpc-port', '9']);
  assert.deepEqual(ok.models, ['a=/x.onnx', 'b=/y']);
  assert.equal(ok.grpcPort, 9);
});
