import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { BlobStore } from '../../src/artifacts/blob-store.js';
import { isArtifactError, type ArtifactErrorCode } from '../../src/artifacts/errors.js';
import { failingStream, patternBytes, patternSha256, patternStream, readAll, sha256Of } from './stream-fixtures.js';

/** A fresh, empty store and a way to dispose of it. */
export interface StoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

async function rejectsWith(p: Promise<unknown>, code: ArtifactErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isArtifactError(err), `expected ArtifactError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

async function listAll(store: BlobStore): Promise<{ sha256: string; size: number; mtime: Date }[]> {
  const out = [];
  for await (const b of store.list()) out.push(b);
  return out.sort((a, b) => a.sha256.localeCompare(b.sha256));
}

async function withStore(makeStore: () => Promise<StoreFixture>, fn: (store: BlobStore) => Promise<void>): Promise<void> {
  const fx = await makeStore();
  try {
    await fn(fx.store);
  } finally {
    await fx.cleanup();
  }
}

/** The behaviour every BlobStore backend must share; run once per backend. */
export function blobStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  const big = 12 * 1024 * 1024 + 12345; // above the S3 part size, so multipart paths run

  describe(`BlobStore contract: ${name}`, () => {
    test('put then get, has, stat round-trip the bytes under their sha256', () =>
      withStore(makeStore, async (store) => {
        const data = Buffer.from('hello capstan');
        const r = await store.put(Readable.from([data]));
        assert.deepEqual(r, { sha256: sha256Of(data), size: data.length, created: true });
        assert.equal(await store.has(r.sha256), true);
        assert.equal((await store.stat(r.sha256)).size, data.length);
        assert.deepEqual(await readAll(await store.get(r.sha256)), data);
      }));

    test('identical bytes are stored once', () =>
      withStore(makeStore, async (store) => {
        const a = await store.put(Readable.from([Buffer.from('same')]));
        const b = await store.put(Readable.from([Buffer.from('sa'), Buffer.from('me')]), { expectedSha256: a.sha256 });
        assert.equal(a.created, true);
        assert.equal(b.created, false);
        assert.equal(b.sha256, a.sha256);
        const all = await listAll(store);
        assert.equal(all.length, 1);
        assert.equal(all[0].sha256, a.sha256);
        assert.equal(all[0].size, 4);
        assert.ok(all[0].mtime instanceof Date);
      }));

    test('the empty blob is a blob', () =>
      withStore(makeStore, async (store) => {
        const r = await store.put(Readable.from([]));
        assert.equal(r.sha256, sha256Of(''));
        assert.equal(r.size, 0);
        assert.equal((await readAll(await store.get(r.sha256))).length, 0);
      }));

    test('a large streamed body round-trips (multipart on S3)', () =>
      withStore(makeStore, async (store) => {
        const sha = patternSha256(big, 3);
        const r = await store.put(patternStream(big, 3), { expectedSize: big });
        assert.equal(r.sha256, sha);
        assert.equal(r.size, big);
        assert.equal(sha256Of(await readAll(await store.get(sha))), sha);
        const again = await store.put(patternStream(big, 3), { expectedSha256: sha, expectedSize: big });
        assert.equal(again.created, false);
      }));

    test('a wrong declared digest rejects with DigestMismatch and stores nothing', () =>
      withStore(makeStore, async (store) => {
        const wrong = sha256Of('something else');
        await rejectsWith(store.put(Readable.from([Buffer.from('actual')]), { expectedSha256: wrong }), 'DigestMismatch');
        await rejectsWith(store.put(patternStream(big, 4), { expectedSha256: wrong }), 'DigestMismatch');
        assert.equal(await store.has(wrong), false);
        assert.equal(await store.has(sha256Of('actual')), false);
        assert.equal(await store.has(patternSha256(big, 4)), false);
        assert.deepEqual(await listAll(store), []);
      }));

    test('a wrong declared size rejects with SizeMismatch (too few and too many bytes)', () =>
      withStore(makeStore, async (store) => {
        await rejectsWith(store.put(Readable.from([Buffer.from('abc')]), { expectedSize: 4 }), 'SizeMismatch');
        await rejectsWith(store.put(patternStream(big, 5), { expectedSize: 1000 }), 'SizeMismatch');
        assert.deepEqual(await listAll(store), []);
      }));

    test('maxBytes rejects a larger body with TooLarge', () =>
      withStore(makeStore, async (store) => {
        await rejectsWith(store.put(patternStream(big, 6), { maxBytes: 1024 * 1024 }), 'TooLarge');
        await rejectsWith(store.put(Readable.from([Buffer.from('x')]), { expectedSize: 10, maxBytes: 5 }), 'TooLarge');
        const ok = await store.put(Readable.from([patternBytes(1024)]), { maxBytes: 1024 });
        assert.equal(ok.size, 1024);
        assert.equal((await listAll(store)).length, 1);
      }));

    test('bad options and digests are InvalidDigest', () =>
      withStore(makeStore, async (store) => {
        await rejectsWith(store.put(Readable.from([]), { expectedSha256: 'ABC' }), 'InvalidDigest');
        await rejectsWith(store.get('../../etc/passwd'), 'InvalidDigest');
        await rejectsWith(store.has('A'.repeat(64)), 'InvalidDigest');
      }));

    test('an aborted signal rejects with Aborted and stores nothing', () =>
      withStore(makeStore, async (store) => {
        const ac = new AbortController();
        const body = patternStream(big, 7);
        let seen = 0;
        body.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > 2 * 1024 * 1024) ac.abort();
        });
        await rejectsWith(store.put(body, { signal: ac.signal }), 'Aborted');
        await rejectsWith(store.put(Readable.from([Buffer.from('x')]), { signal: ac.signal }), 'Aborted');
        assert.deepEqual(await listAll(store), []);
      }));

    test('a source that breaks mid-way (dropped connection) rejects with Aborted and stores nothing', () =>
      withStore(makeStore, async (store) => {
        await rejectsWith(store.put(failingStream(3 * 1024 * 1024)), 'Aborted');
        assert.deepEqual(await listAll(store), []);
      }));

    test('get serves inclusive byte ranges and rejects unsatisfiable ones', () =>
      withStore(makeStore, async (store) => {
        const data = Buffer.from('0123456789');
        const { sha256 } = await store.put(Readable.from([data]));
        const read = async (start?: number, end?: number): Promise<string> =>
          (await readAll(await store.get(sha256, { start, end }))).toString();
        assert.equal(await read(2, 4), '234');
        assert.equal(await read(7), '789');
        assert.equal(await read(undefined, 0), '0');
        assert.equal(await read(8, 100), '89');
        assert.equal(await read(9, 9), '9');
        await rejectsWith(store.get(sha256, { start: 10 }), 'InvalidRange');
        await rejectsWith(store.get(sha256, { start: 5, end: 4 }), 'InvalidRange');
        await rejectsWith(store.get(sha256, { start: -1 }), 'InvalidRange');
      }));

    test('missing blobs: NotFound for get/stat, false for has/delete', () =>
      withStore(makeStore, async (store) => {
        const missing = sha256Of('never stored');
        assert.equal(await store.has(missing), false);
        assert.equal(await store.delete(missing), false);
        await rejectsWith(store.get(missing), 'NotFound');
        await rejectsWith(store.get(missing, { start: 1 }), 'NotFound');
        await rejectsWith(store.stat(missing), 'NotFound');
      }));

    test('delete removes a blob and list reflects it', () =>
      withStore(makeStore, async (store) => {
        const a = await store.put(Readable.from([Buffer.from('a')]));
        const b = await store.put(Readable.from([Buffer.from('bb')]));
        assert.deepEqual((await listAll(store)).map((x) => x.sha256), [a.sha256, b.sha256].sort());
        assert.equal(await store.delete(a.sha256), true);
        assert.equal(await store.has(a.sha256), false);
        assert.deepEqual((await listAll(store)).map((x) => [x.sha256, x.size]), [[b.sha256, 2]]);
      }));

    test('cleanupTemp never touches committed blobs', () =>
      withStore(makeStore, async (store) => {
        const a = await store.put(Readable.from([Buffer.from('keep me')]));
        await store.cleanupTemp(new Date(Date.now() + 3_600_000));
        assert.equal(await store.has(a.sha256), true);
      }));

    test('concurrent puts of the same bytes both succeed and leave one blob', () =>
      withStore(makeStore, async (store) => {
        const size = 2 * 1024 * 1024;
        const rs = await Promise.all([store.put(patternStream(size, 8)), store.put(patternStream(size, 8))]);
        assert.equal(rs[0].sha256, rs[1].sha256);
        const all = await listAll(store);
        assert.equal(all.length, 1);
        assert.equal(sha256Of(await readAll(await store.get(rs[0].sha256))), rs[0].sha256);
      }));
  });
}
