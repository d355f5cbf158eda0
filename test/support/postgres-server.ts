/**
 * Starts a real, throwaway PostgreSQL server for tests: initdb into a temp dir, listen on a free
 * 127.0.0.1 port (unix socket in the temp dir too), fsync on, one database created. Finds the
 * binaries on PATH, in /usr/lib/postgresql/<version>/bin (Debian/Ubuntu), /usr/pgsql-<v>/bin
 * (RHEL), /usr/local/bin and Homebrew's prefix; CAPSTAN_PG_BIN=<dir> pins one directory. initdb
 * refuses to run as root, so as root the server runs as the `postgres` system user (created when
 * missing) through runuser, or su where runuser is absent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/** A running test server. */
export interface PostgresServer {
  /** postgres://… URL of the database the harness created. */
  connectionString: string;
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (immediate: the data is thrown away) and removes its directory. */
  stop(): Promise<void>;
}

/** Why PostgreSQL tests cannot run here, or undefined when binaries were found. */
export function postgresUnavailableReason(): string | undefined {
  return findPostgresBinDir()
    ? undefined
    : 'PostgreSQL binaries (initdb, pg_ctl, postgres) not found on PATH, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin or /usr/local/bin; install them (Debian: apt-get install -y postgresql)';
}

/**
 * The `skip` option for PostgreSQL tests: false when they can run, a message when they cannot.
 * In CI (CI=true) a missing PostgreSQL throws instead: CI must never skip them silently.
 */
export function postgresSkip(): false | string {
  const reason = postgresUnavailableReason();
  if (!reason) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  return reason;
}

/** The directory holding initdb, pg_ctl and postgres, or undefined. */
export function findPostgresBinDir(): string | undefined {
  // An explicit directory is the only place looked at (also how to test the "not found" path).
  const pinned = process.env.CAPSTAN_PG_BIN;
  if (pinned) return ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(pinned, b))) ? pinned : undefined;
  const candidates: string[] = [];
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  // Newest version first: Debian can have several side by side.
  candidates.push(...versionDirs('/usr/lib/postgresql', (v) => join('/usr/lib/postgresql', v, 'bin')));
  candidates.push(...versionDirs('/usr', (v) => (v.startsWith('pgsql-') ? join('/usr', v, 'bin') : undefined)));
  candidates.push('/usr/local/bin', '/usr/local/pgsql/bin', '/opt/homebrew/bin');
  return candidates.find((d) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(d, b))));
}

function versionDirs(parent: string, toBin: (entry: string) => string | undefined): string[] {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return [];
  }
  const num = (s: string) => Number(s.replace(/^\D+/, '')) || 0;
  return entries
    .sort((a, b) => num(b) - num(a))
    .map(toBin)
    .filter((d): d is string => d !== undefined);
}

/** Starts a server; the caller must call stop(). Throws when PostgreSQL is unavailable. */
export async function startPostgres(opts: { database?: string } = {}): Promise<PostgresServer> {
  const bin = findPostgresBinDir();
  if (!bin) throw new Error(postgresUnavailableReason());
  const dir = mkdtempSync(join(tmpdir(), 'capstan-pg-'));
  const dataDir = join(dir, 'data');
  const runAs = process.getuid?.() === 0 ? ensureServiceUser() : undefined;
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const run = (cmd: string, args: string[]): void => {
    const [file, argv] = runAs ? asUser(runAs.name, join(bin, cmd), args) : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
    if (r.status !== 0) throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${r.error?.message ?? ''}${r.stderr}${r.stdout}`);
  };
  let started = false;
  const cleanup = (): void => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
      } catch {
        // Best effort at exit: the process is going away anyway.
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // A crashed or interrupted test run must not leave a server behind.
  process.once('exit', cleanup);
  try {
    run('initdb', ['-D', dataDir, '-U', 'capstan', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-instructions', '--no-sync']);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      // -c flags beat postgresql.conf; fsync stays on so durability is what production gets.
      const options = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", '-c fsync=on', '-c synchronous_commit=on', '-c max_connections=60', '-c shared_buffers=32MB'].join(' ');
      try {
        run('pg_ctl', ['start', '-D', dataDir, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', options]);
        started = true;
        break;
      } catch (err) {
        // Another process may have taken the port between probe and bind; try another.
        if (attempt >= 3) throw err;
      }
    }
    const base = `postgres://capstan@127.0.0.1:${port}`;
    const createDatabase = async (name: string): Promise<string> => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return `${base}/${name}`;
    };
    const connectionString = await createDatabase(opts.database ?? 'capstan');
    return {
      connectionString,
      createDatabase,
      stop: async () => {
        process.removeListener('exit', cleanup);
        if (started) {
          started = false;
          run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    process.removeListener('exit', cleanup);
    cleanup();
    throw err;
  }
}

interface ServiceUser {
  name: string;
  uid: number;
  gid: number;
}

/** The unprivileged user the server runs as when we are root (initdb refuses root). */
function ensureServiceUser(): ServiceUser {
  const lookup = (): ServiceUser | undefined => {
    const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    const gid = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return { name: 'postgres', uid: Number(r.stdout.trim()), gid: Number(gid.trim()) };
  };
  const found = lookup();
  if (found) return found;
  // Only reached as root on a machine with PostgreSQL binaries but no postgres user (e.g. a
  // hand-built install); Debian's package creates the user itself.
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const created = lookup();
  if (!created) throw new Error('could not create the postgres system user to run initdb as');
  return created;
}

/** The command that runs `cmd args` as `user`: runuser (util-linux), else su through a shell. */
function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
  if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).status === 0) return ['runuser', ['-u', user, '--', cmd, ...args]];
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  return ['su', ['-s', '/bin/sh', user, '-c', [cmd, ...args].map(quote).join(' ')]];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
