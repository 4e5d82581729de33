/**
 * Linux /proc readers for the server's memory and CPU and the kernel's TCP counters. A
 * server with worker processes (`serve --workers N`) is measured as its whole process tree.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/PID/stat (USER_HZ; 100 on every Linux we run on). */
const TICKS = 100;

/** The live descendants of a process (worker processes), found through /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(name), ppid);
    } catch {}
  }
  const found: number[] = [];
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, parent] of parentOf) {
      if (wanted.has(parent) && !wanted.has(child)) {
        wanted.add(child);
        found.push(child);
        grew = true;
      }
    }
  }
  return found;
}

/** VmRSS of a process and its descendants in bytes, or null if it cannot be read. */
export function readRss(pid: number | null): number | null {
  if (pid === null) return null;
  const own = readOneRss(pid);
  if (own === null) return null;
  let total = own;
  for (const child of descendants(pid)) total += readOneRss(child) ?? 0;
  return total;
}

function readOneRss(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/** utime + stime of a process and its live descendants (all threads) in seconds, or null. */
export function readCpu(pid: number | null): number | null {
  if (pid === null) return null;
  const own = readOneCpu(pid);
  if (own === null) return null;
  let total = own;
  for (const child of descendants(pid)) total += readOneCpu(child) ?? 0;
  return total;
}

/** utime + stime of one process in seconds, or null. */
export function readOneCpu(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
    return (utime + stime) / TICKS;
  } catch {
    return null;
  }
}

/** System-wide TcpExt counters of interest (listen queue overflows, SYN retransmits). */
export function readTcpCounters(): { listenOverflows: number; synRetrans: number } | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i++) {
      const head = lines[i]!;
      if (!head.startsWith('TcpExt:')) continue;
      const names = head.split(' ');
      const values = lines[i + 1]!.split(' ');
      const get = (name: string): number => Number(values[names.indexOf(name)] ?? 0);
      return { listenOverflows: get('ListenOverflows'), synRetrans: get('TCPSynRetrans') };
    }
  } catch {}
  return null;
}

/** This process's CPU time (all threads) in seconds. */
export function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds the whole machine spent busy (not idle or waiting for I/O), from /proc/stat. */
export function machineBusy(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0);
    return busy / TICKS;
  } catch {
    return null;
  }
}
