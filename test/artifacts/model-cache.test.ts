import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { ModelCache, blobFetcher, directoryFetcher, type CacheFetcher } from '../../src/artifacts/model-cache.js';
import { planEviction } from '../../src/artifacts/cache-eviction.js';
import { FsBlobStore } from '../../src/artifacts/fs-blob-store.js';
import { putDirectory } from '../../src/artifacts/directory-transfer.js';
import { isArtifactError } from '../../src/artifacts/errors.js';
import { sha256Of } from './stream-fixtures.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'capstan-'));
}

/** A fetcher writing `size` bytes, counting calls, optionally waiting on a gate so callers overlap. */
function fakeFetcher(size: number, gate?: Promise<void>): { fetch: CacheFetcher; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: async (_sha, dest) => {
      calls++;
      await gate;
      fs.writeFileSync(dest, Buffer.alloc(size, 1));
    },
  };
}

const sha = (c: string): string => c.repeat(64);

test('planEviction: LRU first, pinned and protected entries never, stops when it fits', () => {
  const e = (c: string, size: number, lastUsed: number, refs = 0) => ({ sha256: sha(c), size, lastUsed, refs });
  assert.deepEqual(planEviction([e('a', 40, 1), e('b', 40, 2)], 100), []);
  assert.deepEqual(planEviction([e('a', 40, 3), e('b', 40, 1), e('c', 40, 2)], 100), [sha('b')]);
  assert.deepEqual(planEviction([e('a', 40, 1, 1), e('b', 40, 2), e('c', 40, 3)], 100), [sha('b')]);
  assert.deepEqual(planEviction([e('a', 200, 1, 1)], 100), []);
  assert.deepEqual(planEviction([e('a', 60, 1), e('b', 60, 2)], 50, new Set([sha('b')])), [sha('a')]);
});

test('single-flight: concurrent callers trigger one download and share the path', async () => {
  const root = tmp();
  const cache = new ModelCache({ root, maxBytes: 1000 });
  try {
    await cache.open();
    let open!: () => void;
    const f = fakeFetcher(100, new Promise<void>((r) => (open = r)));
    const waiters = Array.from({ length: 10 }, (_, i) => (i % 2 ? cache.acquire(sha('a'), f.fetch) : cache.ensure(sha('a'), f.fetch)));
    open();
    const paths = await Promise.all(waiters);
    assert.equal(f.calls(), 1);
    assert.equal(new Set(paths).size, 1);
    assert.equal(fs.statSync(paths[0]).size, 100);
    assert.equal(await cache.ensure(sha('a'), f.fetch), paths[0]);
    assert.equal(f.calls(), 1, 'a hit does not fetch');
    assert.equal(cache.stats().pinned, 1);
  } finally {
    await cache.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a failed download reaches every waiter, leaves nothing behind, and is retried next time', async () => {
  const root = tmp();
  const cache = new ModelCache({ root, maxBytes: 1000 });
  try {
    await cache.open();
    let calls = 0;
    const failing: CacheFetcher = async (_s, dest) => {
      calls++;
      fs.writeFileSync(dest, 'partial');
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    };
    const rs = await Promise.allSettled([cache.acquire(sha('b'), failing), cache.ensure(sha('b'), failing)]);
    assert.deepEqual(rs.map((r) => r.status), ['rejected', 'rejected']);
    assert.equal(calls, 1);
    assert.equal(cache.stats().pinned, 0, 'a failed acquire leaves no pin');
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
    assert.equal(cache.has(sha('b')), false);
    const ok = fakeFetcher(10);
    await cache.ensure(sha('b'), ok.fetch);
    assert.equal(ok.calls(), 1);
  } finally {
    await cache.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('LRU eviction by total size, never evicting an entry in use', async () => {
  const root = tmp();
  const cache = new ModelCache({ root, maxBytes: 100 });
  try {
    await cache.open();
    const f = fakeFetcher(40);
    const pa = await cache.ensure(sha('a'), f.fetch);
    const pb = await cache.ensure(sha('b'), f.fetch);
    await cache.ensure(sha('a'), f.fetch); // a is now more recent than b
    await cache.ensure(sha('c'), f.fetch);
    assert.equal(cache.has(sha('b')), false, 'least recently used goes first');
    assert.equal(fs.existsSync(pb), false);
    assert.ok(cache.has(sha('a')) && cache.has(sha('c')));

    await cache.acquire(sha('a'), f.fetch); // pinned, and now also the LRU one after d, e arrive
    await cache.ensure(sha('d'), f.fetch);
    await cache.ensure(sha('e'), f.fetch);
    assert.equal(cache.has(sha('a')), true, 'pinned entries survive');
    assert.ok(fs.existsSync(pa));
    assert.ok(cache.stats().totalBytes <= 100);
    await cache.release(sha('a'));
    await cache.ensure(sha('f'), f.fetch);
    assert.equal(cache.has(sha('a')), false, 'released entries are evictable again');
    assert.deepEqual(fs.readdirSync(path.join(root, 'tmp')), []);
  } finally {
    await cache.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('real fetchers: a file blob and a directory manifest, verified; entries survive a reopen; one owner per dir', async () => {
  const root = tmp();
  try {
    const store = new FsBlobStore({ root: path.join(root, 'store') });
    const file = await store.put(Readable.from([Buffer.from('onnx bytes')]));
    const src = path.join(root, 'model');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(src, 'sub', 'w.bin'), 'weights');
    const dir = await putDirectory(store, src);

    const cacheDir = path.join(root, 'cache');
    const cache = new ModelCache({ root: cacheDir, maxBytes: 1 << 20 });
    await cache.open();
    await assert.rejects(new ModelCache({ root: cacheDir, maxBytes: 1 }).open(), /already open|in use/);
    const pf = await cache.acquire(file.sha256, blobFetcher(store));
    assert.equal(fs.readFileSync(pf, 'utf8'), 'onnx bytes');
    const pd = await cache.acquire(dir.manifestSha256, directoryFetcher(store));
    assert.equal(fs.readFileSync(path.join(pd, 'sub', 'w.bin'), 'utf8'), 'weights');
    await assert.rejects(cache.ensure(sha256Of('absent'), blobFetcher(store)), (e: unknown) => isArtifactError(e, 'NotFound'));
    await cache.close();

    const again = new ModelCache({ root: cacheDir, maxBytes: 1 << 20 });
    await again.open();
    assert.equal(again.stats().entries, 2);
    assert.equal(again.stats().totalBytes, 'onnx bytes'.length + 'weights'.length);
    let fetched = false;
    await again.ensure(file.sha256, async () => {
      fetched = true;
    });
    assert.equal(fetched, false);
    await again.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
