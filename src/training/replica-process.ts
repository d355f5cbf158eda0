/**
 * One replica as an OS process: started in its own process group with stdout and stderr appended
 * to its log file, so that stopping it (SIGTERM, a grace period, then SIGKILL to the whole group)
 * leaves nothing behind, and its logs survive the platform. The group has a lifeline to the platform
 * (src/runtime/local/lifeline.ts): if the platform dies, even by SIGKILL, the group is killed; with a
 * ledger, the group is also recorded so the next platform run reaps it if that did not happen.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CommandError, spawnWithLifeline, type ProcessLedger } from '../runtime/local/index.js';
import type { ReplicaExit } from './job-policy.js';

/** What to run. */
export interface ReplicaLaunch {
  command: string[];
  env: Record<string, string>;
  cwd?: string;
  logFile: string;
  /** The runtime's name of this replica, for the ledger (e.g. `default/mnist/Worker/1`). */
  id?: string;
}

/** A started replica process. */
export interface RunningReplica {
  pid: number | undefined;
  /** Resolves once the process has exited (or failed to start). */
  exited: Promise<ReplicaExit>;
  /** SIGTERM to the group, then SIGKILL after `graceMs`; resolves when the leader is gone. */
  stop(graceMs: number): Promise<ReplicaExit>;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Starts a replica; a command that cannot start resolves `exited` with `spawnError` at once. */
export function startReplica(launch: ReplicaLaunch, ledger?: ProcessLedger): RunningReplica {
  mkdirSync(dirname(launch.logFile), { recursive: true });
  const fd = openSync(launch.logFile, 'a');
  let child: ChildProcess;
  let resolveExit!: (e: ReplicaExit) => void;
  const exited = new Promise<ReplicaExit>((r) => (resolveExit = r));
  let done = false;
  const finish = (e: ReplicaExit) => {
    if (done) return;
    done = true;
    resolveExit(e);
  };
  try {
    const [file, ...args] = launch.command;
    if (!file) throw new Error('no command to run');
    // a new process group, so the whole tree can be signalled at once via -pid, tied to this process by a lifeline
    child = spawnWithLifeline(file, args, { cwd: launch.cwd, env: launch.env, output: fd });
  } catch (err) {
    const msg = err instanceof CommandError ? err.message.replace(/ \(searched PATH\)$/, '') : (err as Error).message;
    try {
      writeSync(fd, `capstan: ${msg}\n`);
    } catch {
      // the log is best effort; the reason also lands in the job's status
    }
    closeSync(fd);
    finish({ exitCode: null, signal: null, spawnError: msg });
    return { pid: undefined, exited, stop: () => exited };
  }
  closeSync(fd);
  child.on('error', (err: NodeJS.ErrnoException) => {
    const msg = err.code === 'ENOENT' && launch.cwd !== undefined && !existsSync(launch.cwd) ? `working directory not found: ${launch.cwd}` : err.code === 'ENOENT' ? `command not found: ${launch.command[0]}` : err.code === 'EACCES' ? `permission denied: ${launch.command[0]}` : err.message;
    try {
      const logFd = openSync(launch.logFile, 'a');
      writeSync(logFd, `capstan: ${msg}\n`);
      closeSync(logFd);
    } catch {
      // The log is best effort; the reason also lands in the job's status.
    }
    finish({ exitCode: null, signal: null, spawnError: msg });
  });
  child.on('exit', (code, signal) => {
    // Like a container whose PID 1 exits: whatever the replica left in its group goes with it.
    if (child.pid) {
      killGroup(child.pid, 'SIGKILL');
      ledger?.forget(child.pid);
    }
    finish({ exitCode: code, signal });
  });
  const pid = child.pid;
  if (pid !== undefined) ledger?.record(launch.id ?? launch.command.join(' ').slice(0, 200), pid);
  return {
    pid,
    exited,
    async stop(graceMs) {
      if (done || pid === undefined) return exited;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      const e = await exited;
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL');
      return e;
    },
  };
}
