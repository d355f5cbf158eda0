/** A platform for training tests: the real modules, with the training module's timings shortened. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HttpClient } from '../../src/client/http-client.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startPlatform, type Platform } from '../../src/server/platform.js';
import { PLATFORM_MODULES } from '../../src/server/platform-modules.js';
import type { LocalJobRuntime } from '../../src/training/local-job-runtime.js';
import { createTrainingModule, type TrainingModuleOptions } from '../../src/training/training-module.js';

/** A started platform with its training runtime exposed. */
export interface TrainingTestPlatform {
  platform: Platform;
  client: HttpClient;
  url: string;
  token: string;
  dataDir: string;
  runtime: () => LocalJobRuntime;
  stop(): Promise<void>;
}

/** Starts the platform in this process on ephemeral ports and a temp data dir. */
export async function startTrainingPlatform(opts: TrainingModuleOptions = {}): Promise<TrainingTestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-'));
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
  const training = createTrainingModule({ gracePeriodMs: 2000, restartBaseDelayMs: 50, ...opts });
  const modules = PLATFORM_MODULES.map((m) => (m.name === 'training' ? training : m));
  const platform = await startPlatform(cfg, { modules }, pino({ level: 'silent' }));
  const token = platform.adminToken!;
  return {
    platform,
    client: new HttpClient({ server: platform.url, token }),
    url: platform.url,
    token,
    dataDir,
    runtime: () => training.runtime!,
    async stop() {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
