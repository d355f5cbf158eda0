/**
 * `models pull` is atomic and durable on the client: a digest mismatch leaves nothing, a pull
 * killed with SIGKILL mid-body leaves no file under the final name (only a hidden partial), and the
 * next pull resumes that partial with Range (and starts over when the kept prefix is bad).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../src/api/errors.js';
import { pullVersion, pushModel } from '../../src/registry/transfer-client.js';
import type { DownloadResult } from '../../src/registry/verified-download.js';
import { capstanArgv } from '../support/spawn-capstan.js';
import { repoRoot } from '../support/repo-root.js';
import { startRegistryPlatform, type RegistryTestPlatform } from './registry-platform.js';

let tp: RegistryTestPlatform;
let dir: string;
before(async () => {
  tp = await startRegistryPlatform();
  dir = mkdtempSync(join(tmpdir(), 'capstan-pull-atomic-'));
});
after(async () => tp.stop());

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function blobPath(sha256: string): string {
  return join(tp.dataDir, 'blobs', 'blobs', 'sha256', sha256.slice(0, 2), sha256);
}

/** A pid no process has (so a partial named after it counts as abandoned). */
function deadPid(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

/**
 * A TCP proxy to the platform that passes the server's answer through up to `limit` bytes and then
 * stops reading from the server: a pull through it stalls mid-body, deterministically.
 */
async function stallingProxy(limit: number): Promise<{ url: string; passed: () => number; close: () => Promise<void> }> {
  const upstream = new URL(tp.url);
  const sockets = new Set<net.Socket>();
  let passed = 0;
  const server = net.createServer((client) => {
    const up = net.connect(Number(upstream.port), upstream.hostname);
    sockets.add(client).add(up);
    client.pipe(up);
    up.on('data', (chunk: Buffer) => {
      const room = limit - passed;
      if (room <= 0) return void up.pause();
      const part = chunk.subarray(0, room);
      passed += part.length;
      client.write(part);
      if (passed >= limit) up.pause();
    });
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    passed: () => passed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a digest mismatch leaves nothing: no file under the name, no temp file, an older file of that name untouched', async () => {
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const src = join(dir, 'mismatch.bin');
  writeFileSync(src, bytes);
  const mv = await pushModel(tp.target, 'mismatch', src, { version: '1.0.0', format: 'raw' });
  // corrupt the stored blob in place (same size): the server now serves bytes that do not hash to the version's digest
  const fd = openSync(blobPath(mv.spec.artifact.sha256), 'r+');
  writeSync(fd, Buffer.from([bytes[1000] ^ 0xff]), 0, 1, 1000);
  closeSync(fd);

  const fresh = join(dir, 'out-mismatch');
  await assert.rejects(pullVersion(tp.target, mv, fresh), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'Invalid');
    assert.match(err.message, /mismatch\.bin hashes to [0-9a-f]{64}, expected [0-9a-f]{64}: not saved/);
    return true;
  });
  assert.deepEqual(readdirSync(fresh), [], 'nothing is left in the output directory');

  const existing = join(dir, 'out-existing');
  mkdirSync(existing);
  writeFileSync(join(existing, 'mismatch.bin'), 'the previous model');
  await assert.rejects(pullVersion(tp.target, mv, existing), /not saved/);
  assert.deepEqual(readdirSync(existing), ['mismatch.bin']);
  assert.equal(readFileSync(join(existing, 'mismatch.bin'), 'utf8'), 'the previous model');
});

test('kill -9 of `capstan models pull` mid-body leaves no file under the final name; the next pull resumes the partial with Range', { timeout: 120_000 }, async () => {
  const bytes = randomBytes(12 * 1024 * 1024);
  const src = join(dir, 'big.bin');
  writeFileSync(src, bytes);
  const mv = await pushModel(tp.target, 'killed', src, { version: '1.0.0', format: 'raw' });
  const out = join(dir, 'out-killed');
  const proxy = await stallingProxy(5 * 1024 * 1024);
  const child = spawn(process.execPath, capstanArgv(['models', 'pull', 'killed@1.0.0', '-o', out]), {
    cwd: repoRoot(),
    env: { ...process.env, HOME: dir, CAPSTAN_SERVER: proxy.url, CAPSTAN_TOKEN: tp.token },
    stdio: 'ignore',
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  try {
    const partials = () => {
      try {
        return readdirSync(out).filter((n) => n.endsWith('.partial'));
      } catch {
        return [];
      }
    };
    // the proxy passed its 5 MiB (headers included) and the client wrote well into the body
    await until('the pull to write part of the body', () => partials().length === 1 && statSync(join(out, partials()[0])).size >= 4 * 1024 * 1024);
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
  } finally {
    child.kill('SIGKILL');
    await proxy.close();
  }
  const left = readdirSync(out);
  assert.equal(left.includes('big.bin'), false, 'no file under the final name');
  assert.equal(left.length, 1);
  assert.match(left[0], /^\.big\.bin\.[0-9a-f]{16}\.\d+-\d+\.partial$/);
  const kept = statSync(join(out, left[0])).size;
  assert.ok(kept > 0 && kept < bytes.length);

  const files: DownloadResult[] = [];
  const written = await pullVersion(tp.target, mv, out, undefined, (r) => files.push(r));
  assert.deepEqual(written, [join(out, 'big.bin')]);
  assert.equal(files[0].resumedFrom, kept, 'the kept prefix was reused');
  assert.equal(files[0].fetched, bytes.length - kept, 'only the rest was fetched');
  assert.equal(sha(readFileSync(join(out, 'big.bin'))), sha(bytes));
  assert.deepEqual(readdirSync(out), ['big.bin'], 'the partial became the file');
});

test('a partial whose kept bytes are wrong is detected and the file fetched again from scratch', async () => {
  const bytes = randomBytes(2 * 1024 * 1024);
  const src = join(dir, 'badprefix.bin');
  writeFileSync(src, bytes);
  const mv = await pushModel(tp.target, 'badprefix', src, { version: '1.0.0', format: 'raw' });
  const out = join(dir, 'out-badprefix');
  mkdirSync(out);
  const garbage = Buffer.from(bytes.subarray(0, 700_000));
  garbage[123] ^= 0xff;
  writeFileSync(join(out, `.badprefix.bin.${mv.spec.artifact.sha256.slice(0, 16)}.${deadPid()}-1.partial`), garbage);
  // a partial of other bytes for the same name, also abandoned: removed
  writeFileSync(join(out, `.badprefix.bin.${'0'.repeat(16)}.${deadPid()}-2.partial`), 'old');

  const files: DownloadResult[] = [];
  await pullVersion(tp.target, mv, out, undefined, (r) => files.push(r));
  assert.equal(files[0].resumedFrom, 0, 'the second attempt started over');
  assert.equal(files[0].fetched, bytes.length);
  assert.equal(sha(readFileSync(join(out, 'badprefix.bin'))), sha(bytes));
  assert.deepEqual(readdirSync(out), ['badprefix.bin']);
});

test('a partial held by a live process is left alone', async () => {
  const bytes = randomBytes(1024 * 1024);
  const src = join(dir, 'held.bin');
  writeFileSync(src, bytes);
  const mv = await pushModel(tp.target, 'held', src, { version: '1.0.0', format: 'raw' });
  const out = join(dir, 'out-held');
  mkdirSync(out);
  // pid 1 is alive for as long as the machine is: its partial belongs to a pull still running
  const theirs = `.held.bin.${mv.spec.artifact.sha256.slice(0, 16)}.1-1.partial`;
  writeFileSync(join(out, theirs), bytes.subarray(0, 1000));
  const files: DownloadResult[] = [];
  await pullVersion(tp.target, mv, out, undefined, (r) => files.push(r));
  assert.equal(files[0].resumedFrom, 0);
  assert.equal(sha(readFileSync(join(out, 'held.bin'))), sha(bytes));
  assert.deepEqual(readdirSync(out).sort(), [theirs, 'held.bin'].sort());
});
