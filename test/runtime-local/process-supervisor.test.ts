/** The local runtime's supervisor: restarts with backoff, CrashLoopBackOff with log lines, probes, graceful stop, no leaked process trees. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalRuntime, decideRestart, DEFAULT_BACKOFF, type ProcessEvent, type ProcessSpec, type ProcessStatus } from '../../src/runtime/local/index.js';
import { until } from '../support/until.js';

const dir = mkdtempSync(join(tmpdir(), 'capstan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function spec(id: string, script: string, extra: Partial<ProcessSpec> = {}): ProcessSpec {
  return { id, command: process.execPath, args: ['-e', script], logFile: join(dir, `${id}.log`), restartPolicy: 'Always', backoff: { initialMs: 30, maxMs: 200 }, terminationGraceMs: 2000, ...extra };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const SERVER = `
const http = require('node:http');
const srv = http.createServer((req, res) => { res.statusCode = req.url === '/ready' ? 200 : (process.env.LIVE_FAIL ? 500 : 200); res.end('ok'); });
srv.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on', process.env.PORT, process.argv[1]));
process.on('SIGTERM', () => { console.log('draining'); setTimeout(() => process.exit(0), 50); });
`;

test('decideRestart: doubling delays, CrashLoopBackOff after the threshold, reset after a long run, policies', () => {
  const b = { ...DEFAULT_BACKOFF, initialMs: 100, maxMs: 1000, crashLoopAfter: 3, resetAfterMs: 5000 };
  const fail = { code: 1, signal: null };
  let prev = { restarts: 0, consecutiveFailures: 0 };
  const delays: number[] = [];
  const reasons: string[] = [];
  for (let i = 0; i < 6; i++) {
    const d = decideRestart('Always', fail, 10, prev, b, undefined);
    delays.push(d.delayMs);
    reasons.push(d.reason);
    prev = { restarts: prev.restarts + 1, consecutiveFailures: d.consecutiveFailures };
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  assert.deepEqual(reasons, ['BackOff', 'BackOff', 'CrashLoopBackOff', 'CrashLoopBackOff', 'CrashLoopBackOff', 'CrashLoopBackOff']);
  assert.equal(decideRestart('Always', fail, 6000, prev, b, undefined).consecutiveFailures, 1);
  assert.equal(decideRestart('OnFailure', { code: 0, signal: null }, 10, prev, b, undefined).restart, false);
  assert.equal(decideRestart('OnFailure', { code: 0, signal: null }, 10, prev, b, undefined).reason, 'Completed');
  assert.equal(decideRestart('Never', fail, 10, prev, b, undefined).reason, 'Error');
  assert.equal(decideRestart('OnFailure', fail, 10, { restarts: 2, consecutiveFailures: 2 }, b, 2).reason, 'RestartLimitExceeded');
});

test('a crashing process restarts with backoff and reports CrashLoopBackOff with its last log lines', async () => {
  const events: ProcessEvent[] = [];
  const rt = new LocalRuntime({ onEvent: (e) => events.push(e) });
  try {
    const sup = rt.run(spec('crash', `console.error('fatal: model file is corrupt'); process.exit(3)`, { backoff: { initialMs: 20, maxMs: 100, crashLoopAfter: 3 } }));
    const ev = await until('a CrashLoopBackOff event', () => events.find((e) => e.reason === 'CrashLoopBackOff'));
    assert.match(ev.message, /exited with code 3/);
    assert.match(ev.message, /fatal: model file is corrupt/);
    const st = sup.status();
    assert.ok(st.restarts >= 2, `restarts ${st.restarts}`);
    assert.ok(st.consecutiveFailures >= 3);
    assert.equal(st.ready, false);
  } finally {
    await rt.stopAll();
  }
  assert.deepEqual(rt.liveGroups(), []);
});

test('readiness probe turns a process ready on its allocated port; SIGTERM drains it gracefully', async () => {
  const changes: ProcessStatus[] = [];
  const rt = new LocalRuntime({ onChange: (s) => changes.push(s) });
  const sup = rt.run(spec('web', SERVER, { allocatePort: true, args: ['-e', SERVER, 'port=$(PORT)'], readiness: { kind: 'http', path: '/ready', initialDelayMs: 0, periodMs: 200, timeoutMs: 500, failureThreshold: 1 } }));
  const st = await until('ready', () => (sup.status().ready ? sup.status() : undefined));
  assert.ok(st.port && st.port > 0);
  assert.equal(st.phase, 'Running');
  await until('log line', () => readFileSync(join(dir, 'web.log'), 'utf8').includes(`port=${st.port}`));
  await rt.stopAll();
  const last = sup.status();
  assert.equal(last.phase, 'Stopped');
  assert.equal(last.lastExit?.code, 0, 'exited by itself after draining, not killed');
  assert.match(readFileSync(join(dir, 'web.log'), 'utf8'), /draining/);
  assert.ok(changes.some((c) => c.ready));
  assert.equal(alive(st.pid!), false);
});

test('a process ignoring SIGTERM is killed with its whole group after the grace period', async () => {
  const rt = new LocalRuntime();
  const script = `
    const { spawn } = require('node:child_process');
    const g = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    console.log('grandchild', g.pid);
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    setInterval(() => {}, 1000);`;
  const sup = rt.run(spec('stubborn', script, { terminationGraceMs: 300 }));
  const grandchild = await until('grandchild pid', () => {
    const m = /grandchild (\d+)/.exec((() => { try { return readFileSync(join(dir, 'stubborn.log'), 'utf8'); } catch { return ''; } })());
    return m ? Number(m[1]) : undefined;
  });
  const pid = sup.status().pid!;
  assert.ok(alive(pid) && alive(grandchild));
  await rt.stopAll();
  assert.equal(sup.status().lastExit?.signal, 'SIGKILL');
  await until('grandchild gone', () => !alive(grandchild), 3000);
  assert.equal(alive(pid), false);
  assert.deepEqual(rt.liveGroups(), []);
});

test('when the main process dies its leftover children are killed too, then it restarts', async () => {
  const rt = new LocalRuntime();
  try {
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      console.log('grandchild', g.pid);
      setInterval(() => {}, 1000);`;
    const sup = rt.run(spec('parent', script));
    const logText = (): string => { try { return readFileSync(join(dir, 'parent.log'), 'utf8'); } catch { return ''; } };
    const first = await until('grandchild pid', () => { const m = /grandchild (\d+)/.exec(logText()); return m ? Number(m[1]) : undefined; });
    assert.ok(sup.signal('SIGKILL'));
    await until('orphan killed', () => !alive(first), 3000);
    await until('restarted', () => sup.status().restarts >= 1 && sup.status().phase === 'Running');
  } finally {
    await rt.stopAll();
  }
  assert.deepEqual(rt.liveGroups(), []);
});

test('liveness failures restart the process with reason LivenessProbeFailed', async () => {
  const events: ProcessEvent[] = [];
  const rt = new LocalRuntime({ onEvent: (e) => events.push(e) });
  try {
    const sup = rt.run(spec('sick', SERVER, { allocatePort: true, env: { LIVE_FAIL: '1' }, liveness: { kind: 'http', path: '/live', initialDelayMs: 50, periodMs: 50, timeoutMs: 500, failureThreshold: 2 } }));
    await until('liveness event', () => events.find((e) => e.reason === 'LivenessProbeFailed'));
    await until('restart', () => sup.status().restarts >= 1);
  } finally {
    await rt.stopAll();
  }
});

test('OnFailure: success ends in Succeeded; a missing command fails, restarts are bounded', async () => {
  const rt = new LocalRuntime();
  try {
    const ok = rt.run(spec('job', `console.log('done')`, { restartPolicy: 'OnFailure' }));
    await until('succeeded', () => ok.status().phase === 'Succeeded');
    assert.equal(ok.status().reason, 'Completed');
    const bad = rt.run({ ...spec('missing', ''), command: join(dir, 'no-such-binary'), args: [], restartPolicy: 'OnFailure', maxRestarts: 2 });
    await until('failed', () => bad.status().phase === 'Failed');
    assert.equal(bad.status().reason, 'RestartLimitExceeded');
    assert.equal(bad.status().restarts, 2);
  } finally {
    await rt.stopAll();
  }
});
