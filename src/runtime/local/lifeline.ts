/**
 * Spawning a process tree that dies with the platform, even when the platform is killed with SIGKILL.
 *
 * Every replica (a model server, a user's custom server, a training command and whatever it starts) is spawned as
 * the leader of a new process group through a tiny /bin/sh shim:
 *
 *     (trap '' TERM INT HUP; read _ <&3; kill -9 0) & exec "$0" "$@" 3<&-
 *
 * fd 3 is one end of a socket pair whose other end only the platform holds. The shim starts a watcher in the
 * group (ignoring the signals of a graceful stop) that blocks reading fd 3, then `exec`s the real command, which
 * keeps the shim's pid: the group leader is the command itself, so exit codes, signals, pids and /proc readings
 * are the command's. When the platform dies for any reason the kernel closes its end, the watcher's read returns
 * EOF and `kill -9 0` takes the whole group with it. When the command ends normally the supervisor SIGKILLs the
 * group as before, which takes the watcher too. The cost is one idle `sh` (about 1 MiB) per replica.
 *
 * A descendant that leaves the group (setsid, setpgid) is out of reach here, as it is for the graceful stop.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** The shim: a watcher that kills the group on EOF of fd 3, then the command in place of the shell. */
export const LIFELINE_SCRIPT = `(trap '' TERM INT HUP; read _ <&3; kill -9 0) & exec "$0" "$@" 3<&-`;

/** Why a command cannot be started, checked before spawning (the shell would only exit with 126/127). */
export class CommandError extends Error {
  constructor(readonly code: 'ENOENT' | 'EACCES', readonly command: string, message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

function executable(path: string): 'ok' | 'ENOENT' | 'EACCES' {
  try {
    if (!statSync(path).isFile()) return 'EACCES';
  } catch {
    return 'ENOENT';
  }
  try {
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch {
    return 'EACCES';
  }
}

/**
 * The file `command` runs, as execvp would find it: a name with a slash is taken relative to `cwd`, a bare name is
 * searched in `pathEnv`. Throws CommandError (ENOENT, EACCES) naming the command.
 */
export function resolveCommand(command: string, pathEnv: string | undefined, cwd?: string): string {
  if (command === '') throw new CommandError('ENOENT', command, 'command not found: (empty)');
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command);
    const r = executable(file);
    if (r === 'ok') return file;
    throw new CommandError(r, command, r === 'ENOENT' ? `command not found: ${command}` : `permission denied: ${command}`);
  }
  let denied = false;
  for (const dir of (pathEnv ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const file = join(dir === '' ? '.' : resolve(cwd ?? process.cwd(), dir), command);
    const r = executable(file);
    if (r === 'ok') return file;
    if (r === 'EACCES') denied = true;
  }
  throw new CommandError(denied ? 'EACCES' : 'ENOENT', command, denied ? `permission denied: ${command}` : `command not found: ${command} (searched PATH)`);
}

/** Options of spawnWithLifeline: where output goes (an fd or 'ignore'), env and cwd. */
export interface LifelineSpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr of the command. */
  output: number | 'ignore';
}

/**
 * Spawns `command args` as a new process group leader tied to this process by a lifeline (see the module doc).
 * Throws CommandError when the command does not exist or is not executable; other spawn errors arrive as the
 * child's 'error' event, as with child_process.spawn.
 */
export function spawnWithLifeline(command: string, args: readonly string[], opts: LifelineSpawnOptions): ChildProcess {
  const file = resolveCommand(command, opts.env.PATH, opts.cwd);
  const spawnOpts: SpawnOptions = { detached: true, stdio: ['ignore', opts.output, opts.output, 'pipe'], env: opts.env, cwd: opts.cwd };
  // "$0" is the resolved file, so the shell does not search PATH again; argv[0] of the command becomes that path.
  const child = spawn('/bin/sh', ['-c', LIFELINE_SCRIPT, file, ...args], spawnOpts);
  const line = child.stdio[3] as (NodeJS.ReadWriteStream & { destroy(): void; on(e: string, f: (...a: unknown[]) => void): unknown }) | null | undefined;
  if (line) {
    // Nothing is ever written on it; its end closing (our exit) is the message.
    line.on('error', () => undefined);
    child.once('exit', () => line.destroy());
  }
  return child;
}
