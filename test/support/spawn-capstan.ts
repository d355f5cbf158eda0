/** Runs the real `capstan` command as a child process (compiled build, or tsx from sources under tsx). */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './repo-root.js';

const fromSources = import.meta.url.endsWith('.ts');

/** argv for node that runs the capstan CLI with `args`. */
export function capstanArgv(args: string[]): string[] {
  const root = repoRoot();
  return fromSources
    ? ['--import', 'tsx', '-e', `import(${JSON.stringify(join(root, 'src/cli/main.ts'))}).then(m => m.main(${JSON.stringify(args)}))`]
    : [join(root, 'bin/capstan.js'), ...args];
}

/** A started server process and its URL. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `capstan up` on an ephemeral port and waits for its banner. */
export function startServerProcess(dataDir: string, extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, capstanArgv(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']), {
    cwd: repoRoot(),
    env: { ...process.env, CAPSTAN_GATEWAY_PORT: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    // A server that did not start in time is killed, not left running behind the failed start.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${out}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /API and dashboard:\s+(http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
}
