import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideBatch, type QueuedRequestView } from '../../src/serving/model-server/batch-policy.js';

const q = (key: string, rows: number, at: number, deadline = Infinity): QueuedRequestView => ({ key, rows, enqueuedAt: at, deadline });
const cfg = { maxBatchSize: 8, preferredBatchSizes: [] as number[], maxQueueDelayMs: 0 };

test('zero delay dispatches everything compatible at once', () => {
  const d = decideBatch([q('a', 1, 0), q('a', 2, 0), q('a', 1, 0)], 0, false, cfg);
  assert.deepEqual(d.dispatch, [0, 1, 2]);
});

test('nothing is dispatched while busy; a deadline still sets the wake time', () => {
  const d = decideBatch([q('a', 1, 0, 50)], 10, true, cfg);
  assert.deepEqual(d.dispatch, []);
  assert.equal(d.wakeAt, 50);
});

test('different keys never share a batch; the head decides which key goes first', () => {
  const d = decideBatch([q('b', 1, 0), q('a', 1, 0), q('b', 1, 1), q('a', 1, 1)], 5, false, cfg);
  assert.deepEqual(d.dispatch, [0, 2]);
});

test('batch never exceeds max_batch_size and keeps FIFO order', () => {
  const d = decideBatch([q('a', 5, 0), q('a', 4, 0), q('a', 3, 0)], 0, false, cfg);
  assert.deepEqual(d.dispatch, [0]);
});

test('full batch goes immediately even before the queue delay', () => {
  const d = decideBatch([q('a', 4, 0), q('a', 4, 0)], 1, false, { ...cfg, maxQueueDelayMs: 100 });
  assert.deepEqual(d.dispatch, [0, 1]);
});

test('waits for the queue delay when the batch is not full, then dispatches', () => {
  const c = { ...cfg, maxQueueDelayMs: 10 };
  const queue = [q('a', 1, 100), q('a', 1, 103)];
  const early = decideBatch(queue, 105, false, c);
  assert.deepEqual(early.dispatch, []);
  assert.equal(early.wakeAt, 110);
  assert.deepEqual(decideBatch(queue, 110, false, c).dispatch, [0, 1]);
});

test('preferred batch size dispatches a prefix of that size without waiting', () => {
  const c = { maxBatchSize: 16, preferredBatchSizes: [2, 4], maxQueueDelayMs: 1000 };
  const queue = [q('a', 1, 0), q('a', 1, 0), q('a', 1, 0), q('a', 1, 0), q('a', 1, 0)];
  assert.deepEqual(decideBatch(queue, 1, false, c).dispatch, [0, 1, 2, 3]);
  assert.deepEqual(decideBatch(queue.slice(0, 3), 1, false, c).dispatch, []);
});

test('expired requests are reported and skipped', () => {
  const d = decideBatch([q('a', 1, 0, 5), q('a', 1, 0)], 6, false, cfg);
  assert.deepEqual(d.expired, [0]);
  assert.deepEqual(d.dispatch, [1]);
});

test('a model without batching runs one request at a time', () => {
  const d = decideBatch([q('', 1, 0), q('', 1, 0)], 0, false, { ...cfg, maxBatchSize: 0 });
  assert.deepEqual(d.dispatch, [0]);
});

test('empty queue decides nothing', () => {
  assert.deepEqual(decideBatch([], 0, false, cfg), { dispatch: [], expired: [] });
});
