// The batched temp-file writer under FsBlobStore.put: bytes land in order whatever the batching,
// background syncs run, and a failing write marks the sink failed instead of committing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CoalescingFileSink } from '../../src/artifacts/coalescing-file-sink.js';

function chunks(n: number): Buffer[] {
  // uneven sizes so batches never line up with chunk boundaries
  return Array.from({ length: n }, (_, i) => Buffer.alloc(1 + ((i * 7919) % 5000), i % 251));
}

test('many small chunks are written in order with background syncs and a final fsync', async () => {
  const dir = fs.mkdtempSync(os.tmpdir() + '/capstan-');
  try {
    const file = path.join(dir, 'out');
    const fh = await fs.promises.open(file, 'w');
    const state = { failed: false };
    const input = chunks(2000);
    await pipeline(Readable.from(input), new CoalescingFileSink(fh, state, undefined, false, { highWaterMark: 64 * 1024, syncEveryBytes: 100_000 }));
    await fh.close();
    assert.ok(fs.readFileSync(file).equals(Buffer.concat(input)));
    assert.equal(state.failed, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a write failure rejects the pipeline, marks the sink failed and reports the offset of each chunk', async () => {
  const dir = fs.mkdtempSync(os.tmpdir() + '/capstan-');
  try {
    const fh = await fs.promises.open(path.join(dir, 'out'), 'w');
    const state = { failed: false };
    const offsets: number[] = [];
    const input = chunks(300);
    const limit = 200_000;
    const sink = new CoalescingFileSink(fh, state, {
      beforeWrite(offset, chunk) {
        offsets.push(offset);
        if (offset + chunk.length > limit) throw Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
      },
    }, true);
    await assert.rejects(pipeline(Readable.from(input), sink), (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOSPC');
    await fh.close();
    assert.equal(state.failed, true);
    // offsets are the running byte positions of the chunks, in order
    let at = 0;
    offsets.forEach((o, i) => {
      assert.equal(o, at);
      at += input[i].length;
    });
    assert.ok(fs.statSync(path.join(dir, 'out')).size <= limit);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
