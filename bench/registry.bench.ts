/**
 * Registry benchmark: push and pull of one large artifact through a real server (a child
 * process whose RSS is sampled from /proc throughout) against plain `cp` of the same file in the
 * same run, and `@^1` resolution among 10,000 versions (the pure core). `--size BYTES|NNMiB|NGiB`
 * (default 1 GiB). Every figure is also given against cp + sync (the durable equivalent: push and
 * pull both fsync) and against the sha256 ceiling (reading and hashing the file on one core, which
 * each side of a transfer must at least do). CPU seconds per GiB of each side are measured too,
 * since on a shared 2-core machine wall-clock figures swing with other load (the load average is
 * printed). Prints a table, then one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pickVersion } from '../src/registry/model-ref.js';
import { pullVersion, pushModel } from '../src/registry/transfer-client.js';
import { startServerProcess } from '../test/support/spawn-capstan.js';

function parseSize(argv: string[]): number {
  const i = argv.indexOf('--size');
  if (i < 0) return 1024 ** 3;
  const m = /^(\d+(?:\.\d+)?)(GiB|MiB|KiB)?$/i.exec(argv[i + 1] ?? '');
  if (!m) throw new Error(`--size ${argv[i + 1]}: expected bytes or a number with MiB/GiB`);
  const unit = { gib: 1024 ** 3, mib: 1024 ** 2, kib: 1024 }[(m[2] ?? '').toLowerCase() as 'gib'] ?? 1;
  return Math.round(Number(m[1]) * unit);
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** user+system CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuSecs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ secs: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { secs: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

const ROUNDS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const size = parseSize(process.argv.slice(2));
  const work = mkdtempSync(join(tmpdir(), 'capstan-bench-registry-'));
  const src = join(work, 'model.bin');
  // random bytes (so nothing compresses or deduplicates), written in 4 MiB blocks
  const fd = openSync(src, 'w');
  const block = randomBytes(4 * 1024 * 1024);
  for (let off = 0; off < size; off += block.length) writeSync(fd, block, 0, Math.min(block.length, size - off));
  closeSync(fd);
  const mib = size / 1048576;

  const load0 = loadavg()[0];
  const cps: number[] = [];
  const cpSyncs: number[] = [];
  const shas: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    cps.push((await timed(() => execFileSync('cp', [src, join(work, 'copy.bin')]))).secs);
    rmSync(join(work, 'copy.bin'));
    // cp leaves data in the page cache; sync so the registry (which fsyncs) is compared with durable bytes too
    cpSyncs.push((await timed(() => execFileSync('sh', ['-c', `cp "${src}" "${join(work, 'copy2.bin')}" && sync "${join(work, 'copy2.bin')}"`]))).secs);
    rmSync(join(work, 'copy2.bin'));
    // the ceiling for anything that must hash every byte once: read (1 MiB) and sha256 the file from the page cache
    shas.push((await timed(async () => {
      const h = createHash('sha256');
      for await (const c of createReadStream(src, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
      return h.digest('hex');
    })).secs);
  }
  // sha256 alone, no I/O: what the CPU can hash (SHA-NI on this machine when present)
  const mem = randomBytes(64 * 1024 * 1024);
  const shaMem = await timed(() => {
    const h = createHash('sha256');
    for (let i = 0; i < 4; i++) h.update(mem);
    return h.digest('hex');
  });
  const cp = { secs: median(cps) };
  const cpSync = { secs: median(cpSyncs) };
  const sha = { secs: median(shas) };

  const dataDir = join(work, 'data');
  const server = await startServerProcess(dataDir);
  const pid = server.child.pid!;
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const target = { server: server.url, token, namespace: 'default' };
  let peak = rssMiB(pid);
  const idle = peak;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  // three rounds, median reported: fsync and loopback timings on this VM swing by 2x run to run
  const pushes: number[] = [];
  const pulls: number[] = [];
  const cpu = { pushClient: [] as number[], pushServer: [] as number[], pullClient: [] as number[], pullServer: [] as number[] };
  const clientCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      let c0 = clientCpu();
      let s0 = cpuSecs(pid);
      const push = await timed(() => pushModel(target, 'bench', src, { version: `1.0.${round}`, format: 'raw' }));
      pushes.push(push.secs);
      cpu.pushClient.push(clientCpu() - c0);
      cpu.pushServer.push(cpuSecs(pid) - s0);
      c0 = clientCpu();
      s0 = cpuSecs(pid);
      const pull = await timed(() => pullVersion(target, push.value, join(work, `pulled-${round}`)));
      pulls.push(pull.secs);
      cpu.pullClient.push(clientCpu() - c0);
      cpu.pullServer.push(cpuSecs(pid) - s0);
      rmSync(join(work, `pulled-${round}`), { recursive: true, force: true });
    }
  } finally {
    clearInterval(sampler);
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }
  const push = { secs: median(pushes) };
  const pull = { secs: median(pulls) };
  const versions = Array.from({ length: 10_000 }, (_, i) => ({ spec: { version: `${Math.floor(i / 1000)}.${Math.floor(i / 10) % 100}.${i % 10}` } }));
  const runs: number[] = [];
  let picked = '';
  for (let r = 0; r < 30; r++) {
    const t = await timed(() => pickVersion(versions, {}, '^1'));
    runs.push(t.secs * 1000);
    picked = t.value.spec.version;
  }
  runs.sort((a, b) => a - b);
  rmSync(work, { recursive: true, force: true });

  const fig = {
    sizeBytes: size,
    cpMiBps: mib / cp.secs,
    cpSyncMiBps: mib / cpSync.secs,
    sha256OnlyMiBps: mib / sha.secs,
    sha256InMemoryMiBps: 256 / shaMem.secs,
    pushMiBps: mib / push.secs,
    pushMiBpsRounds: pushes.map((x) => mib / x),
    pullMiBpsRounds: pulls.map((x) => mib / x),
    pullMiBps: mib / pull.secs,
    pushVsCp: mib / push.secs / (mib / cp.secs),
    pullVsCp: mib / pull.secs / (mib / cp.secs),
    pushVsCpSync: mib / push.secs / (mib / cpSync.secs),
    pullVsCpSync: mib / pull.secs / (mib / cpSync.secs),
    pushVsSha256: mib / push.secs / (mib / sha.secs),
    pullVsSha256: mib / pull.secs / (mib / sha.secs),
    cpuSecsPerGiB: {
      pushClient: (median(cpu.pushClient) * 1024) / mib,
      pushServer: (median(cpu.pushServer) * 1024) / mib,
      pullClient: (median(cpu.pullClient) * 1024) / mib,
      pullServer: (median(cpu.pullServer) * 1024) / mib,
    },
    loadAvg1m: { start: load0, end: loadavg()[0] },
    serverRssIdleMiB: idle,
    serverRssPeakMiB: peak,
    resolveCaret1Among10kP50Ms: runs[Math.floor(runs.length / 2)],
    resolveCaret1Among10kMaxMs: runs[runs.length - 1],
    resolvedVersion: picked,
  };
  const r = (n: number) => n.toFixed(1);
  console.log(`registry bench: ${r(mib)} MiB artifact, server as a child process, 2-core machine`);
  console.log('');
  console.log(`median of ${ROUNDS} rounds each; load average (1 min) ${load0.toFixed(2)} at start, ${fig.loadAvg1m.end.toFixed(2)} at end`);
  console.log('');
  console.log('what                                          MiB/s   vs cp  vs cp+sync  vs sha256');
  const row = (what: string, v: number) =>
    console.log(`${what.padEnd(44)} ${r(v).padStart(7)}   ${(v / fig.cpMiBps).toFixed(2)}    ${(v / fig.cpSyncMiBps).toFixed(2).padStart(5)}      ${(v / fig.sha256OnlyMiBps).toFixed(2)}`);
  row('cp (page cache to page cache, no fsync)', fig.cpMiBps);
  row('cp + sync (durable)', fig.cpSyncMiBps);
  row('sha256 ceiling (read 1 MiB + hash, one core)', fig.sha256OnlyMiBps);
  row('sha256 in memory (no I/O)', fig.sha256InMemoryMiBps);
  row('push (hash on both sides, fsync, register)', fig.pushMiBps);
  row('pull (hash verified, fsync, rename)', fig.pullMiBps);
  console.log('');
  console.log(`rounds: push ${fig.pushMiBpsRounds.map(r).join(', ')}; pull ${fig.pullMiBpsRounds.map(r).join(', ')} MiB/s`);
  const c = fig.cpuSecsPerGiB;
  console.log(`CPU seconds per GiB (median): push client ${c.pushClient.toFixed(2)} + server ${c.pushServer.toFixed(2)}; pull client ${c.pullClient.toFixed(2)} + server ${c.pullServer.toFixed(2)}`);
  console.log('aim: push and pull >= 0.50 of cp (page cache). Both are durable (fsync), so cp + sync is the like-for-like baseline;');
  console.log('each side must read or receive every byte and hash it, so the sha256 ceiling bounds both on one core per side.');
  console.log(`server RSS: idle ${r(idle)} MiB, peak ${r(peak)} MiB (limit 200 MB)`);
  console.log(`resolve @^1 among 10,000 versions: p50 ${fig.resolveCaret1Among10kP50Ms.toFixed(2)} ms, max ${fig.resolveCaret1Among10kMaxMs.toFixed(2)} ms → ${picked}`);
  console.log(JSON.stringify(fig));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
