/**
 * `capstan backup create|restore|list|verify`: offline tools that open the store directly (the
 * SQLite file of a data dir, which WAL lets them read while the server runs, or the PostgreSQL
 * database), like pg_dump. Targets: a directory or s3://bucket/prefix (CAPSTAN_S3_* settings).
 */
import type { Command } from 'commander';
import { BackupError } from '../../ops/backup-manifest.js';
import { openBackupTarget } from '../../ops/backup-target.js';
import { createBackup } from '../../ops/backup.js';
import { listBackups, restoreBackup, verifyBackup } from '../../ops/restore.js';
import { backupS3FromEnv, openArtifacts, openStore, withRestoreStore, type StoreLocation } from '../../ops/store-location.js';
import { registryOptionsFromEnv } from '../../registry/registry-options.js';
import { loadServerConfig } from '../../server/config.js';
import { NewerSchemaError } from '../../store/store-ops.js';
import type { CommandEnv } from '../commands/resource-commands.js';

interface StoreFlags {
  dataDir?: string;
  databaseUrl?: string;
  config?: string;
}

function location(o: StoreFlags): StoreLocation {
  const cfg = loadServerConfig({ dataDir: o.dataDir, databaseUrl: o.databaseUrl }, process.env, o.config);
  return { dataDir: cfg.dataDir, databaseUrl: cfg.databaseUrl, artifactsS3: registryOptionsFromEnv(process.env).s3 };
}

const target = (uri: string) => openBackupTarget(uri, backupS3FromEnv(process.env));

function storeOptions(c: Command): Command {
  return c
    .option('--data-dir <dir>', 'data directory (env CAPSTAN_DATA_DIR, default ~/.capstan)')
    .option('--database-url <url>', 'PostgreSQL URL (env CAPSTAN_DATABASE_URL)')
    .option('--config <file>', 'server config file (YAML)');
}

/** Turns the library's errors into one line and exit code 1 (anything else is a bug and propagates). */
async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof BackupError || err instanceof NewerSchemaError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** Registers `capstan backup …`. */
export function registerBackupCommands(program: Command, _env: () => CommandEnv): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const backup = program.command('backup').description('back up and restore the platform (store snapshot + model artifacts)');

  storeOptions(backup.command('create').description('take a consistent backup (incremental for artifact blobs)'))
    .requiredOption('--to <target>', 'directory or s3://bucket/prefix')
    .option('--project <name>', 'only this project (objects and models)')
    .action(async (o: StoreFlags & { to: string; project?: string }) =>
      run(async () => {
        const loc = location(o);
        const backend = await openStore(loc);
        try {
          const v = await backend.schemaVersion();
          if (v > 0) await backend.migrate(); // refuses a newer store with a clear error
          const t0 = performance.now();
          const m = await createBackup({ backend, artifacts: openArtifacts(loc), target: target(o.to), now: new Date(), project: o.project });
          out(`backup ${m.id}: ${m.snapshot.objects} objects (snapshot ${mib(m.snapshot.size)}), ${m.blobs.length} artifact blobs (${m.copiedBlobs} copied, ${mib(m.copiedBytes)}), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
          if (m.missingBlobs.length) out(`warning: ${m.missingBlobs.length} referenced blob(s) missing from the artifact store`);
        } finally {
          await backend.close();
        }
      }));

  storeOptions(backup.command('restore').description('restore into an empty data dir or database (or one project into a running store)'))
    .requiredOption('--from <target>', 'directory or s3://bucket/prefix')
    .option('--id <id>', 'backup id, or latest', 'latest')
    .option('--project <name>', 'restore only this project (it must not exist in the target)')
    .action(async (o: StoreFlags & { from: string; id: string; project?: string }) =>
      run(async () => {
        const loc = location(o);
        const t0 = performance.now();
        const go = async (backend: Awaited<ReturnType<typeof openStore>>) =>
          restoreBackup({ target: target(o.from), id: o.id, backend, artifacts: openArtifacts(loc), project: o.project });
        let r;
        if (o.project) {
          const backend = await openStore(loc);
          try {
            await backend.migrate();
            r = await go(backend);
          } finally {
            await backend.close();
          }
        } else {
          r = await withRestoreStore(loc, go, (n) => new BackupError('TargetNotEmpty', `restore target ${loc.databaseUrl ? 'database' : loc.dataDir} is not empty (${n} objects): restore only into an empty data dir or database`));
        }
        out(`restored ${r.id}: ${r.objects} objects, ${r.blobsCopied} artifact blobs (${mib(r.bytesCopied)}), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }));

  backup
    .command('list')
    .description('list the backups in a target')
    .requiredOption('--from <target>', 'directory or s3://bucket/prefix')
    .action(async (o: { from: string }) =>
      run(async () => {
        const t = target(o.from);
        await t.check();
        const rows = await listBackups(t);
        out(['ID', 'CREATED', 'PROJECT', 'OBJECTS', 'BLOBS', 'SIZE'].join('\t'));
        for (const b of rows) {
          const m = b.manifest;
          out(m ? [b.id, m.createdAt, m.project ?? '<all>', m.snapshot.objects, m.blobs.length, mib(m.snapshot.size + m.blobs.reduce((s, x) => s + x.size, 0))].join('\t') : `${b.id}\tUNREADABLE: ${b.error}`);
        }
      }));

  backup
    .command('verify')
    .description('check a backup end to end (manifest, snapshot, every blob re-hashed)')
    .requiredOption('--from <target>', 'directory or s3://bucket/prefix')
    .option('--id <id>', 'backup id, or latest', 'latest')
    .action(async (o: { from: string; id: string }) =>
      run(async () => {
        const r = await verifyBackup(target(o.from), o.id);
        out(`backup ${r.id} is intact: ${r.objects} objects, ${r.blobs} blobs, ${mib(r.bytes)} verified`);
      }));
}
