import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { LocalCounter, LocalGauge, LocalHistogram } from '../../src/serving/model-server/local-metrics.js';

test('local metrics render through the prom-client Registry in its text format', async () => {
  const registry = new Registry();
  const c = new LocalCounter('t_requests_total', 'requests', ['model', 'outcome'], registry);
  const g = new LocalGauge('t_in_flight', 'in flight', ['model'], registry);
  const h = new LocalHistogram('t_seconds', 'durations', ['model'], [0.1, 1, 0.01], registry);
  const ok = c.labels({ model: 'm', outcome: 'success' });
  ok.inc();
  ok.inc(2);
  assert.equal(c.labels({ model: 'm', outcome: 'success' }), ok, 'one child per label set');
  g.labels({ model: 'm' }).inc();
  g.labels({ model: 'm' }).inc();
  g.labels({ model: 'm' }).dec();
  const hm = h.labels({ model: 'm' });
  for (const v of [0.005, 0.05, 0.5, 5]) hm.observe(v);
  const text = await registry.metrics();
  assert.match(text, /# TYPE t_requests_total counter\nt_requests_total\{model="m",outcome="success"\} 3/);
  assert.match(text, /t_in_flight\{model="m"\} 1/);
  assert.match(text, /# TYPE t_seconds histogram/);
  // Buckets sorted and cumulative, then +Inf, _sum, _count.
  assert.match(text, /t_seconds_bucket\{le="0.01",model="m"\} 1\nt_seconds_bucket\{le="0.1",model="m"\} 2\nt_seconds_bucket\{le="1",model="m"\} 3\nt_seconds_bucket\{le="\+Inf",model="m"\} 4\nt_seconds_sum\{model="m"\} 5.555\nt_seconds_count\{model="m"\} 4/);
  const json = await registry.getMetricsAsJSON();
  assert.deepEqual((json.find((m) => m.name === 't_requests_total') as { values: unknown[] }).values, [{ labels: { model: 'm', outcome: 'success' }, value: 3, metricName: undefined }]);
  assert.throws(() => c.labels({ nope: 'x' }), /no label 'nope'/);
  registry.resetMetrics();
  ok.inc();
  assert.match(await registry.metrics(), /t_requests_total\{model="m",outcome="success"\} 1/);
});
