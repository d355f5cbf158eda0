/** `capstan config`: view and set the server, token and current project (saved with mode 0600). */
import { cliConfigPath, readCliConfig, writeCliConfig } from '../cli-config.js';

/** Prints the config with the token redacted. */
export function configView(env: NodeJS.ProcessEnv, out: (s: string) => void): void {
  const path = cliConfigPath(env);
  const cfg = readCliConfig(path);
  out(JSON.stringify({ file: path, ...cfg, ...(cfg.token ? { token: `${cfg.token.slice(0, 8)}…(redacted)` } : {}) }, null, 2));
}

/** Sets any of server, token, project. */
export function configSet(env: NodeJS.ProcessEnv, values: { server?: string; token?: string; project?: string }, out: (s: string) => void): void {
  const path = cliConfigPath(env);
  const cfg = { ...readCliConfig(path) };
  if (values.server !== undefined) {
    try {
      new URL(values.server);
    } catch {
      throw new Error(`--server "${values.server}" is not a URL (e.g. http://127.0.0.1:8470)`);
    }
    cfg.server = values.server;
  }
  if (values.token !== undefined) cfg.token = values.token;
  if (values.project !== undefined) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(values.project)) throw new Error(`--project "${values.project}" is not a valid project name`);
    cfg.project = values.project;
  }
  writeCliConfig(path, cfg);
  out(`saved ${path}`);
}
