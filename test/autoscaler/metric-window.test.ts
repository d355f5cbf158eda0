import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyMetricWindow, recordLoad, sampleFromCounters, windowAverage } from '../../src/autoscaler/metric-window.js';

test('averages concurrency over buckets and rps over the window span', () => {
  let w = emptyMetricWindow(1000, 60_000);
  const samples = [];
  for (let t = 1000; t <= 60_000; t += 1000) samples.push({ t, concurrency: t <= 30_000 ? 10 : 20, requests: 5 });
  w = recordLoad(w, samples, 60_000);
  const stable = windowAverage(w, 60_000, 60_000);
  assert.equal(stable.concurrency, 15);
  // 60 samples × 5 requests over the 60 s the series has existed (buckets 1..60 s).
  assert.equal(stable.rps, 5);
  const panic = windowAverage(w, 6000, 60_000);
  assert.equal(panic.concurrency, 20);
  assert.equal(panic.rps, 5);
});

test('a young series is averaged over its age, not the full window', () => {
  let w = emptyMetricWindow(1000, 60_000);
  w = recordLoad(w, [{ t: 100_000, concurrency: 8, requests: 10 }, { t: 101_000, concurrency: 8, requests: 10 }], 101_000);
  const a = windowAverage(w, 60_000, 101_000);
  assert.equal(a.concurrency, 8);
  assert.equal(a.rps, 10);
});

test('samples in the same bucket average their concurrency and sum their requests; sampling every 2 s is not halved', () => {
  let w = emptyMetricWindow(1000, 60_000);
  w = recordLoad(w, [{ t: 1000, concurrency: 4, requests: 1 }, { t: 1500, concurrency: 6, requests: 2 }], 2000);
  assert.equal(w.buckets.length, 1);
  assert.deepEqual(w.buckets[0], { start: 1000, concurrencySum: 10, sampleCount: 2, requests: 3 });
  let v = emptyMetricWindow(1000, 60_000);
  const samples = [];
  for (let t = 2000; t <= 20_000; t += 2000) samples.push({ t, concurrency: 12, requests: 0 });
  v = recordLoad(v, samples, 20_000);
  assert.equal(windowAverage(v, 6000, 20_000).concurrency, 12);
});

test('old buckets are dropped and future samples ignored; no data is reported as such', () => {
  let w = emptyMetricWindow(1000, 10_000);
  w = recordLoad(w, [{ t: 1000, concurrency: 1, requests: 1 }, { t: 99_000, concurrency: 5, requests: 1 }], 50_000);
  assert.equal(w.buckets.length, 0);
  assert.equal(windowAverage(w, 10_000, 50_000).hasData, false);
  assert.equal(windowAverage(emptyMetricWindow(1000, 1000), 6000, 0).hasData, false);
});

test('recordLoad does not mutate its input', () => {
  const w = emptyMetricWindow(1000, 60_000);
  const w2 = recordLoad(w, [{ t: 1000, concurrency: 1, requests: 1 }], 1000);
  assert.equal(w.buckets.length, 0);
  assert.equal(w2.buckets.length, 1);
});

test('sampleFromCounters turns cumulative gateway counters into a sample', () => {
  const s = sampleFromCounters({ at: 10_000, requests: 100, concurrencyIntegralMs: 50_000 }, { at: 12_000, requests: 140, concurrencyIntegralMs: 58_000 });
  assert.deepEqual(s, { t: 12_000, concurrency: 4, requests: 40 });
  assert.equal(sampleFromCounters({ at: 5, requests: 0, concurrencyIntegralMs: 0 }, { at: 5, requests: 0, concurrencyIntegralMs: 0 }).concurrency, 0);
});
