/**
 * BackupSchedule on a real in-process platform: a per-second cron takes backups into a
 * directory, the retention keeps the newest two, status and Events report each backup; a bad
 * cron is a 422 naming the field; an unreachable target is a Warning and a False condition.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../src/api/errors.js';
import { BackupScheduleKind, type BackupScheduleStatus } from '../../src/api/kinds/backup-schedule.js';
import { EventKind } from '../../src/api/kinds/event.js';
import { DirBackupTarget } from '../../src/ops/backup-target.js';
import { backupDecision } from '../../src/ops/backup-schedule-plan.js';
import { opsModule } from '../../src/ops/ops-module.js';
import { listBackups, verifyBackup } from '../../src/ops/restore.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';

let tp: TestPlatform;
const targetDir = mkdtempSync(join(tmpdir(), 'capstan-bs-'));
before(async () => {
  tp = await startTestPlatform({}, { modules: [opsModule] });
});
after(async () => {
  await tp?.stop();
  rmSync(targetDir, { recursive: true, force: true });
});

test('backupDecision: due once however many runs were missed; next is after now', () => {
  const d = backupDecision('0 3 * * *', 'UTC', new Date('2026-01-01T00:00:00Z'), new Date('2026-01-05T12:00:00Z'));
  assert.deepEqual(d, { run: true, next: new Date('2026-01-06T03:00:00Z') });
  const e = backupDecision('0 3 * * *', 'UTC', new Date('2026-01-06T03:00:00Z'), new Date('2026-01-06T04:00:00Z'));
  assert.equal(e.run, false);
});

test('a per-second schedule backs up, keeps the newest two, reports status and events', async () => {
  await tp.client.create(BackupScheduleKind, {
    apiVersion: BackupScheduleKind.apiVersion, kind: 'BackupSchedule', metadata: { name: 'nightly' },
    spec: { schedule: '* * * * * *', target: targetDir, retention: { keepLast: 2 } },
  });
  const deadline = Date.now() + 60_000;
  let st: BackupScheduleStatus | undefined;
  for (;;) {
    st = (await tp.client.get(BackupScheduleKind, undefined, 'nightly')).status as BackupScheduleStatus | undefined;
    const events = (await tp.client.list(EventKind, { namespace: 'default' })).items.filter((e) => e.reason === 'BackupCompleted');
    if ((st?.backups?.length ?? 0) >= 2 && events.length >= 3) break;
    assert.ok(Date.now() < deadline, `schedule did not take three backups: ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await tp.client.patch(BackupScheduleKind, undefined, 'nightly', { spec: { suspend: true } });
  assert.ok(st!.lastBackup!.objects > 0);
  assert.equal(st!.conditions?.find((c) => c.type === 'LastBackupSucceeded')?.status, 'True');
  const target = new DirBackupTarget(targetDir);
  const all = await listBackups(target);
  assert.ok(all.length <= 3, `retention keeps two (one more may be in flight): ${all.length}`);
  assert.equal((await verifyBackup(target, st!.lastBackup!.id)).id, st!.lastBackup!.id);
});

test('a bad cron expression is a 422 naming spec.schedule', async () => {
  await assert.rejects(
    tp.client.create(BackupScheduleKind, { apiVersion: BackupScheduleKind.apiVersion, kind: 'BackupSchedule', metadata: { name: 'bad' }, spec: { schedule: 'every day', target: targetDir } }),
    (e: unknown) => e instanceof ApiError && e.reason === 'Invalid' && JSON.stringify(e.details).includes('spec.schedule'),
  );
});

test('an unreachable target: Warning event and LastBackupSucceeded False', async () => {
  const blocker = join(targetDir, 'a-file');
  writeFileSync(blocker, 'not a directory');
  await tp.client.create(BackupScheduleKind, {
    apiVersion: BackupScheduleKind.apiVersion, kind: 'BackupSchedule', metadata: { name: 'broken' },
    spec: { schedule: '* * * * * *', target: join(blocker, 'sub') },
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const st = (await tp.client.get(BackupScheduleKind, undefined, 'broken')).status as BackupScheduleStatus | undefined;
    const c = st?.conditions?.find((x) => x.type === 'LastBackupSucceeded');
    if (c?.status === 'False') {
      assert.match(c.message ?? '', /cannot be written/);
      break;
    }
    assert.ok(Date.now() < deadline, `no failure reported: ${JSON.stringify(st)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await tp.client.patch(BackupScheduleKind, undefined, 'broken', { spec: { suspend: true } });
  const warnings = (await tp.client.list(EventKind, { namespace: 'default' })).items.filter((e) => e.reason === 'BackupFailed');
  assert.ok(warnings.length >= 1);
});
