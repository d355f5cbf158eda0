/**
 * No orphans when the platform crashes: the lifeline kills a replica's whole group when its parent dies by SIGKILL,
 * and the process ledger reaps recorded leftovers, never a process that merely reuses a recorded pid.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalRuntime, ProcessLedger, allProcesses, bootId, procInfo, processGone, resolveCommand, CommandError } from '../../src/runtime/local/index.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'capstan-orphans-'));
const started: number[] = [];
after(() => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function members(pgid: number): number[] {
  return allProcesses().filter((p) => p.pgrp === pgid).map((p) => p.pid);
}

/** A detached tree of three sleeps with no lifeline: a leftover as a crash without the lifeline would leave it. */
function detachedTree(): number {
  const c = spawn('/bin/sh', ['-c', 'sleep 1000 & sleep 1000 & exec sleep 1000'], { detached: true, stdio: 'ignore' });
  c.unref();
  started.push(c.pid!);
  return c.pid!;
}

const runtimeIndex = fileURLToPath(new URL('../../src/runtime/local/index.js', import.meta.url));

test('a LocalRuntime whose process is killed with SIGKILL leaves no process of its replicas behind', async () => {
  // The "platform": a node process that runs one replica whose command starts grandchildren, then waits.
  const script = `
    const { LocalRuntime } = await import(${JSON.stringify(runtimeIndex)});
    const rt = new LocalRuntime();
    const sup = rt.run({ id: 'p/r/0', command: '/bin/sh', args: ['-c', 'sleep 1000 & sleep 1000 & wait'], logFile: ${JSON.stringify(join(dir, 'tree.log'))}, restartPolicy: 'Always' });
    const t = setInterval(() => { if (sup.pgid) { console.log('PGID ' + sup.pgid); clearInterval(t); } }, 10);
    setInterval(() => {}, 1e6);`;
  const platform = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  platform.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const pgid = Number(await until('the replica group', () => /PGID (\d+)/.exec(out)?.[1]));
  started.push(pgid);
  // the command, its two sleeps and the lifeline watcher
  const tree = await until('the whole tree running', () => { const m = members(pgid); return m.length >= 4 && m; });
  const exited = new Promise((r) => platform.once('exit', r));
  platform.kill('SIGKILL');
  await exited;
  await until('every process of the group gone', () => tree.every(processGone) && members(pgid).length === 0);
});

test('a runtime with a ledger records live groups and forgets them once stopped', async () => {
  const ledger = new ProcessLedger(join(dir, 'ledger-live'));
  const rt = new LocalRuntime({ ledger });
  try {
    const sup = rt.run({ id: 'ns/svc/rev/0', command: 'sleep', args: ['1000'], logFile: join(dir, 'live.log'), restartPolicy: 'Always' });
    const pgid = await until('spawned', () => sup.pgid);
    const recs = await until('a record', () => { const r = ledger.records(); return r.length === 1 && r; });
    assert.equal(recs[0]!.id, 'ns/svc/rev/0');
    assert.equal(recs[0]!.pgid, pgid);
    assert.equal(recs[0]!.startTicks, procInfo(pgid)!.startTicks);
    assert.equal(recs[0]!.owner.pid, process.pid);
    // our own live records are never reaped
    assert.deepEqual((await ledger.reap()).map((o) => o.action), ['owned']);
    assert.equal(processGone(pgid), false);
  } finally {
    await rt.stopAll(1000);
  }
  assert.deepEqual(ledger.records(), []);
});

test('reap kills recorded leftovers of a dead owner and leaves reused pids, live owners and other boots alone', async () => {
  const ledgerDir = join(dir, 'ledger-reap');
  const ledger = new ProcessLedger(ledgerDir);
  const deadOwner = { pid: 2 ** 31 - 1, startTicks: 1 };
  const leftover = detachedTree();
  const reusedPid = detachedTree();
  const ownedByUs = detachedTree();
  await until('trees running', () => [leftover, reusedPid, ownedByUs].every((g) => members(g).length === 3));
  const leftoverTree = members(leftover);
  const rec = (pgid: number, extra: Record<string, unknown> = {}): void => writeFileSync(join(ledgerDir, `${pgid}.json`), JSON.stringify({ id: `job/${pgid}`, pgid, startTicks: procInfo(pgid)?.startTicks ?? 1, bootId: bootId(), owner: deadOwner, ...extra }));
  mkdirSync(ledgerDir, { recursive: true });
  rec(leftover);
  // the same pid, but not the process that was recorded: its start time differs
  rec(reusedPid, { startTicks: procInfo(reusedPid)!.startTicks - 1 });
  rec(ownedByUs, { owner: { pid: process.pid, startTicks: procInfo(process.pid)!.startTicks } });
  rec(424242, { bootId: 'another-boot' });
  writeFileSync(join(ledgerDir, '77.json'), '{"pgid": tor');

  const outcomes = await ledger.reap();
  const byPgid = new Map(outcomes.map((o) => [o.pgid, o]));
  assert.equal(byPgid.get(leftover)?.action, 'killed');
  assert.deepEqual([...byPgid.get(leftover)!.pids].sort(), [...leftoverTree].sort());
  assert.ok(leftoverTree.every(processGone), 'every process of the leftover tree is gone when reap() returns');
  assert.equal(byPgid.get(reusedPid)?.action, 'reused');
  assert.equal(members(reusedPid).length, 3, 'a process that reuses a recorded pid is never signalled');
  assert.equal(byPgid.get(ownedByUs)?.action, 'owned');
  assert.equal(members(ownedByUs).length, 3, 'a live platform keeps its processes');
  assert.equal(byPgid.get(424242)?.action, 'other-boot');
  // handled records are removed; the live owner's stays
  assert.deepEqual(readdirSync(ledgerDir), [`${ownedByUs}.json`]);
});

test('commands are checked before the shim runs them: missing and non-executable files are named', () => {
  assert.equal(resolveCommand('sh', '/nonexistent:/bin'), '/bin/sh');
  assert.throws(() => resolveCommand('/no/such/trainer', '/bin'), (e: unknown) => e instanceof CommandError && e.code === 'ENOENT' && /\/no\/such\/trainer/.test(e.message));
  assert.throws(() => resolveCommand('no-such-command-xyz', '/bin:/usr/bin'), (e: unknown) => e instanceof CommandError && e.code === 'ENOENT');
  writeFileSync(join(dir, 'not-exec.sh'), 'echo hi\n');
  assert.throws(() => resolveCommand('./not-exec.sh', '/bin', dir), (e: unknown) => e instanceof CommandError && e.code === 'EACCES');
});
