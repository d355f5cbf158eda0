/**
 * The API routes the dashboard's InferenceService page uses: the same-origin proxy to the gateway (auth, path
 * guard, Status errors) and the metrics history; plus their pure cores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceServiceKind } from '../../src/api/kinds/inference-service.js';
import { histogramQuantile, sampleBetween } from '../../src/serving/control/isvc-metrics-routes.js';
import { proxyPathAllowed } from '../../src/serving/control/isvc-proxy-routes.js';
import { condTrue, isvcManifest, waitFor, writeModel } from '../serving-control/isvc-helpers.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

test('the proxy forwards only the service\'s own model paths', () => {
  assert.ok(proxyPathAllowed('v2/models/digits/infer', 'digits'));
  assert.ok(proxyPathAllowed('v2/models/digits', 'digits'));
  assert.ok(proxyPathAllowed('v1/models/digits:predict', 'digits'));
  assert.ok(!proxyPathAllowed('v2/models/digits2/infer', 'digits'), 'a longer name is another service');
  assert.ok(!proxyPathAllowed('v2/models/other/infer', 'digits'));
  assert.ok(!proxyPathAllowed('v2/models/digits/../other/infer', 'digits'));
  assert.ok(!proxyPathAllowed('v2/health/ready', 'digits'));
});

test('latency quantiles come from the histogram interval, interpolated in the bucket', () => {
  const b: Array<[number, number]> = [[0.01, 50], [0.1, 90], [1, 100], [Infinity, 100]];
  assert.equal(histogramQuantile(0.5, b), 0.01);
  assert.ok(Math.abs(histogramQuantile(0.99, b)! - 0.91) < 1e-9);
  assert.equal(histogramQuantile(0.5, [[0.01, 0], [Infinity, 0]]), null);
  assert.equal(histogramQuantile(0.99, [[0.01, 0], [Infinity, 5]]), 0.01, 'beyond the last bound: the bound');
  const s = sampleBetween({ at: 0, requests: 10, errors: 1, buckets: [[0.01, 5], [Infinity, 10]] }, { at: 2000, requests: 30, errors: 3, buckets: [[0.01, 25], [Infinity, 30]] }, { inFlight: 0, readyReplicas: 1, desiredReplicas: 1 });
  assert.equal(s.rps, 10);
  assert.equal(s.errorsPerSec, 1);
  assert.equal(s.p50Ms, 5);
});

describe('proxy and metrics routes on a real platform', () => {
  let tp: TestPlatform;
  const base = () => `${tp.url}/apis/capstan.dev/v1alpha1/namespaces/default/inferenceservices/sum`;
  const auth = () => ({ authorization: `Bearer ${tp.token}` });
  before(async () => {
    tp = await startTestPlatform();
    const uri = writeModel(mkdtempSync(join(tmpdir(), 'capstan-')), 'sum', 0.5);
    await tp.client.apply(InferenceServiceKind, isvcManifest('sum', { storageUri: uri, minReplicas: 1 }));
    await waitFor(tp.client, 'sum', 'Ready', (s) => condTrue(s, 'Ready'), 60_000);
  });
  after(async () => {
    await tp?.stop();
  });

  test('a prediction through the proxy, model metadata, and refusals as Status', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [1, 1] }] });
    const res = await fetch(`${base()}/proxy/v2/models/sum/infer`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body });
    assert.equal(res.status, 200);
    const out = (await res.json()) as { outputs: Array<{ data: number[] }> };
    assert.equal(out.outputs[0]!.data[0], 3.5);
    const meta = (await (await fetch(`${base()}/proxy/v2/models/sum`, { headers: auth() })).json()) as { inputs: Array<{ name: string; shape: number[] }> };
    assert.equal(meta.inputs[0]!.name, 'input');
    const noToken = await fetch(`${base()}/proxy/v2/models/sum/infer`, { method: 'POST', body });
    assert.equal(noToken.status, 401);
    const other = await fetch(`${base()}/proxy/v2/models/elsewhere/infer`, { method: 'POST', headers: auth(), body });
    assert.equal(other.status, 400);
    assert.equal(((await other.json()) as { details: { causes: Array<{ field: string }> } }).details.causes[0]!.field, 'path');
    const missing = await fetch(`${tp.url}/apis/capstan.dev/v1alpha1/namespaces/default/inferenceservices/nope/proxy/v2/models/nope/infer`, { method: 'POST', headers: auth(), body });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { kind: string }).kind, 'Status');
  });

  test('the metrics history shows the requests that were sent', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [1, 1] }] });
    const until = Date.now() + 20_000;
    for (;;) {
      for (let i = 0; i < 5; i++) await fetch(`${base()}/proxy/v2/models/sum/infer`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body });
      const m = (await (await fetch(`${base()}/metrics`, { headers: auth() })).json()) as { samples: Array<{ rps: number; p50Ms: number | null; readyReplicas: number }> };
      const busy = m.samples.find((s) => s.rps > 0);
      if (busy) {
        assert.ok(busy.p50Ms !== null && busy.p50Ms > 0);
        assert.equal(busy.readyReplicas, 1);
        break;
      }
      assert.ok(Date.now() < until, `no sample with traffic: ${JSON.stringify(m.samples)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const none = await fetch(`${tp.url}/apis/capstan.dev/v1alpha1/namespaces/default/inferenceservices/nope/metrics`, { headers: auth() });
    assert.equal(none.status, 404);
  });
});
