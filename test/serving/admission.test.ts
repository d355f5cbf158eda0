import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admit, autoExpiryMs, defaultQueueBudgetMs, expectedWaitMs, MIN_DEFAULT_BUDGET_MS } from '../../src/serving/model-server/admission.js';
import { estimateComputeMs, fitComputeProfile, updateComputeProfile } from '../../src/serving/model-server/compute-profile.js';
import { chooseThreads, threadCandidates } from '../../src/serving/model-server/thread-choice.js';
import { BatchScheduler } from '../../src/serving/model-server/batch-scheduler.js';
import { InferError } from '../../src/serving/model-server/infer-error.js';
import { replicaThreads } from '../../src/serving/control/replica-command.js';

test('compute profile: a line through batch 1 and batch 64, kept current by measured batches', () => {
  const p = fitComputeProfile([{ rows: 1, ms: 0.5 }, { rows: 64, ms: 6.8 }]);
  assert.ok(Math.abs(p.perRowMs - 0.1) < 1e-9);
  assert.ok(Math.abs(p.fixedMs - 0.4) < 1e-9);
  assert.ok(Math.abs(estimateComputeMs(p, 32) - 3.6) < 1e-9);
  // One size only: all of it per row.
  assert.deepEqual(fitComputeProfile([{ rows: 4, ms: 2 }]), { fixedMs: 0, perRowMs: 0.5 });
  // Batches measured twice as slow pull the estimate up by alpha of the error.
  const slower = updateComputeProfile(p, { rows: 32, ms: 7.2 }, 0.5);
  assert.ok(Math.abs(estimateComputeMs(slower, 32) - 5.4) < 1e-9);
  // An uncalibrated (zero) profile takes the first batch as is.
  assert.deepEqual(updateComputeProfile({ fixedMs: 0, perRowMs: 0 }, { rows: 2, ms: 1 }), { fixedMs: 0, perRowMs: 0.5 });
});

test('expected wait counts full batches ahead, or requests ahead when the model does not batch', () => {
  const profile = { fixedMs: 1, perRowMs: 0.1 };
  const v = { rowsAhead: 0, requestsAhead: 0, busyRemainingMs: 2, maxBatchSize: 8, profile };
  assert.equal(expectedWaitMs(v, 1), 2); // joins the next batch
  assert.equal(expectedWaitMs({ ...v, rowsAhead: 7 }, 1), 2); // still fits the next batch
  assert.ok(Math.abs(expectedWaitMs({ ...v, rowsAhead: 8 }, 1) - (2 + 1.8)) < 1e-9); // one full batch first
  assert.ok(Math.abs(expectedWaitMs({ ...v, maxBatchSize: 0, requestsAhead: 3 }, 1) - (2 + 3 * 1.1)) < 1e-9);
  assert.equal(admit({ ...v, rowsAhead: 8 }, 1, 3.7), false);
  assert.equal(admit({ ...v, rowsAhead: 8 }, 1, 3.9), true);
  assert.equal(admit({ ...v, rowsAhead: 1000 }, 1, 0), true); // no budget = always
});

test('default budget: batching delay + 3 full batches, with a floor; automatic expiry is a late backstop', () => {
  assert.equal(defaultQueueBudgetMs({ fixedMs: 0, perRowMs: 0.001 }, 64), MIN_DEFAULT_BUDGET_MS);
  assert.ok(Math.abs(defaultQueueBudgetMs({ fixedMs: 0.2, perRowMs: 0.1 }, 64, 5) - (5 + 3 * 6.6)) < 1e-9);
  assert.ok(autoExpiryMs(2) > 4 * 2);
});

test('thread choice: one core is left to the event loop; fewest threads within 10% of the best', () => {
  assert.deepEqual(threadCandidates(1), [1]);
  assert.deepEqual(threadCandidates(2), [1]);
  assert.deepEqual(threadCandidates(4), [1, 2, 3]);
  assert.deepEqual(threadCandidates(8), [1, 2, 4, 7]);
  assert.equal(chooseThreads([{ threads: 1, rowsPerSec: 100 }, { threads: 2, rowsPerSec: 105 }]), 1);
  assert.equal(chooseThreads([{ threads: 1, rowsPerSec: 100 }, { threads: 2, rowsPerSec: 180 }, { threads: 4, rowsPerSec: 190 }]), 2);
});

test('replicas on one machine share its cores: replicas x threads <= cores', () => {
  assert.deepEqual(replicaThreads(undefined, 1, 8), { cpuBudget: 8 });
  assert.deepEqual(replicaThreads(undefined, 3, 8), { cpuBudget: 2 });
  assert.deepEqual(replicaThreads('4', 4, 8), { cpuBudget: 2, intraOpThreads: 2 });
  assert.deepEqual(replicaThreads('500m', 1, 2), { cpuBudget: 2, intraOpThreads: 1 });
  assert.deepEqual(replicaThreads(undefined, 5, 2), { cpuBudget: 1 });
});

/** A scheduler whose executor completes batches only when told, with a hand-driven clock. */
function harness(levels: number, maxBatchSize: number) {
  let clock = 0;
  const batches: string[][] = [];
  const release: Array<() => void> = [];
  const s = new BatchScheduler<string, string>(
    { maxBatchSize, preferredBatchSizes: [], maxQueueDelayMs: 0, maxQueueSize: 100, priorityLevels: levels },
    (items) => new Promise<void>((resolve) => {
      batches.push(items.map((i) => i.payload));
      release.push(() => { for (const i of items) i.resolve(i.payload); resolve(); });
    }),
    { fixedMs: 0, perRowMs: 1 },
    {},
    () => clock,
  );
  return { s, batches, release, tick: (ms: number) => { clock += ms; } };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('priority levels: queued higher-priority requests go first, FIFO within a level', async () => {
  const h = harness(2, 2);
  const done = [h.s.submit('k', 1, 0, 0, 2, 'busy')];
  await turn();
  assert.deepEqual(h.batches, [['busy']]);
  done.push(h.s.submit('k', 1, 0, 0, 2, 'low1'), h.s.submit('k', 1, 0, 0, 1, 'high1'), h.s.submit('k', 1, 0, 0, 2, 'low2'), h.s.submit('k', 1, 0, 0, 1, 'high2'));
  h.release.shift()!();
  await turn(); await turn();
  assert.deepEqual(h.batches[1], ['high1', 'high2']);
  h.release.shift()!();
  await turn(); await turn();
  assert.deepEqual(h.batches[2], ['low1', 'low2']);
  h.release.shift()!();
  assert.deepEqual(await Promise.all(done), ['busy', 'low1', 'high1', 'low2', 'high2']);
});

test('admission refuses at once when the expected wait exceeds the budget; higher priority sees less ahead', async () => {
  const h = harness(2, 1);
  const ok = h.s.submit('k', 1, 0, 0, 2, 'running');
  await turn();
  // 1 ms per row: 3 queued low-priority rows ahead = 3 ms (+ the running one's remaining 1 ms).
  const queued = [h.s.submit('k', 1, 0, 0, 2, 'a'), h.s.submit('k', 1, 0, 0, 2, 'b'), h.s.submit('k', 1, 0, 0, 2, 'c')];
  assert.equal(h.s.expectedWaitMs(1, 2), 4);
  await assert.rejects(h.s.submit('k', 1, 3.5, 100, 2, 'late'), (e: InferError) => e.code === 'QueueFull' && e.httpStatus === 503 && /expected queue wait 4\.0 ms/.test(e.message));
  // The same budget admits a priority-1 request: only the running batch is ahead of it.
  const high = h.s.submit('k', 1, 3.5, 100, 1, 'urgent');
  h.tick(1);
  h.release.shift()!();
  await turn(); await turn();
  assert.deepEqual(h.batches[1], ['urgent']);
  for (let i = 0; i < 4; i++) { h.release.shift()?.(); await turn(); await turn(); }
  assert.deepEqual(await Promise.all([ok, high, ...queued]), ['running', 'urgent', 'a', 'b', 'c']);
});
