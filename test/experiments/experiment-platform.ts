/** A platform for experiment tests: the real modules, trial metrics polled every 200 ms, short training grace periods; restartable on the same data dir. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { HttpClient } from '../../src/client/http-client.js';
import { createExperimentModule } from '../../src/experiments/experiment-module.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startPlatform, type Platform } from '../../src/server/platform.js';
import { PLATFORM_MODULES } from '../../src/server/platform-modules.js';
import { createTrainingModule } from '../../src/training/training-module.js';
import { repoRoot } from '../support/repo-root.js';

/** A running platform for experiments. */
export interface ExperimentTestPlatform {
  platform: Platform;
  client: HttpClient;
  token: string;
  dataDir: string;
  /** Stops the platform; keeps the data dir when `keep`. */
  stop(keep?: boolean): Promise<void>;
}

/** Starts the platform (on `dataDir` when given, to restart on the same state). */
export async function startExperimentPlatform(dataDir = mkdtempSync(join(tmpdir(), 'capstan-exp-'))): Promise<ExperimentTestPlatform> {
  const modules = PLATFORM_MODULES.map((m) => (m.name === 'training' ? createTrainingModule({ gracePeriodMs: 2000, restartBaseDelayMs: 50 }) : m.name === 'experiments' ? createExperimentModule({ pollMs: 200 }) : m));
  const cfg = loadServerConfig({ port: 0, gatewayPort: 0, dataDir, logLevel: 'silent' }, {});
  const platform = await startPlatform(cfg, { modules }, pino({ level: 'silent' }));
  // A restarted platform generates no new admin token: the first start wrote it to the data dir.
  const token = platform.adminToken ?? readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  return {
    platform,
    client: new HttpClient({ server: platform.url, token }),
    token,
    dataDir,
    async stop(keep = false) {
      await platform.stop();
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An example manifest from examples/experiments, with every container's working directory set to the repository root (relative paths resolve against the server's directory otherwise). */
export function exampleManifest(file: string, edit: (m: Record<string, any>) => void = () => undefined): Record<string, any> {
  const root = repoRoot();
  const m = parse(readFileSync(join(root, 'examples/experiments', file), 'utf8')) as Record<string, any>;
  m.metadata.namespace = 'default';
  const ts = m.spec.trialTemplate.trialSpec;
  if (ts.kind === 'Job') for (const c of ts.spec.template.spec.containers) c.workingDir = root;
  else if (ts.kind === 'TrainingJob') for (const rs of Object.values(ts.spec.replicaSpecs) as Array<{ template: Record<string, unknown> }>) rs.template.workingDir = root;
  edit(m);
  return m;
}
