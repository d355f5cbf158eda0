/** The operations capability's platform module: the BackupSchedule controller (it runs on the leader). */
import { BackupScheduleKind } from '../api/kinds/backup-schedule.js';
import { openRegistryBlobStore, registryOptionsFromEnv } from '../registry/registry-options.js';
import type { PlatformModule } from '../server/platform-module.js';
import { BackupScheduleController } from './backup-schedule-controller.js';
import { backupS3FromEnv } from './store-location.js';

/** Installs the BackupSchedule controller. */
export const opsModule: PlatformModule = {
  name: 'ops',
  install(ctx) {
    // The module's install is where its settings are read, once (as the registry module does).
    const artifacts = openRegistryBlobStore(ctx.cfg.dataDir, { s3: registryOptionsFromEnv(ctx.cfg.environment).s3 });
    let enqueue: (key: string) => void = () => undefined;
    const c = ctx.manager.add(
      new BackupScheduleController({
        client: ctx.client, backend: ctx.backend, artifacts, s3: backupS3FromEnv(ctx.cfg.environment),
        recorder: ctx.recorder('backupschedule-controller'), log: ctx.log.child({ controller: 'backupschedule' }),
        enqueue: (key) => enqueue(key),
      }),
      { primary: ctx.manager.informer(BackupScheduleKind), concurrency: 1 },
    );
    enqueue = (key) => c.queue.add(key);
  },
};
