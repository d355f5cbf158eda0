/**
 * `capstan up --demo`: the platform's whole story on a fresh machine, through the public API
 * only. A TrainingJob trains a small classifier on the iris data set (plain TypeScript, no
 * Python), queues and runs as a gang, registers model `iris` with its accuracy; the demo points
 * alias `production` at it and serves it with an InferenceService; then it sends one prediction
 * and prints the request so the user can send it too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipelineDemo } from './pipeline-demo.js';
import { ApiError } from '../../api/errors.js';
import { InferenceServiceKind } from '../../api/kinds/inference-service.js';
import { TrainingJobKind } from '../../api/kinds/training-job.js';
import type { Condition, KubeObject } from '../../api/meta.js';
import { HttpClient } from '../../client/http-client.js';
import type { Platform } from '../../server/platform.js';
import { runDemoExperiment } from '../extensions/experiments-demo.js';

const NS = 'default';
/** One iris flower (sepal length/width, petal length/width in cm): a setosa. */
const SAMPLE = [5.1, 3.5, 1.4, 0.2];

/** bin/capstan.js of this installation, found by walking up to package.json (from src/ or dist/src/). */
function binPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'bin/capstan.js');
}

async function waitFor<T>(what: string, timeoutMs: number, poll: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await poll();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const cond = (o: KubeObject, type: string): Condition | undefined => ((o.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type);

/** Runs the demo against a started platform; failures are printed, never thrown (the server keeps running). */
export async function runDemo(p: Platform, out: (s: string) => void): Promise<void> {
  const token = p.adminToken ?? readFileSync(p.adminTokenFile, 'utf8').trim();
  const client = new HttpClient({ server: p.url, token });
  try {
    out('  Demo: train → register → serve');
    const jobName = 'iris-demo';
    let job = await client.tryGet(TrainingJobKind, NS, jobName);
    if (!job) {
      job = (await client.apply(TrainingJobKind, {
        apiVersion: 'capstan.dev/v1alpha1',
        kind: 'TrainingJob',
        metadata: { name: jobName, namespace: NS },
        spec: {
          framework: 'generic',
          replicaSpecs: { Trainer: { replicas: 1, restartPolicy: 'OnFailure', template: { command: [process.execPath, binPath(), 'train-demo'], args: ['--epochs', '200'], resources: { cpu: '1', memory: '256Mi' } } } },
          runPolicy: { backoffLimit: 1, activeDeadlineSeconds: 300 },
          output: { model: 'iris', path: 'model.onnx', register: true },
        },
      })).object;
      out(`  1. trainingjob/${jobName} applied: it waits in queue "default", then runs`);
    }
    job = await waitFor('the training job to finish', 300_000, async () => {
      const j = await client.get(TrainingJobKind, NS, jobName);
      const phase = (j.status as { phase?: string } | undefined)?.phase;
      if (phase === 'Failed') throw new Error(`the training job failed: ${cond(j, 'Failed')?.message ?? 'see capstan describe trainingjob ' + jobName}`);
      return phase === 'Succeeded' && (j.status as { registeredModelVersion?: string }).registeredModelVersion ? j : undefined;
    });
    const st = job.status as { registeredModelVersion: string; metrics?: Record<string, number> };
    const acc = st.metrics?.accuracy;
    out(`  2. trained and registered ${st.registeredModelVersion}${acc !== undefined ? ` (accuracy ${acc.toFixed(3)})` : ''}`);
    // "iris@1.0.0" (the job's record) or "iris-v1.0.0" (the ModelVersion's name).
    const version = st.registeredModelVersion.includes('@') ? st.registeredModelVersion.split('@')[1] : st.registeredModelVersion.replace(/^iris-v/, '');
    await client.request('PUT', `/apis/capstan.dev/v1alpha1/namespaces/${NS}/models/iris/aliases/production`, { version, reason: 'capstan up --demo' });
    out(`  3. alias iris@production → ${version}`);
    await client.apply(InferenceServiceKind, {
      apiVersion: 'capstan.dev/v1alpha1',
      kind: 'InferenceService',
      metadata: { name: 'iris', namespace: NS },
      spec: { predictor: { model: 'iris@production', minReplicas: 1, maxReplicas: 3 } },
    });
    const isvc = await waitFor('the inference service to be Ready', 180_000, async () => {
      const s = await client.get(InferenceServiceKind, NS, 'iris');
      return cond(s, 'Ready')?.status === 'True' && (s.status as { url?: string }).url ? s : undefined;
    });
    const url = (isvc.status as { url: string }).url;
    out(`  4. inferenceservice/iris is Ready at ${url}`);
    const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: SAMPLE }] });
    // Services are private: the gateway wants a token with infer in the project (the admin's here).
    const res = await fetch(`${url}/v2/models/iris/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    const answer = await res.text();
    out(`  5. a prediction (HTTP ${res.status}):`);
    out('');
    out(`     curl -s -X POST ${url}/v2/models/iris/infer -H 'content-type: application/json' \\`);
    out(`       -H "Authorization: Bearer $(cat ${p.adminTokenFile})" \\`);
    out(`       -d '${body}'`);
    out('');
    out(`     → ${answer.length > 400 ? `${answer.slice(0, 400)}…` : answer}`);
    out('');
    await runDemoExperiment(client, [process.execPath, binPath(), 'train-demo'], out);
    out('  See it:  capstan get trainingjobs,  capstan models history iris,  capstan get isvc,  the dashboard above.');
    await runPipelineDemo(client, out);
  } catch (err) {
    out(`  Demo stopped: ${err instanceof ApiError ? `${err.reason}: ${err.message}` : (err as Error).message}`);
  }
}
