/**
 * Where the CLI connects and as whom: flags > CAPSTAN_SERVER/CAPSTAN_TOKEN/CAPSTAN_PROJECT >
 * the config file (~/.capstan/config.json, mode 0600) > the local server's defaults (its
 * admin.token in the data directory), so `capstan up` then `capstan get` needs no setup.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The saved CLI settings. */
export interface CliConfigFile {
  server?: string;
  token?: string;
  project?: string;
}

/** Resolved connection settings. */
export interface CliContext {
  server: string;
  token?: string;
  project: string;
}

/** The config file path (CAPSTAN_CONFIG overrides). */
export function cliConfigPath(env: NodeJS.ProcessEnv): string {
  return env.CAPSTAN_CONFIG ?? join(env.HOME ?? homedir(), '.capstan', 'config.json');
}

/** Reads the config file; a missing file is an empty config. */
export function readCliConfig(path: string): CliConfigFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CliConfigFile;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Writes the config file with mode 0600 (it may hold a token). */
export function writeCliConfig(path: string, cfg: CliConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** Resolves where to connect from flags, environment and files. */
export function resolveCliContext(flags: { server?: string; token?: string; project?: string }, env: NodeJS.ProcessEnv): CliContext {
  const file = readCliConfig(cliConfigPath(env));
  const server = flags.server ?? env.CAPSTAN_SERVER ?? file.server ?? `http://127.0.0.1:${env.CAPSTAN_PORT ?? 8470}`;
  let token = flags.token ?? env.CAPSTAN_TOKEN ?? file.token;
  if (!token) {
    const local = join(env.CAPSTAN_DATA_DIR ?? join(env.HOME ?? homedir(), '.capstan'), 'admin.token');
    if (existsSync(local)) token = readFileSync(local, 'utf8').trim();
  }
  const project = flags.project ?? env.CAPSTAN_PROJECT ?? file.project ?? 'default';
  return { server, token, project };
}
