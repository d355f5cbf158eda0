/** Starts a real platform in this process on an ephemeral port and a temporary data dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { HttpClient } from '../../src/client/http-client.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startPlatform, type Platform, type PlatformExtensions } from '../../src/server/platform.js';

/** A platform for a test, with an HTTP client signed in as admin. */
export interface TestPlatform {
  platform: Platform;
  client: HttpClient;
  url: string;
  token: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts the platform (optionally with other modules); call stop() in an after() hook. */
export async function startTestPlatform(overrides: Record<string, unknown> = {}, ext: PlatformExtensions = {}): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'capstan-test-'));
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent', ...overrides }, {});
  const platform = await startPlatform(cfg, ext, pino({ level: 'silent' }));
  const token = platform.adminToken!;
  return {
    platform,
    client: new HttpClient({ server: platform.url, token }),
    url: platform.url,
    token,
    dataDir,
    async stop() {
      await platform.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
