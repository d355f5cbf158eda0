/** Process-group operations (the supervisor starts each process as a group leader) and /proc usage readings. */
import { readdirSync, readFileSync } from 'node:fs';

/** Sends a signal to every process of the group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group exists (signal 0 probes without delivering). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids whose process group is `pgid`, read from /proc (empty where /proc is absent). */
export function groupPids(pgid: number): number[] {
  const out: number[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const st = readStat(Number(n));
    if (st && st.pgrp === pgid) out.push(Number(n));
  }
  return out;
}

interface ProcStat {
  pgrp: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
  rssPages: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); pgrp is field 5, utime 14, stime 15, rss 24.
    return { pgrp: Number(rest[2]), cpuTicks: Number(rest[11]) + Number(rest[12]), rssPages: Number(rest[21]) };
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far and resident bytes now, summed over the group's live processes. */
export interface GroupUsage {
  cpuSeconds: number;
  rssBytes: number;
  pids: number;
}

/** Usage of a process group from /proc (Linux clock ticks are 100 Hz and pages 4 KiB on the platforms we run). */
export function groupUsage(pgid: number): GroupUsage {
  let ticks = 0;
  let pages = 0;
  let pids = 0;
  for (const pid of groupPids(pgid)) {
    const st = readStat(pid);
    if (!st) continue;
    ticks += st.cpuTicks;
    pages += st.rssPages;
    pids++;
  }
  return { cpuSeconds: ticks / 100, rssBytes: pages * 4096, pids };
}
