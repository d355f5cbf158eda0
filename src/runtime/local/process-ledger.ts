/**
 * The process ledger: one small file per live replica process group in the data directory, so that a platform
 * that starts after a crash finds and kills what a previous run left behind, before it starts new replicas.
 *
 * A record holds the group id (the leader's pid), the leader's start time from /proc/<pid>/stat (clock ticks
 * since boot), the boot id, and the same for the platform process that owns it. A record is acted on only when
 * the boot is the same, its owner is gone (another live platform on the same data dir keeps its processes), and
 * the leader still has its recorded start time: a pid reused by an unrelated process is never signalled. If the
 * leader is gone but members of its group remain, only members started no earlier than the leader are killed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What /proc tells of one process. */
export interface ProcInfo {
  pid: number;
  pgrp: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks after boot. */
  startTicks: number;
  /** Field 3: R, S, D, Z (zombie), X (dead), ... */
  state: string;
}

/** Reads /proc/<pid>/stat; undefined when the process does not exist (or /proc is absent). */
export function procInfo(pid: number): ProcInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name may hold spaces and parentheses: fields start after the last ')'
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), rest[2] field 5 (pgrp), rest[19] field 22 (starttime)
  return { pid, state: rest[0] ?? '?', pgrp: Number(rest[2]), startTicks: Number(rest[19]) };
}

/** True when the process no longer runs: absent, or a zombie waiting for its parent to reap it. */
export function processGone(pid: number): boolean {
  const p = procInfo(pid);
  return p === undefined || p.state === 'Z' || p.state === 'X';
}

/** Every live (non-zombie) process, from /proc. */
export function allProcesses(): ProcInfo[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const p = procInfo(Number(n));
    if (p && p.state !== 'Z' && p.state !== 'X') out.push(p);
  }
  return out;
}

let bootIdMemo: string | undefined;
/** This boot's id (/proc/sys/kernel/random/boot_id); start times are comparable only within one boot. */
export function bootId(): string {
  if (bootIdMemo === undefined) {
    try {
      bootIdMemo = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdMemo = 'unknown';
    }
  }
  return bootIdMemo;
}

/** One ledger record. */
export interface LedgerRecord {
  /** The runtime's process id, e.g. `default/digits/digits-3f2a1c/0`. */
  id: string;
  pgid: number;
  startTicks: number;
  bootId: string;
  owner: { pid: number; startTicks: number };
}

/** What reap() did with one record. */
export interface ReapOutcome {
  id: string;
  pgid: number;
  /** killed: leftovers were SIGKILLed; gone: nothing was running; reused: the pid belongs to another process now; owned: its platform still runs. */
  action: 'killed' | 'gone' | 'reused' | 'owned' | 'other-boot';
  /** Pids that were signalled. */
  pids: number[];
}

/** The ledger of one runtime, in its own directory under the data dir. */
export class ProcessLedger {
  private readonly owner: { pid: number; startTicks: number };

  constructor(readonly dir: string) {
    this.owner = { pid: process.pid, startTicks: procInfo(process.pid)?.startTicks ?? 0 };
  }

  private file(pgid: number): string {
    return join(this.dir, `${pgid}.json`);
  }

  /** Records a freshly spawned group leader (synchronously: the record exists before the next await). */
  record(id: string, pgid: number): void {
    const info = procInfo(pgid);
    // the leader already exited: nothing can leak from it
    if (!info) return;
    const rec: LedgerRecord = { id, pgid, startTicks: info.startTicks, bootId: bootId(), owner: this.owner };
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(this.file(pgid), JSON.stringify(rec));
    } catch {
      // best effort: the lifeline still ends the group with us
    }
  }

  /** Drops the record of a group that is gone. */
  forget(pgid: number): void {
    rmSync(this.file(pgid), { force: true });
  }

  /** Records on disk (unreadable ones are dropped). */
  records(): LedgerRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: LedgerRecord[] = [];
    for (const n of names) {
      if (!n.endsWith('.json')) continue;
      try {
        const r = JSON.parse(readFileSync(join(this.dir, n), 'utf8')) as LedgerRecord;
        if (Number.isInteger(r.pgid) && r.pgid > 1 && Number.isFinite(r.startTicks)) out.push(r);
        else rmSync(join(this.dir, n), { force: true });
      } catch {
        rmSync(join(this.dir, n), { force: true });
      }
    }
    return out;
  }

  /**
   * Kills what previous runs left (see the module doc), waits up to `waitMs` for it to be gone and removes their
   * records. Call before starting any process with this ledger.
   */
  async reap(waitMs = 10_000): Promise<ReapOutcome[]> {
    const recs = this.records();
    if (recs.length === 0) return [];
    const procs = allProcesses();
    const byGroup = new Map<number, ProcInfo[]>();
    for (const p of procs) byGroup.set(p.pgrp, [...(byGroup.get(p.pgrp) ?? []), p]);
    const out: ReapOutcome[] = [];
    const victims: number[] = [];
    for (const r of recs) {
      const done = (action: ReapOutcome['action'], pids: number[] = []): void => {
        out.push({ id: r.id, pgid: r.pgid, action, pids });
        if (action !== 'owned') this.forget(r.pgid);
      };
      if (r.bootId !== bootId()) { done('other-boot'); continue; }
      const owner = procInfo(r.owner.pid);
      if (owner && owner.startTicks === r.owner.startTicks && owner.state !== 'Z') { done('owned'); continue; }
      const leader = procs.find((p) => p.pid === r.pgid);
      if (leader && leader.startTicks !== r.startTicks) { done('reused'); continue; }
      const members = (byGroup.get(r.pgid) ?? []).filter((p) => p.startTicks >= r.startTicks);
      if (members.length === 0) { done('gone'); continue; }
      if (leader) {
        try {
          process.kill(-r.pgid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      for (const m of members) {
        try {
          process.kill(m.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      victims.push(...members.map((m) => m.pid));
      done('killed', members.map((m) => m.pid));
    }
    const end = Date.now() + waitMs;
    while (victims.some((pid) => !processGone(pid)) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return out;
  }
}
