/**
 * The dashboard's live pages end to end, with a real model and a real training job: apply a service from the
 * YAML editor and watch it turn Ready, predict from "Try it" (through the API server's proxy), see the traffic
 * chart move, upload a model version with the progress bar, start a training job from the form and watch its
 * log stream and metric chart. Screenshots go to a temp artifacts dir (paths are printed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { InferenceServiceKind } from '../../src/api/kinds/inference-service.js';
import { TrainingJobKind } from '../../src/api/kinds/training-job.js';
import { buildMlpOnnx } from '../../src/onnx/index.js';
import { dashboardDir } from '../../src/web/dashboard-files.js';
import { condTrue, waitFor, writeModel, useGatewayToken } from '../serving-control/isvc-helpers.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { artifactsDir, browserUnavailable, launchBrowser } from './browser.js';
import { unlabelledControls } from './page-checks.js';

const inCi = process.env.CI === 'true';
const missing = browserUnavailable() ?? (existsSync(join(dashboardDir(), 'index.html')) ? undefined : `the dashboard is not built at ${dashboardDir()} (npm run build:web)`);
const skip = missing && !inCi ? `skipped: ${missing}` : false;

describe('dashboard live pages in a real browser', { skip }, () => {
  let tp: TestPlatform;
  let browser: Browser;
  let page: Page;
  let shots: string;
  let work: string;
  const shot = async (name: string) => {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  };
  const ui = (path: string) => `${tp.url}/ui/${path}`;

  before(async () => {
    if (missing) throw new Error(`dashboard browser tests cannot run in CI: ${missing}`);
    tp = await startTestPlatform();
    useGatewayToken(tp.token);
    work = mkdtempSync(join(tmpdir(), 'capstan-web-live-'));
    shots = artifactsDir(work);
    browser = await launchBrowser();
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await ctx.newPage();
    await page.goto(ui(''));
    await page.getByLabel('API token').fill(tp.token);
    await page.getByRole('button', { name: 'Sign in with a token' }).click();
    await page.locator('[data-ready="true"]').waitFor();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  test('a service applied from the UI turns Ready; Try it predicts through the proxy; the traffic chart moves', async () => {
    const uri = writeModel(work, 'sum', 0.5); // y = x0 + 2·x1 + 0.5
    await page.goto(ui('p/default/inferenceservices/~new'));
    await page.getByLabel('InferenceService YAML').fill(`apiVersion: capstan.dev/v1alpha1\nkind: InferenceService\nmetadata:\n  name: sum\n  namespace: default\nspec:\n  predictor:\n    storageUri: ${uri}\n    minReplicas: 1\n    maxReplicas: 2\n`);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/inferenceservices\/sum/);
    await waitFor(tp.client, 'sum', 'Ready', (s) => condTrue(s, 'Ready'), 60_000);
    await page.locator('h1 .badge', { hasText: /Ready/ }).waitFor({ timeout: 15_000 });
    // the signature comes from the model server's metadata (a file:// model has no ModelVersion)
    const field = page.getByLabel(/^input FP32 \[1, 2\]/);
    await field.waitFor({ timeout: 15_000 });
    assert.equal(await field.inputValue(), '0, 0');
    await field.fill('1, 2');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const out = page.locator('[data-output="output"]');
    await out.waitFor({ timeout: 15_000 });
    assert.equal((await out.textContent())?.trim(), '5.5');
    await page.getByText('HTTP 200').waitFor();
    // a request the model cannot take: the model server's words are shown
    await field.fill('1');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Refused: the model server answered' }).waitFor();
    await shot('isvc-try-it-refused');
    await field.fill('1, 2');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByText('HTTP 200').waitFor();
    // a few more requests, then the requests/s chart shows them
    for (let i = 0; i < 8; i++) await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-rps"]')?.getAttribute('data-max') ?? 0) > 0, undefined, { timeout: 20_000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-replicas"]')?.getAttribute('data-max') ?? 0) >= 1, undefined, { timeout: 10_000 });
    // the replica log streams (the model server logs its start)
    await page.waitForFunction(() => Number(document.querySelector('pre.logs')?.getAttribute('data-lines') ?? 0) > 0, undefined, { timeout: 10_000 });
    assert.deepEqual(await unlabelledControls(page), []);
    await shot('isvc-live');
  });

  test('the canary slider sets the share with a merge patch; roll back drops it', async () => {
    const v2 = writeModel(work, 'sum2', 1.5);
    await tp.client.patch(InferenceServiceKind, 'default', 'sum', { spec: { canary: { storageUri: v2, trafficPercent: 10 } } });
    await page.getByRole('heading', { name: 'Canary' }).waitFor({ timeout: 10_000 });
    const slider = page.getByLabel(/^Canary traffic/);
    await slider.focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.getByRole('button', { name: 'Set 30%' }).click();
    await page.getByRole('status').filter({ hasText: '30% of the traffic' }).waitFor();
    const obj = await tp.client.get(InferenceServiceKind, 'default', 'sum');
    assert.equal((obj.spec as { canary?: { trafficPercent: number } }).canary?.trafficPercent, 30);
    await shot('isvc-canary');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('status').filter({ hasText: 'Rolled back' }).waitFor();
    assert.equal(((await tp.client.get(InferenceServiceKind, 'default', 'sum')).spec as { canary?: unknown }).canary, undefined);
  });

  test('a model file uploads with a progress bar and is registered as a version', async () => {
    const file = join(work, 'digits.onnx');
    writeFileSync(file, buildMlpOnnx({ inputSize: 4, layers: [{ out: 3, weights: new Float32Array(12).fill(0.1), bias: new Float32Array(3), activation: 'softmax' }] }));
    await page.goto(ui('p/default/models'));
    await page.getByLabel('Model', { exact: true }).fill('digits');
    await page.getByLabel(/^File/).setInputFiles(file);
    await page.getByLabel(/^Version/).fill('1.0.0');
    await page.getByLabel(/^Metrics/).fill('accuracy=0.9');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('status').filter({ hasText: 'Registered digits-v1.0.0' }).waitFor({ timeout: 15_000 });
    await page.locator('tr[data-name="digits"]').waitFor();
    await shot('models-upload');
    await page.getByRole('link', { name: 'digits-v1.0.0' }).click();
    await page.getByText('input: FP32[-1, 4]').waitFor();
  });

  test('a training job started from the form streams its log and charts its metrics', async () => {
    await page.goto(ui('p/default/trainingjobs/~new'));
    await page.getByLabel('Name').fill('Bad_Name');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.locator('.field-error', { hasText: 'lowercase letters' }).waitFor();
    await page.getByLabel('Name').fill('from-form');
    // the server's limit (512 replicas) is checked there and shown at the field
    await page.getByLabel('Replicas').fill('600');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.locator('[id="err-spec.replicaSpecs.Worker.replicas"]').waitFor();
    await shot('training-form-error');
    await page.getByLabel('Replicas').fill('1');
    await page.getByLabel('CPU per replica').selectOption('500m');
    await page.getByRole('button', { name: 'Show YAML' }).click();
    const yaml = (await page.getByLabel('TrainingJob as YAML').textContent()) ?? '';
    assert.match(yaml, /name: from-form/);
    assert.match(yaml, /cpu: 500m/);
    assert.deepEqual(await unlabelledControls(page), []);
    await shot('training-form');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL(/\/trainingjobs\/from-form/);
    const job = await tp.client.get(TrainingJobKind, 'default', 'from-form');
    assert.equal((job.spec as { queueName: string }).queueName, 'default');
    // lines arrive while the job runs (it prints one step every 300 ms)
    await page.locator('pre.logs', { hasText: 'step 3' }).waitFor({ timeout: 30_000 });
    const seenEarly = await page.locator('pre.logs').getAttribute('data-lines');
    await page.locator('pre.logs', { hasText: 'step 20' }).waitFor({ timeout: 30_000 });
    assert.ok(Number(seenEarly) < Number(await page.locator('pre.logs').getAttribute('data-lines')), 'the log grew while it was shown');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points') ?? 0) >= 5, undefined, { timeout: 15_000 });
    await page.locator('[data-testid="chart-accuracy"]').waitFor();
    await shot('training-live');
  });

  test('the live pages in dark theme and at phone width: no sideways scrolling', async () => {
    await page.goto(ui('p/default/inferenceservices/sum'));
    await page.locator('[data-testid="chart-rps"]').waitFor();
    await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
    await shot('isvc-dark');
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const phone = await phoneCtx.newPage();
      await phone.goto(ui(''));
      await phone.getByLabel('API token').fill(tp.token);
      await phone.getByRole('button', { name: 'Sign in with a token' }).click();
      await phone.locator('[data-ready="true"]').waitFor();
      for (const p of ['p/default/inferenceservices/sum', 'p/default/trainingjobs/from-form', 'p/default/trainingjobs/~new', 'p/default/models']) {
        await phone.goto(ui(p));
        await phone.locator('main h1').first().waitFor();
        const path = join(shots, `phone-${p.split('/').slice(2).join('-').replace('~', '')}.png`);
        await phone.screenshot({ path, fullPage: true });
        console.log(`screenshot: ${path}`);
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `/ui/${p} scrolls sideways by ${overflow}px at 390px`);
      }
    } finally {
      await phoneCtx.close();
    }
  });
});
