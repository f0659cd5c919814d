/**
 * Which process is doing an operation, so that another can tell whether it is still running: the
 * pid plus, on Linux, the process start time from `/proc/<pid>/stat` (a reused pid differs there).
 */
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot (`/proc/<pid>/stat` field 22), or '' where unknown. */
  readonly start: string;
}

/** Process `pid`'s start time (`/proc/<pid>/stat` field 22), or undefined when it has none. */
export function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? '';
}

let self: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  self ??= { pid: process.pid, start: startTime(process.pid) ?? '' };
  return self;
}

/** False once the process has exited (or its pid now belongs to another process). */
export function isAlive(identity: ProcessIdentity): boolean {
  if (identity.pid === process.pid) return identity.start === currentProcess().start;
  const start = startTime(identity.pid);
  if (start !== undefined) return identity.start === '' || start === identity.start;
  try {
    process.kill(identity.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
