import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInferencePath } from '../../src/serving/gateway/oip-path.js';
import { rewriteModelNameInHead } from '../../src/serving/gateway/model-name-rewrite.js';
import { pickSmoothWeighted } from '../../src/serving/gateway/weighted-choice.js';

test('parseInferencePath recognises OIP v2 and V1 paths and rebuilds them for the model', () => {
  const p = parseInferencePath('/v2/models/digits/versions/3/infer?x=1')!;
  assert.equal(p.service, 'digits');
  assert.equal(p.kind, 'infer');
  assert.equal(p.upstreamPath('mnist'), '/v2/models/mnist/versions/3/infer?x=1');
  assert.equal(parseInferencePath('/v2/models/digits')!.kind, 'metadata');
  assert.equal(parseInferencePath('/v2/models/digits/ready')!.kind, 'ready');
  const v1 = parseInferencePath('/v1/models/digits:predict')!;
  assert.equal(v1.kind, 'predict');
  assert.equal(v1.upstreamPath('mnist'), '/v1/models/mnist:predict');
  assert.equal(parseInferencePath('/v2/health/ready'), null);
  assert.equal(parseInferencePath('/v2/models/%E0%A4%A/infer'), null, 'malformed escape');
});

test('rewriteModelNameInHead replaces only the first matching field and leaves other bytes alone', () => {
  const body = Buffer.from('{"model_name" : "mnist","outputs":[{"name":"mnist","data":[1]}],"note":"é"}');
  const out = rewriteModelNameInHead(body, 'mnist', 'digits', ['model_name']).toString('utf8');
  assert.equal(out, '{"model_name":"digits","outputs":[{"name":"mnist","data":[1]}],"note":"é"}');
  const same = Buffer.from('{"model_name":"other"}');
  assert.equal(rewriteModelNameInHead(same, 'mnist', 'digits', ['model_name']), same);
});

test('smooth weighted round-robin is exact and interleaved', () => {
  const items = [{ id: 'a', weight: 3, currentWeight: 0 }, { id: 'b', weight: 1, currentWeight: 0 }, { id: 'z', weight: 0, currentWeight: 0 }];
  const seq = Array.from({ length: 8 }, () => pickSmoothWeighted(items)!.id).join('');
  assert.equal(seq, 'aabaaaba');
  assert.equal(pickSmoothWeighted([{ weight: 0, currentWeight: 0 }]), null);
});
