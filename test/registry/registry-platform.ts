/** A platform with only the registry module (options injectable), on an ephemeral port and a temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HttpClient } from '../../src/client/http-client.js';
import { createRegistryModule } from '../../src/registry/registry-module.js';
import type { RegistryOptions } from '../../src/registry/registry-options.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startPlatform, type Platform } from '../../src/server/platform.js';

/** A running registry platform for tests. */
export interface RegistryTestPlatform {
  platform: Platform;
  client: HttpClient;
  url: string;
  token: string;
  dataDir: string;
  target: { server: string; token: string; namespace: string };
  stop(): Promise<void>;
}

/** Starts it; call stop() in after(). */
export async function startRegistryPlatform(opts: Partial<RegistryOptions> = {}): Promise<RegistryTestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-registry-'));
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
  const platform = await startPlatform(cfg, { modules: [createRegistryModule({ gcIntervalMs: 0, inUseResyncMs: 500, ...opts }, {})] }, pino({ level: 'silent' }));
  const token = platform.adminToken!;
  return {
    platform,
    client: new HttpClient({ server: platform.url, token }),
    url: platform.url,
    token,
    dataDir,
    target: { server: platform.url, token, namespace: 'default' },
    async stop() {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
