/** examples/pipelines/data-train-register-serve.yaml: data → train → register (lineage) → serve, and the served model answers. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceServiceKind } from '../../src/api/kinds/inference-service.js';
import { ModelVersionKind } from '../../src/api/kinds/model-version.js';
import { PipelineKind, PipelineRunKind, PipelineVersionKind } from '../../src/api/kinds/pipeline-kinds.js';
import type { PipelineRunStatus } from '../../src/api/kinds/pipeline-schemas.js';
import { parseIrDocument } from '../../src/pipelines/ir-document.js';
import { repoRoot } from '../support/repo-root.js';
import { startTrainingPlatform, waitFor, type TrainingTestPlatform } from '../training/training-platform.js';

let tp: TrainingTestPlatform;
before(async () => {
  tp = await startTrainingPlatform();
});
after(async () => tp.stop());

test('data → train → register → serve as one pipeline', async () => {
  const r = parseIrDocument(readFileSync(join(repoRoot(), 'examples', 'pipelines', 'data-train-register-serve.yaml'), 'utf8'));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  await tp.client.create(PipelineKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Pipeline', metadata: { name: 'iris', namespace: 'default' }, spec: {} });
  await tp.client.create(PipelineVersionKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineVersion', metadata: { name: 'iris-v1', namespace: 'default', labels: { 'capstan.dev/pipeline': 'iris' } }, spec: { pipeline: 'iris', ...r.doc } });
  await tp.client.create(PipelineRunKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineRun', metadata: { name: 'iris-1', namespace: 'default' }, spec: { pipeline: 'iris', parameters: { epochs: 200 } } });
  const s = await waitFor('iris-1 done', async () => {
    const st = ((await tp.client.get(PipelineRunKind, 'default', 'iris-1')).status ?? {}) as PipelineRunStatus;
    return st.phase === 'Succeeded' || st.phase === 'Failed' ? st : undefined;
  }, 120_000);
  assert.equal(s.phase, 'Succeeded', s.message);
  const ref = s.tasks!.register!.outputs!.parameters!.model_version as string;
  assert.match(ref, /^iris-pipeline@\d+\.\d+\.\d+$/);
  const versions = (await tp.client.list(ModelVersionKind, { namespace: 'default', labelSelector: 'capstan.dev/model=iris-pipeline' })).items;
  assert.equal(versions.length, 1);
  const lineage = (versions[0]!.spec as { lineage: { pipelineRun?: string; trainingJob?: string } }).lineage;
  assert.equal(lineage.pipelineRun, 'iris-1');
  assert.equal(lineage.trainingJob, s.tasks!.register!.job);
  const isvc = await tp.client.get(InferenceServiceKind, 'default', 'iris-pipeline');
  assert.equal((isvc.spec as { predictor: { model: string } }).predictor.model, ref);
  const url = await waitFor('iris-pipeline ready', async () => {
    const st = ((await tp.client.get(InferenceServiceKind, 'default', 'iris-pipeline')).status ?? {}) as { url?: string; conditions?: Array<{ type: string; status: string }> };
    return st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && st.url ? st.url : undefined;
  }, 120_000);
  const res = await fetch(`${url}/v2/models/iris-pipeline/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tp.token}` }, body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] }) });
  assert.equal(res.status, 200, await res.clone().text());
  const probs = ((await res.json()) as { outputs: Array<{ data: number[] }> }).outputs[0]!.data;
  assert.equal(probs.indexOf(Math.max(...probs)), 0, 'a setosa sample is class 0');
});
