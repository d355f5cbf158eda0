/** `capstan up`: starts the platform on this machine and prints where it is and how to sign in. */
import { loadServerConfig, redactConfig } from '../../server/config.js';
import { startPlatform, type Platform } from '../../server/platform.js';

/** Flags of `up`. */
export interface UpFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  logLevel?: string;
  config?: string;
  demo?: boolean;
  metricsPublic?: boolean;
}

/** Hooks run after the platform is up (the demo registers and serves a model). */
export type AfterStart = (p: Platform, out: (s: string) => void) => Promise<void>;

/** Starts the server and blocks until SIGINT/SIGTERM, then stops gracefully. */
export async function upCommand(flags: UpFlags, out: (s: string) => void, afterStart?: AfterStart): Promise<void> {
  const cfg = loadServerConfig({ port: flags.port, host: flags.host, dataDir: flags.dataDir, databaseUrl: flags.databaseUrl, logLevel: flags.logLevel, demo: flags.demo, metricsPublic: flags.metricsPublic }, process.env, flags.config);
  const platform = await startPlatform(cfg);
  platform.log.info({ config: redactConfig(cfg) }, 'capstan started');
  out('');
  out(`  Capstan is running (${cfg.databaseUrl ? 'PostgreSQL' : `SQLite in ${cfg.dataDir}`}, local runtime)`);
  out('');
  out(`  API and dashboard:  ${platform.url}`);
  // Secrets stay in their files (stdout is often a log): the paths are printed, never the values.
  out(`  Admin token:        in ${platform.adminTokenFile} (mode 0600)${platform.adminToken ? ', made now' : ''}`);
  out(`  Admin user:         admin (dashboard sign-in); password in ${platform.adminPasswordFile} (mode 0600)`);
  out('');
  out(`  Try:  curl -H "Authorization: Bearer $(cat ${platform.adminTokenFile})" ${platform.url}/apis/capstan.dev/v1alpha1/projects`);
  out(`        capstan get projects`);
  out('');
  if (afterStart) await afterStart(platform, out);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out('stopping...');
  await platform.stop();
}
