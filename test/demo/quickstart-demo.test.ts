/**
 * The quickstart's demo on a real platform: it trains iris through the queue, registers it,
 * serves it, and the printed request answers with the right class.
 */
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDemo } from '../../src/cli/commands/demo.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform();
});
after(async () => tp.stop());

test('capstan up --demo: train → register → alias → serve → a prediction that works', async () => {
  const lines: string[] = [];
  await runDemo(tp.platform, (s) => lines.push(s));
  const text = lines.join('\n');
  assert.doesNotMatch(text, /Demo stopped/, text);
  assert.match(text, /registered iris@1\.0\.0 \(accuracy 0\.\d+\)/);
  const curl = /curl -s -X POST (\S+) .*\n\s+-H "Authorization: Bearer \$\(cat (\S+)\)" .*\n\s+-d '(.+)'/.exec(text);
  assert.ok(curl, text);
  // The service is private: without the token the gateway says 401.
  assert.equal((await fetch(curl[1], { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl[3] })).status, 401);
  // The printed request, sent as printed, answers: a setosa sample is class 0.
  const token = readFileSync(curl[2], 'utf8').trim();
  const res = await fetch(curl[1], { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: curl[3] });
  assert.equal(res.status, 200);
  const out = (await res.json()) as { outputs: Array<{ data: number[] }> };
  const probs = out.outputs[0].data;
  assert.equal(probs.indexOf(Math.max(...probs)), 0);
  assert.match(text, /pipeline demo-add .*: Succeeded, \(2 \+ 3\) \+ 10 = 15/);
  const acc = Number(/accuracy (0\.\d+)/.exec(text)![1]);
  assert.ok(acc >= 0.9, `demo accuracy ${acc}`);
  // The tuning step: an experiment over the trainer's epochs, its best trial reported.
  assert.match(text, /tuned: Succeeded \((GoalReached|MaxTrialsReached)\); best iris-tuning-\d with epochs=\d+, accuracy 0\.\d+/, text);
});
