/** RecurringRun: the pure schedule (cron via croner, intervals, catch-up, end time) and runs started through the real platform. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scheduleDue, cronProblem } from '../../src/pipelines/recurring-schedule.js';
import type { RecurringRunSpec } from '../../src/api/kinds/pipeline-schemas.js';
import { PipelineKind, PipelineRunKind, PipelineVersionKind, RecurringRunKind } from '../../src/api/kinds/pipeline-kinds.js';
import { startTrainingPlatform, waitFor } from '../training/training-platform.js';

const spec = (schedule: RecurringRunSpec['schedule'], catchup = false): RecurringRunSpec => ({ pipeline: 'p', parameters: {}, schedule, maxConcurrency: 1, catchup, enabled: true, cache: true, queueName: 'default', keepRuns: 20 });

test('schedule: cron and interval times, catch-up or only the latest, end time, bad cron', () => {
  const last = new Date('2026-01-01T00:00:00Z');
  const now = new Date('2026-01-01T00:05:30Z');
  const every = scheduleDue(spec({ cron: '* * * * *' }, true), last, now);
  assert.deepEqual(every.due.map((d) => d.toISOString().slice(11, 16)), ['00:01', '00:02', '00:03', '00:04', '00:05']);
  assert.equal(every.next?.toISOString(), '2026-01-01T00:06:00.000Z');
  assert.deepEqual(scheduleDue(spec({ cron: '* * * * *' }), last, now).due.map((d) => d.toISOString().slice(11, 16)), ['00:05']);
  assert.deepEqual(scheduleDue(spec({ intervalSeconds: 120 }, true), last, now).due.map((d) => d.toISOString().slice(11, 16)), ['00:02', '00:04']);
  const ended = scheduleDue(spec({ intervalSeconds: 60, endTime: '2026-01-01T00:02:30Z' }, true), last, now);
  assert.equal(ended.due.length, 2);
  assert.equal(ended.next, undefined);
  assert.match(cronProblem('61 * * * *') ?? '', /./);
  assert.equal(cronProblem('*/5 * * * *'), undefined);
});

test('a RecurringRun starts runs on its interval, one at a time; a bad cron is a 422 naming the field', async () => {
  const tp = await startTrainingPlatform();
  try {
    await tp.client.create(PipelineKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Pipeline', metadata: { name: 'tick', namespace: 'default' }, spec: {} });
    await tp.client.create(PipelineVersionKind, {
      apiVersion: 'capstan.dev/v1alpha1', kind: 'PipelineVersion', metadata: { name: 'tick-v1', namespace: 'default', labels: { 'capstan.dev/pipeline': 'tick' } },
      spec: { pipeline: 'tick', pipelineSpec: { pipelineInfo: { name: 'tick' }, components: { 'comp-t': { executorLabel: 'exec-t' } }, deploymentSpec: { executors: { 'exec-t': { container: { image: 'busybox', command: ['true'] } } } }, root: { dag: { tasks: { t: { componentRef: { name: 'comp-t' }, cachingOptions: { enableCache: false } } } } } } },
    });
    await assert.rejects(tp.client.create(RecurringRunKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'RecurringRun', metadata: { name: 'bad', namespace: 'default' }, spec: { pipeline: 'tick', schedule: { cron: 'every day' } } }), /spec\.schedule\.cron/);
    await tp.client.create(RecurringRunKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'RecurringRun', metadata: { name: 'tick', namespace: 'default' }, spec: { pipeline: 'tick', schedule: { intervalSeconds: 1 } } });
    await waitFor('two runs started', async () => (await tp.client.list(PipelineRunKind, { namespace: 'default', labelSelector: 'capstan.dev/recurring-run=tick' })).items.length >= 2, 30_000);
    await tp.client.patch(RecurringRunKind, 'default', 'tick', { spec: { enabled: false } });
    const runs = (await tp.client.list(PipelineRunKind, { namespace: 'default', labelSelector: 'capstan.dev/recurring-run=tick' })).items;
    assert.ok(runs.every((r) => (r.spec as { pipeline: string }).pipeline === 'tick'));
  } finally {
    await tp.stop();
  }
});
