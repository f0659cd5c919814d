/**
 * Guest memory loaded in bulk (a restore, a migration's receiver: `xc_domain_restore` filling a new
 * domain's frames in `tools/libs/guest/xg_sr_restore.c`) goes to a file of its own beside the host
 * file, `<host file>.memory/<name>`, rather than through SQLite's write-ahead log, which would write
 * every byte twice (once into the log, once more at the checkpoint). A domain has at most one such
 * file; it is written once, in the write transaction that loads the memory, synced before that
 * transaction commits, and only read afterwards: a chunk written later is stored in the host file
 * again, over the file's copy. The host file names each domain's file (`memory_files`) and where
 * each chunk's bytes are in it (`memory.at`), so the file is part of the domain exactly when the
 * transaction that made it committed.
 *
 * A file's name carries the process that made it. A file no domain names is left by a transaction
 * that did not commit, or by a destroy that did not get to remove it; it is removed once the process
 * that made it is gone (or, for this process's own, once no transaction of it is filling the file).
 */
import { readdirSync, realpathSync, rmSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcess, isAlive, type ProcessIdentity } from './process-identity.ts';

/** The directory of a host file's memory files (the host file's real path, so every opener agrees). */
export function memoryDirOf(hostFile: string): string {
  return `${realpathSync.native(hostFile)}.memory`;
}

/**
 * A new file name for domain `domid`'s memory, made by this process. node:crypto (and the stream
 * modules behind it) loads here, at the first file made, not for every command that opens a host.
 */
export function newMemoryFileName(domid: number): string {
  const self = currentProcess();
  const random = process.getBuiltinModule('node:crypto').randomBytes(6).toString('hex');
  return `${domid}-${self.pid}-${self.start}-${random}.mem`;
}

/** The process that made a memory file, from its name; undefined for a name not made here. */
export function creatorOf(name: string): ProcessIdentity | undefined {
  const match = /^\d+-(\d+)-(\d*)-[0-9a-f]+\.mem$/.exec(name);
  return match ? { pid: Number(match[1]), start: match[2]! } : undefined;
}

/**
 * Removes the files of `dir` that no domain names (`named`) and whose maker is gone; this process's
 * own only when `filling` (the files its open transactions are writing) does not hold them.
 */
export function sweepMemoryFiles(dir: string, named: () => ReadonlySet<string>, filling: ReadonlySet<string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // no memory file was ever made for this host
  }
  if (names.length === 0) return;
  const kept = named();
  const self = currentProcess();
  for (const name of names) {
    const creator = creatorOf(name);
    if (creator === undefined || kept.has(name)) continue;
    const own = creator.pid === self.pid && creator.start === self.start;
    if (own ? filling.has(name) : isAlive(creator)) continue;
    rmSync(join(dir, name), { force: true });
  }
}

/**
 * Writes `chunks` one after the other at `position` of `fd`, with as few writev(2) calls as the
 * kernel allows (a short write goes on from the byte it stopped at).
 */
export function writeAllAt(fd: number, chunks: readonly Uint8Array[], position: number, writev: typeof writevSync = writevSync): void {
  let rest = chunks.slice();
  while (rest.length > 0) {
    let written = writev(fd, rest, position);
    position += written;
    let index = 0;
    while (index < rest.length && written >= rest[index]!.length) written -= rest[index++]!.length;
    rest = rest.slice(index);
    if (written > 0) rest[0] = rest[0]!.subarray(written);
  }
}
