/** `capstan models …` as a user runs it: child processes against a real server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMlpOnnx } from '../../src/onnx/index.js';
import { capstanArgv } from '../support/spawn-capstan.js';
import { repoRoot } from '../support/repo-root.js';
import { startRegistryPlatform, type RegistryTestPlatform } from './registry-platform.js';

let tp: RegistryTestPlatform;
let dir: string;
before(async () => {
  tp = await startRegistryPlatform();
  dir = mkdtempSync(join(tmpdir(), 'capstan-models-cli-'));
});
after(async () => tp.stop());

function capstan(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, capstanArgv(args), {
      cwd: repoRoot(),
      env: { ...process.env, HOME: dir, CAPSTAN_SERVER: tp.url, CAPSTAN_TOKEN: tp.token },
      timeout: 60_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

function model(seed: number): string {
  const p = join(dir, `m${seed}.onnx`);
  writeFileSync(p, buildMlpOnnx({ inputSize: 3, layers: [{ out: 2, weights: Float32Array.from({ length: 6 }, (_, i) => i * seed), bias: Float32Array.from([seed, 1]), activation: 'none' }] }));
  return p;
}

test('push, versions, alias, rollback, history (--at), compare, pull', async () => {
  const p1 = await capstan(['models', 'push', model(1), '--model', 'digits', '--version', '1.1.0', '--metric', 'accuracy=0.95', '--param', 'lr=0.01', '--alias', 'production', '--reason', 'first release']);
  assert.equal(p1.code, 0, p1.err + p1.out);
  assert.match(p1.out, /modelversion\/digits-v1\.1\.0 registered: digits@1\.1\.0 sha256:[0-9a-f]{64}/);
  const p2 = await capstan(['models', 'push', model(2), '--model', 'digits', '--metric', 'accuracy=0.97', '--metric', 'f1=0.9']);
  assert.equal(p2.code, 0, p2.err);
  assert.match(p2.out, /digits@1\.1\.1/);

  const versions = await capstan(['models', 'versions', 'digits']);
  assert.match(versions.out, /^VERSION\s+FORMAT\s+SIZE\s+SHA256\s+ALIASES/m);
  assert.match(versions.out, /1\.1\.0\s+onnx\s+\d+\s+[0-9a-f]{12}\s+production/);
  const list = await capstan(['models', 'list']);
  assert.match(list.out, /digits\s+\S*\s*\S*\s*production=1\.1\.0/);

  const al = await capstan(['models', 'alias', 'digits', 'production', '1.1.1', '--reason', 'better accuracy']);
  assert.equal(al.code, 0, al.err);
  const missing = await capstan(['models', 'alias', 'digits', 'production', '7.0.0']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err + missing.out, /no version 7\.0\.0/);
  const rb = await capstan(['models', 'rollback', 'digits', 'production', '--reason', 'latency regression']);
  assert.equal(rb.code, 0, rb.err);
  assert.match(rb.out, /rolled back to 1\.1\.0/);

  const hist = await capstan(['models', 'history', 'digits']);
  assert.match(hist.out, /^TIME\s+ALIAS\s+FROM\s+TO\s+WHO\s+REASON/m);
  assert.match(hist.out, /production\s+-\s+1\.1\.0\s+admin\s+first release/);
  assert.match(hist.out, /production\s+1\.1\.0\s+1\.1\.1\s+admin\s+better accuracy/);
  assert.match(hist.out, /production\s+1\.1\.1\s+1\.1\.0\s+admin\s+\[rollback\] latency regression/);
  const before2000 = await capstan(['models', 'history', 'digits', '--at', '2000-01-01']);
  assert.doesNotMatch(before2000.out, /production/);
  const now = await capstan(['models', 'history', 'digits', '--at', new Date(Date.now() + 60_000).toISOString()]);
  assert.match(now.out, /production\s+1\.1\.0/);
  const badAt = await capstan(['models', 'history', 'digits', '--at', 'someday']);
  assert.notEqual(badAt.code, 0);
  assert.match(badAt.err + badAt.out, /--at: "someday" is not a date/);

  const cmp = await capstan(['models', 'compare', 'digits', '1.1.0', '1.1.1']);
  assert.match(cmp.out, /^METRIC\s+1\.1\.0\s+1\.1\.1/m);
  assert.match(cmp.out, /accuracy\s+0\.95\s+0\.97/);
  assert.match(cmp.out, /f1\s+-\s+0\.9/);
  assert.match(cmp.out, /param:lr\s+0\.01\s+-/);

  const out = join(dir, 'pulled');
  const pull = await capstan(['models', 'pull', 'digits@production', '-o', out]);
  assert.equal(pull.code, 0, pull.err);
  assert.match(pull.out, /pulled digits@1\.1\.0 \(sha256 verified\)/);
  assert.deepEqual(readFileSync(join(out, 'm1.onnx')), readFileSync(join(dir, 'm1.onnx')));
  const range = await capstan(['models', 'pull', 'digits@^1.1', '-o', join(dir, 'p2')]);
  assert.match(range.out, /digits@1\.1\.1/);
});

test('bad flags and refs fail with messages naming them', async () => {
  const m = await capstan(['models', 'push', model(3), '--model', 'digits', '--metric', 'accuracy=high']);
  assert.notEqual(m.code, 0);
  assert.match(m.err + m.out, /--metric accuracy=high: high is not a number/);
  const v = await capstan(['models', 'push', model(3), '--model', 'digits', '--version', '1.2']);
  assert.notEqual(v.code, 0);
  assert.match(v.err + v.out, /version.*not a SemVer 2\.0 version/);
  const n = await capstan(['models', 'push', model(3), '--model', 'Bad_Name']);
  assert.notEqual(n.code, 0);
  assert.match(n.err + n.out, /DNS-1123/);
  const r = await capstan(['models', 'pull', 'digits@^1.x.y.z', '-o', join(dir, 'x')]);
  assert.notEqual(r.code, 0);
  assert.match(r.err + r.out, /ref: "\^1\.x\.y\.z" is neither/);
});
