/**
 * Several real `capstan up` processes on one PostgreSQL database (for the chaos test and
 * bench:ops): start, kill -9, restart, and find the leader from the lease row itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startServerProcess, type ServerProcess } from './spawn-capstan.js';

/** The admin token every server of a cluster is configured with. */
export const CLUSTER_TOKEN = 'chaos-admin-token-0123456789abcdef';

/** The controllers' lease as stored. */
export interface LeaseRow {
  holder: string;
  token: number;
  expiresMs: number;
}

/** A cluster of servers on one database. */
export class CapstanCluster {
  readonly servers: ServerProcess[] = [];
  private readonly dirs: string[] = [];
  readonly db: pg.Pool;

  constructor(readonly databaseUrl: string) {
    this.db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  }

  /** Starts one more server (its own data dir; the store is the shared database). */
  async add(): Promise<ServerProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-node-'));
    this.dirs.push(dir);
    const env = { CAPSTAN_DATABASE_URL: this.databaseUrl, CAPSTAN_ADMIN_TOKEN: CLUSTER_TOKEN };
    // One retry: on a loaded machine a start can outlast the harness's 30 s banner wait.
    const s = await startServerProcess(dir, env).catch(() => startServerProcess(dir, env));
    this.servers.push(s);
    s.child.once('exit', () => {
      const i = this.servers.indexOf(s);
      if (i >= 0) this.servers.splice(i, 1);
    });
    return s;
  }

  /** The lease row (undefined before the first election). */
  async lease(): Promise<LeaseRow | undefined> {
    const { rows } = await this.db.query<{ holder: string; token: string; expires_ms: string }>("SELECT holder, token, expires_ms FROM capstan.leases WHERE name = 'controllers'");
    return rows[0] ? { holder: rows[0].holder, token: Number(rows[0].token), expiresMs: Number(rows[0].expires_ms) } : undefined;
  }

  /** The server process holding the lease (holder is host:pid:suffix). */
  async leader(): Promise<ServerProcess | undefined> {
    const l = await this.lease();
    const pid = l ? Number(l.holder.split(':')[1]) : NaN;
    return this.servers.find((s) => s.child.pid === pid);
  }

  /** Waits until a live server holds the lease with a token above `after`; returns it and the token. */
  async waitForLeader(after: number, timeoutMs = 30_000): Promise<{ server: ServerProcess; token: number }> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const l = await this.lease();
      if (l && l.token > after) {
        const server = this.servers.find((s) => s.child.pid === Number(l.holder.split(':')[1]));
        if (server) return { server, token: l.token };
      }
      if (Date.now() > end) throw new Error(`no new leader (token > ${after}) within ${timeoutMs} ms; lease: ${JSON.stringify(l)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** kill -9 and wait for the exit. */
  async kill(s: ServerProcess): Promise<void> {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGKILL');
    await exited;
  }

  /** Stops every server and removes the data dirs. */
  async stop(): Promise<void> {
    await Promise.all([...this.servers].map(async (s) => {
      const exited = new Promise((r) => s.child.once('exit', r));
      s.child.kill('SIGTERM');
      const t = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }));
    await this.db.end();
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
