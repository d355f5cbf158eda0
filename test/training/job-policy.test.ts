/** Pure job decisions: exits under restart policies, backoff, outcomes, deadlines, metric lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadlineExceeded, decideExit, jobOutcome, msUntilDeadline, restartDelayMs, roleCounts, type ReplicaObservation } from '../../src/training/job-policy.js';
import { latestValues, parseMetricLogLine, parseMetricObject, splitLines } from '../../src/training/metric-lines.js';
import { statusForPhase } from '../../src/training/job-status.js';

const exit = (exitCode: number | null, signal: string | null = null) => ({ exitCode, signal });

test('exit decisions follow the restart policy and the job-wide backoffLimit', () => {
  assert.deepEqual(decideExit('Never', exit(0), 0, 3), { action: 'succeeded' });
  assert.equal(decideExit('Never', exit(1), 0, 3).action, 'failed');
  assert.deepEqual(decideExit('OnFailure', exit(1), 0, 3, 100), { action: 'restart', delayMs: 100 });
  assert.deepEqual(decideExit('OnFailure', exit(1), 2, 3, 100), { action: 'restart', delayMs: 400 });
  const exhausted = decideExit('OnFailure', exit(1), 3, 3);
  assert.equal(exhausted.action === 'failed' && exhausted.reason, 'BackoffLimitExceeded');
  // ExitCode: 1-127 are the program's own errors, signals and 128+ are retried.
  assert.equal(decideExit('ExitCode', exit(2), 0, 3).action, 'failed');
  assert.equal(decideExit('ExitCode', exit(137), 0, 3).action, 'restart');
  assert.equal(decideExit('ExitCode', exit(null, 'SIGKILL'), 0, 3).action, 'restart');
  const spawn = decideExit('OnFailure', { exitCode: null, signal: null, spawnError: 'command not found: x' }, 0, 3);
  assert.equal(spawn.action === 'failed' && spawn.reason, 'StartError');
  assert.equal(restartDelayMs(20), 10_000);
});

const obs = (role: string, index: number, state: ReplicaObservation['state']): ReplicaObservation => ({ role, index, state, restarts: 0 });

test('job outcome: failures win; TensorFlow waits for its chief (or workers), never for parameter servers', () => {
  assert.equal(jobOutcome('pytorch', [obs('Master', 0, 'succeeded'), obs('Worker', 0, 'running')]).kind, 'running');
  assert.equal(jobOutcome('pytorch', [obs('Master', 0, 'succeeded'), obs('Worker', 0, 'succeeded')]).kind, 'succeeded');
  assert.equal(jobOutcome('pytorch', [obs('Master', 0, 'running'), obs('Worker', 0, 'failed')]).kind, 'failed');
  assert.equal(jobOutcome('tensorflow', [obs('Chief', 0, 'succeeded'), obs('PS', 0, 'running'), obs('Worker', 0, 'running')]).kind, 'succeeded');
  assert.equal(jobOutcome('tensorflow', [obs('PS', 0, 'running'), obs('Worker', 0, 'succeeded'), obs('Worker', 1, 'running')]).kind, 'running');
  assert.equal(jobOutcome('tensorflow', [obs('PS', 0, 'running'), obs('Worker', 0, 'succeeded'), obs('Worker', 1, 'succeeded')]).kind, 'succeeded');
  assert.deepEqual(jobOutcome('generic', [obs('A', 0, 'restarting')]), { kind: 'running', restarting: true });
  assert.deepEqual(roleCounts([obs('W', 0, 'running'), obs('W', 1, 'succeeded'), obs('W', 2, 'failed')]), { W: { active: 1, succeeded: 1, failed: 1, restarts: 0 } });
});

test('deadlines are measured from the start time passed in', () => {
  const start = '2025-01-01T00:00:00.000Z';
  const t0 = Date.parse(start);
  assert.equal(deadlineExceeded(start, 10, t0 + 9_999), false);
  assert.equal(deadlineExceeded(start, 10, t0 + 10_000), true);
  assert.equal(deadlineExceeded(undefined, 10, t0), false);
  assert.equal(msUntilDeadline(start, 10, t0 + 4000), 6000);
});

test('metric lines: the documented prefix or bare JSON; only finite numbers; step indexes', () => {
  assert.deepEqual(parseMetricLogLine('epoch 3 CAPSTAN_METRIC {"step": 10, "loss": 0.3, "accuracy": 0.9, "note": "x"}'), { step: 10, values: { loss: 0.3, accuracy: 0.9 } });
  assert.equal(parseMetricLogLine('loss 0.3'), undefined);
  assert.equal(parseMetricLogLine('CAPSTAN_METRIC {not json'), undefined);
  assert.equal(parseMetricObject('{"step": 1}'), undefined);
  assert.equal(parseMetricObject('[1,2]'), undefined);
  assert.deepEqual(parseMetricObject('{"loss": 1e400, "acc": 1}'), { values: { acc: 1 } });
  const a = splitLines('', 'CAPSTAN_METRIC {"lo');
  assert.deepEqual(a.lines, []);
  const b = splitLines(a.carry, 'ss": 1}\nnext');
  assert.deepEqual(b.lines.map((l) => parseMetricLogLine(l)), [{ values: { loss: 1 } }]);
  assert.equal(b.carry, 'next');
  assert.deepEqual(latestValues([{ ts: 1, role: 'w', index: 0, values: { loss: 2, acc: 0.5 } }, { ts: 2, role: 'w', index: 0, values: { loss: 1 } }]), { loss: 1, acc: 0.5 });
});

test('status conditions: the phase is True, conditions that were True turn False, Admitted holds while running', () => {
  const t = '2025-01-01T00:00:00.000Z';
  const q = statusForPhase({}, 'Queued', 'Pending', 'waiting', t);
  assert.deepEqual(q.conditions?.map((c) => [c.type, c.status]), [['Created', 'True'], ['Queued', 'True']]);
  const r = statusForPhase(q, 'Running', 'JobRunning', '3 running', '2025-01-01T00:00:05.000Z');
  assert.deepEqual(r.conditions?.map((c) => [c.type, c.status]), [['Created', 'True'], ['Queued', 'False'], ['Admitted', 'True'], ['Running', 'True']]);
  const s = statusForPhase(r, 'Succeeded', 'JobSucceeded', 'done', '2025-01-01T00:01:00.000Z');
  assert.deepEqual(s.conditions?.filter((c) => c.status === 'True').map((c) => c.type), ['Created', 'Succeeded']);
  assert.equal(s.conditions?.find((c) => c.type === 'Created')?.lastTransitionTime, t);
});
