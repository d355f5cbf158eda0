/** InferenceService end to end on the embedded default: a real platform, real model-server children, the gateway. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceServiceKind } from '../../src/api/kinds/inference-service.js';
import { EventKind } from '../../src/api/kinds/event.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { condTrue, inferV2, isvcManifest, loadLoop, predictV1, waitFor, writeModel } from './isvc-helpers.js';

let tp: TestPlatform;
let dir: string;
let v1: string;
let v2: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capstan-'));
  v1 = writeModel(dir, 'v1', 10);
  v2 = writeModel(dir, 'v2', 20);
  tp = await startTestPlatform();
});

after(async () => {
  await tp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('apply → Ready → OIP REST and V1 answers through the gateway; rolling update under load has zero failures', async () => {
  await tp.client.apply(InferenceServiceKind, isvcManifest('digits', { storageUri: v1 }));
  const o = await waitFor(tp.client, 'digits', 'Ready', (s) => condTrue(s, 'Ready'));
  const st = o.status as { url: string; routeName: string; modelVersions: string[]; revisions: Array<{ readyReplicas: number }> };
  assert.match(st.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(st.routeName, 'digits');
  assert.deepEqual(st.modelVersions, [v1]);
  const r = await inferV2(st.url, 'digits', [1, 2]);
  assert.equal(r.status, 200);
  assert.equal(r.value, 1 + 2 * 2 + 10);
  const p = await predictV1(st.url, 'digits', [3, 4]);
  assert.equal(p.status, 200);
  assert.equal(p.value, 3 + 8 + 10);

  const load = loadLoop(st.url, 'digits', 4);
  await new Promise((res) => setTimeout(res, 300));
  await tp.client.apply(InferenceServiceKind, isvcManifest('digits', { storageUri: v2 }));
  const rolled = await waitFor(tp.client, 'digits', 'the new revision stable and the old one gone', (s) => s.stableRevision === s.latestRevision && (s.revisions ?? []).length === 1 && condTrue(s, 'Ready'));
  await new Promise((res) => setTimeout(res, 300));
  const result = await load.stop();
  assert.equal(result.failed, 0, `failed requests: ${result.failures.slice(0, 5).join('; ')}`);
  assert.ok((result.values.get(13) ?? 0) > 0 && (result.values.get(23) ?? 0) > 0, `answers from both versions: ${JSON.stringify([...result.values])}`);
  assert.equal((await inferV2(st.url, 'digits', [1, 1])).value, 23);
  assert.deepEqual((rolled.status as { modelVersions: string[] }).modelVersions, [v2]);
});
